//! The audit trail's vocabulary: what was done, to which object, with what result. A row holds
//! references (an internal id, an area code, a username of staff), never a resident's ID number
//! or name.

use std::fmt;

use jiff::Timestamp;
use serde::Serialize;

macro_rules! audit_actions {
    ($($variant:ident = $key:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum AuditAction { $($variant),+ }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant),+];
            pub fn key(self) -> &'static str {
                match self { $(AuditAction::$variant => $key),+ }
            }
            pub fn from_key(key: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|a| a.key() == key)
            }
        }
    };
}

audit_actions! {
    Login = "login",
    Logout = "logout",
    PasswordChange = "password.change",
    TokenIssue = "token.issue",
    PersonView = "person.view",
    // A search by a whole ID number: it tells whether someone is on the register.
    PersonLookup = "person.lookup",
    PersonAdd = "person.add",
    PersonUpdate = "person.update",
    EventRecord = "event.record",
    Import = "import",
    Export = "export",
    AccountAdd = "account.add",
    AccountDisable = "account.disable",
    AccountEnable = "account.enable",
    AccountResetPassword = "account.reset_password",
    AccountRole = "account.role",
    AccountUnlock = "account.unlock",
    // The second administrator's approval of a credential the first one set.
    AccountApprove = "account.approve",
    AreaChange = "area.change",
    AuditRead = "audit.read",
    StatsView = "stats.view",
    StatsClose = "stats.close",
    StatsReopen = "stats.reopen",
    Access = "access",
    CertificateView = "certificate.view",
    CertificateApply = "certificate.apply",
    CertificateReturn = "certificate.return",
    CertificateResubmit = "certificate.resubmit",
    CertificateReject = "certificate.reject",
    CertificateIssue = "certificate.issue",
    CertificatePrint = "certificate.print",
    CertificateDeliver = "certificate.deliver",
    CertificateReissue = "certificate.reissue",
    CertificateRevoke = "certificate.revoke",
    CertificateWithdraw = "certificate.withdraw",
}

impl AuditAction {
    /// The audit action of a step of a certificate's life.
    pub fn of_step(step: crate::certificate::Step) -> AuditAction {
        use crate::certificate::Step;
        match step {
            Step::Apply => AuditAction::CertificateApply,
            Step::Return => AuditAction::CertificateReturn,
            Step::Resubmit => AuditAction::CertificateResubmit,
            Step::Reject => AuditAction::CertificateReject,
            Step::Issue => AuditAction::CertificateIssue,
            Step::Print => AuditAction::CertificatePrint,
            Step::Deliver => AuditAction::CertificateDeliver,
            Step::Reissue => AuditAction::CertificateReissue,
            Step::Revoke => AuditAction::CertificateRevoke,
            Step::Withdraw => AuditAction::CertificateWithdraw,
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditResult {
    Ok,
    /// Refused by the role table or the area (no existence is leaked to the caller).
    Denied,
    /// A wrong password, a locked or disabled account, invalid input.
    Failed,
}

impl AuditResult {
    pub fn key(self) -> &'static str {
        match self {
            AuditResult::Ok => "ok",
            AuditResult::Denied => "denied",
            AuditResult::Failed => "failed",
        }
    }
    pub fn from_key(key: &str) -> Option<Self> {
        [AuditResult::Ok, AuditResult::Denied, AuditResult::Failed]
            .into_iter()
            .find(|r| r.key() == key)
    }
}

/// One audit row before it is written: who (an account id and its username, or none before a
/// login succeeds), from where, what, on which object, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub account_id: Option<i64>,
    pub username: Option<String>,
    pub source: String,
    pub action: AuditAction,
    /// "person", "area", "account", "file", "session", a route…
    pub object_kind: String,
    pub object_id: Option<String>,
    pub result: AuditResult,
    /// A short reference-only note: a reason code, a row count, a filter of area codes.
    pub detail: Option<String>,
}

impl AuditEntry {
    pub fn new(action: AuditAction, object_kind: &str, result: AuditResult) -> Self {
        AuditEntry {
            account_id: None,
            username: None,
            source: String::new(),
            action,
            object_kind: object_kind.to_string(),
            object_id: None,
            result,
            detail: None,
        }
    }

    pub fn object(mut self, id: impl fmt::Display) -> Self {
        self.object_id = Some(id.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn by(mut self, account_id: i64, username: &str) -> Self {
        self.account_id = Some(account_id);
        self.username = Some(username.to_string());
        self
    }

    pub fn from_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }
}

/// An audit row as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: Timestamp,
    pub account_id: Option<i64>,
    pub username: Option<String>,
    pub source: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    pub result: String,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    /// The bytes the chain hashes: every field but the row's own hash, each length-prefixed so
    /// no two different rows can serialise alike.
    pub fn chained_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        let mut field = |s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        field(&self.seq.to_string());
        field(&self.at.to_string());
        field(&self.account_id.map(|i| i.to_string()).unwrap_or_default());
        field(self.username.as_deref().unwrap_or(""));
        field(&self.source);
        field(&self.action);
        field(&self.object_kind);
        field(self.object_id.as_deref().unwrap_or(""));
        field(&self.result);
        field(self.detail.as_deref().unwrap_or(""));
        field(&self.prev_hash);
        out
    }
}
