//! Signing in and out, and changing one's own password, as use cases: each writes its own
//! audit row (successful or not) in the transaction that records it. The password hashing
//! and the throttle are the web layer's; what happened is recorded here.

use jiff::Timestamp;
use renkou_core::Actor;
use renkou_core::account::Account;
use renkou_core::audit::{AuditAction, AuditEntry, AuditResult};

use crate::{Result, SessionKind, Store};

/// Why a sign-in did not open a session, as the audit trail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Too many attempts from this address or for this name: no password was checked.
    Throttled,
    /// No such account (the typed name is not kept: it may be a password in the wrong box).
    UnknownUser,
    Disabled,
    Locked,
    /// A credential an administrator handed out, not yet approved by a second one.
    AwaitingApproval,
}

impl LoginRefusal {
    fn key(self) -> &'static str {
        match self {
            LoginRefusal::Throttled => "throttled",
            LoginRefusal::UnknownUser => "unknown_user",
            LoginRefusal::Disabled => "disabled",
            LoginRefusal::Locked => "locked",
            LoginRefusal::AwaitingApproval => "awaiting_approval",
        }
    }
}

fn login_entry(source: &str, account: Option<&Account>, result: AuditResult) -> AuditEntry {
    let mut e = AuditEntry::new(AuditAction::Login, "session", result).from_source(source);
    if let Some(a) = account {
        e = e.by(a.id, a.username.as_str()).object(a.id);
    }
    e
}

fn password_change(actor: &Actor, result: AuditResult) -> AuditEntry {
    actor
        .entry(AuditAction::PasswordChange, "account", result)
        .object(actor.scope.account_id)
}

impl Store {
    /// A sign-in refused before the password counted against the account.
    pub fn login_refused(
        &mut self,
        source: &str,
        account: Option<&Account>,
        why: LoginRefusal,
    ) -> Result<()> {
        self.audit(login_entry(source, account, AuditResult::Failed).detail(why.key()))
    }

    /// A wrong password at sign-in: counted towards the lockout; the end of the lock it
    /// caused, if any.
    pub fn wrong_password(
        &mut self,
        source: &str,
        account: &Account,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let entry =
            login_entry(source, Some(account), AuditResult::Failed).detail("wrong_password");
        self.login_failed(account.id, now, entry)
    }

    /// A session opened for a browser or an API token.
    pub fn sign_in(
        &mut self,
        source: &str,
        account: &Account,
        kind: SessionKind,
        token_hash: &str,
        csrf_token: &str,
        now: Timestamp,
    ) -> Result<()> {
        let entry = login_entry(source, Some(account), AuditResult::Ok).detail(match kind {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api_token",
        });
        self.start_session(account.id, kind, token_hash, csrf_token, now, entry)
    }

    /// The session behind this token ended by its holder.
    pub fn sign_out(&mut self, actor: &Actor, token_hash: &str) -> Result<()> {
        let entry = actor
            .entry(AuditAction::Logout, "session", AuditResult::Ok)
            .object(actor.scope.account_id);
        self.end_session(token_hash, entry)
    }

    /// A change of one's own password refused before any password was checked (`reason`:
    /// "throttled").
    pub fn password_change_refused(&mut self, actor: &Actor, reason: &str) -> Result<()> {
        self.audit(password_change(actor, AuditResult::Failed).detail(reason))
    }

    /// A wrong current password when changing one's own: it counts like a wrong password at
    /// sign-in; the end of the lock it caused, if any.
    pub fn wrong_current_password(
        &mut self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let entry = password_change(actor, AuditResult::Failed).detail("wrong_password");
        self.login_failed(actor.scope.account_id, now, entry)
    }

    /// One's own new password set; every session of the account ends.
    pub fn change_own_password(&mut self, actor: &Actor, password_hash: &str) -> Result<()> {
        let entry = actor.entry(AuditAction::PasswordChange, "account", AuditResult::Ok);
        self.set_password(actor.scope.account_id, password_hash, false, entry)
    }
}
