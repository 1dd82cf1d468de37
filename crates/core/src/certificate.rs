//! The plan's three documents as data: what each carries, who applies for whom, what the review
//! checks against the register, how long it is valid; and the steps of its life.
//!
//! The checks serve the review (`review`); none of them counts children against a limit or flags
//! anyone. A complete application for birth registration is approved (DOMAIN.md: a service, not a
//! permit). Who may take which step, and what it changes and records, is decided in `rules`.

use std::fmt;

use jiff::civil::Date;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::codes::{CertificateKind, CertificateState};

mod review;
mod rules;

pub use review::{Application, Check, CheckOutcome, RegisterFacts, approvable, review_checks};
pub use rules::{
    Change, Decision, Issuance, MAX_COPIES, Moment, Refusal, StepInput, admit, decide,
    kinds_to_apply, may_apply, offers, reaches, step_action,
};

/// A question the application form asks beyond the register's own data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskedField {
    /// 配偶姓名 and 配偶身份证号, when the spouse is not on this register.
    Spouse,
    /// 预产期 (optional): when the child is expected.
    ExpectedDate,
    /// 外出去向: where a migrant goes.
    Destination,
}

/// One document type. `kind.spec()` gives it.
#[derive(Debug)]
pub struct CertificateSpec {
    pub kind: CertificateKind,
    /// The title printed on the paper.
    pub title: &'static str,
    /// The first letters of every serial of this type; each type has its own sequence.
    pub serial_prefix: &'static str,
    /// Months an issued document stays valid; `None`: until revoked.
    pub valid_months: Option<i32>,
    pub asks: &'static [AskedField],
    /// Whose application it is; the people a migrant coordinator may apply for are migrants.
    pub holder: &'static str,
}

const SPECS: [CertificateSpec; 3] = [
    CertificateSpec {
        kind: CertificateKind::ReproductiveHealthCard,
        title: "生殖保健服务证",
        serial_prefix: "SB",
        valid_months: Some(60),
        asks: &[],
        holder: "本辖区登记的居民或流动人口",
    },
    CertificateSpec {
        kind: CertificateKind::BirthRegistration,
        title: "生育登记服务单",
        serial_prefix: "SY",
        // A registration does not lapse; it is revoked if made in error.
        valid_months: None,
        asks: &[AskedField::Spouse, AskedField::ExpectedDate],
        holder: "本辖区登记的夫妻一方",
    },
    CertificateSpec {
        kind: CertificateKind::MigrantCertificate,
        title: "流动人口婚育证明",
        serial_prefix: "LD",
        valid_months: Some(36),
        // A married holder's spouse is printed: named here when not on the register.
        asks: &[AskedField::Destination, AskedField::Spouse],
        holder: "户籍在本辖区、外出或将要外出的育龄人员",
    },
];

impl CertificateKind {
    pub fn spec(self) -> &'static CertificateSpec {
        SPECS
            .iter()
            .find(|s| s.kind == self)
            .expect("every kind has a spec")
    }

    /// The roles whose staff take applications of this kind (a centre's window, a committee's
    /// officer; a migrant coordinator for the migrant certificate).
    pub fn applicants(self) -> &'static [Role] {
        match self {
            CertificateKind::MigrantCertificate => &[
                Role::Centre,
                Role::CommitteeOfficer,
                Role::MigrantCoordinator,
            ],
            _ => &[Role::Centre, Role::CommitteeOfficer],
        }
    }
}

/// The steps of a document's life, each one a row on the document and on the holder's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Apply,
    /// The station sends it back for more information; the applicant resubmits.
    Return,
    Resubmit,
    Reject,
    /// Approved and issued with a serial from the kind's sequence.
    Issue,
    Print,
    Deliver,
    /// Lost or damaged: a new document with a new serial replaces this one.
    Reissue,
    Revoke,
    /// The applicant takes back an application not yet decided (at the window, on request).
    Withdraw,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Apply,
        Step::Return,
        Step::Resubmit,
        Step::Reject,
        Step::Issue,
        Step::Print,
        Step::Deliver,
        Step::Reissue,
        Step::Revoke,
        Step::Withdraw,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Step::Apply => "apply",
            Step::Return => "return",
            Step::Resubmit => "resubmit",
            Step::Reject => "reject",
            Step::Issue => "issue",
            Step::Print => "print",
            Step::Deliver => "deliver",
            Step::Reissue => "reissue",
            Step::Revoke => "revoke",
            Step::Withdraw => "withdraw",
        }
    }

    pub fn from_key(key: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Step::Apply => "受理申请",
            Step::Return => "退回补充",
            Step::Resubmit => "补充后重新提交",
            Step::Reject => "不予批准",
            Step::Issue => "审核通过并发证",
            Step::Print => "打印",
            Step::Deliver => "送达",
            Step::Reissue => "补发",
            Step::Revoke => "注销",
            Step::Withdraw => "撤回申请",
        }
    }

    /// Whether this step needs a reason written down.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Step::Return | Step::Reject | Step::Reissue | Step::Revoke
        )
    }

    /// The state this step may be taken from, and the state it leaves.
    pub fn transition(self, from: CertificateState) -> Option<CertificateState> {
        use CertificateState::*;
        match (self, from) {
            (Step::Return | Step::Reject | Step::Issue, Applied) => Some(match self {
                Step::Return => Returned,
                Step::Reject => Rejected,
                _ => Issued,
            }),
            (Step::Resubmit, Returned) => Some(Applied),
            (Step::Withdraw, Applied | Returned) => Some(Withdrawn),
            (Step::Print | Step::Deliver, Issued) => Some(Issued),
            (Step::Reissue, Issued) => Some(Voided),
            (Step::Revoke, Issued) => Some(Revoked),
            _ => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What the verify page and the lists show: the stored state, with expiry applied on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    Valid,
    Expired,
    Revoked,
    /// Replaced by a reissued document.
    Voided,
}

impl Validity {
    pub fn key(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::Expired => "expired",
            Validity::Revoked => "revoked",
            Validity::Voided => "voided",
        }
    }
}

/// A serial: the kind's prefix, the year of issue and the number in that year's sequence.
pub fn serial(kind: CertificateKind, year: i16, number: i64) -> String {
    format!("{}{}{:06}", kind.spec().serial_prefix, year, number)
}

/// The last day an issued document is valid ("有效期至" on the paper): the day before the
/// same date `valid_months` later.
pub fn valid_until(kind: CertificateKind, issued: Date) -> Option<Date> {
    kind.spec().valid_months.and_then(|m| {
        issued
            .checked_add(Span::new().months(m))
            .and_then(|d| d.yesterday())
            .ok()
    })
}

/// The verification code's alphabet: no 0/O, 1/I/L, so it can be read off paper and typed.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const VERIFY_CODE_LEN: usize = 10;

/// A document's short verification code: 10 characters (about 49 bits), so that guessing one
/// through the rate-limited public page is hopeless.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerifyCode(String);

impl VerifyCode {
    /// From random bytes (the caller draws them; core does no I/O).
    pub fn from_random(bytes: [u8; VERIFY_CODE_LEN]) -> Self {
        let n = CODE_ALPHABET.len();
        VerifyCode(
            bytes
                .iter()
                .map(|b| CODE_ALPHABET[usize::from(*b) % n] as char)
                .collect(),
        )
    }

    /// As typed: case and separators are forgiven; confusable letters are read as the digits.
    pub fn parse(input: &str) -> Option<Self> {
        let code: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        (code.len() == VERIFY_CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b)))
            .then_some(VerifyCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VerifyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A document as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub id: i64,
    pub kind: CertificateKind,
    pub person_id: crate::person::PersonId,
    /// The holder's managing area when applied for: whose queue it is in.
    pub area_code: crate::area::AreaCode,
    pub state: CertificateState,
    pub application: Application,
    pub applied_at: Timestamp,
    pub applied_by: String,
    pub serial: Option<String>,
    pub verify_code: Option<VerifyCode>,
    pub issued_at: Option<Timestamp>,
    pub issued_on: Option<Date>,
    pub valid_until: Option<Date>,
    /// Seconds from the first application to issue, for the monthly assessment.
    pub processing_seconds: Option<i64>,
    pub copies_printed: i64,
    pub delivered: bool,
    /// The document this one replaced (a reissue), and the one that replaced it.
    pub replaces: Option<i64>,
    pub replaced_by: Option<i64>,
    /// The reason of the last return, rejection, reissue or revocation.
    pub reason: Option<String>,
}

impl Certificate {
    /// The verify page's answer on `today`; `None` before issue.
    pub fn validity_on(&self, today: Date) -> Option<Validity> {
        match self.state {
            CertificateState::Issued => Some(match self.valid_until {
                Some(last) if today > last => Validity::Expired,
                _ => Validity::Valid,
            }),
            CertificateState::Revoked => Some(Validity::Revoked),
            CertificateState::Voided => Some(Validity::Voided),
            _ => None,
        }
    }
}

/// The work queues: what waits for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Applied, waiting for the station's review.
    Review,
    /// Issued and not yet printed.
    Print,
    /// Sent back to the applicant for more information.
    Returned,
    /// Printed, waiting to be handed over.
    Deliver,
    /// Everything issued (valid, expired, revoked, void).
    Issued,
    All,
}

impl Queue {
    pub const ALL: [Queue; 6] = [
        Queue::Review,
        Queue::Print,
        Queue::Deliver,
        Queue::Returned,
        Queue::Issued,
        Queue::All,
    ];
    pub fn key(self) -> &'static str {
        match self {
            Queue::Review => "review",
            Queue::Print => "print",
            Queue::Returned => "returned",
            Queue::Deliver => "deliver",
            Queue::Issued => "issued",
            Queue::All => "all",
        }
    }
    pub fn from_key(key: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.key() == key)
    }
}

/// A name as the verify page shows it: the family name's first character and a mask (张**).
pub fn masked_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2026, 11, 28);

    #[test]
    fn steps_follow_the_life_of_a_document() {
        use CertificateState::*;
        assert_eq!(Step::Issue.transition(Applied), Some(Issued));
        assert_eq!(Step::Return.transition(Applied), Some(Returned));
        assert_eq!(Step::Resubmit.transition(Returned), Some(Applied));
        assert_eq!(Step::Reissue.transition(Issued), Some(Voided));
        assert_eq!(Step::Revoke.transition(Issued), Some(Revoked));
        for done in [Rejected, Voided, Revoked] {
            for step in Step::ALL {
                assert_eq!(step.transition(done), None, "{step} from {done:?}");
            }
        }
        assert_eq!(Step::Issue.transition(Returned), None);
        assert_eq!(Step::Print.transition(Applied), None);
    }

    #[test]
    fn validity_ends_on_the_last_day_printed() {
        let until = valid_until(CertificateKind::MigrantCertificate, TODAY).unwrap();
        assert_eq!(until, date(2029, 11, 27));
        assert_eq!(valid_until(CertificateKind::BirthRegistration, TODAY), None);
        assert_eq!(
            serial(CertificateKind::ReproductiveHealthCard, 2026, 42),
            "SB2026000042"
        );
    }

    #[test]
    fn verification_codes_read_back_as_typed() {
        let code = VerifyCode::from_random([7; VERIFY_CODE_LEN]);
        assert_eq!(code.as_str().len(), VERIFY_CODE_LEN);
        assert_eq!(
            VerifyCode::parse(&code.as_str().to_lowercase()),
            Some(code.clone())
        );
        assert_eq!(
            VerifyCode::parse("abcd-efgh-jk").map(|c| c.to_string()),
            Some("ABCDEFGHJK".into())
        );
        // O and I are read as 0 and 1, which the alphabet leaves out: not a code.
        assert_eq!(VerifyCode::parse("ABCDEFGHJO"), None);
        assert_eq!(VerifyCode::parse("SHORT"), None);
        assert_eq!(masked_name("欧阳娜娜"), "欧***");
        assert_eq!(masked_name("王𪚥"), "王*");
    }
}
