//! The rules of a document's life, decided once: who may take which step on which document, in
//! which state, with what input; and what the step changes and records. The store carries a
//! decision out at its door (one transaction with its audit row, allowed or denied); the pages,
//! the API and the CLI only translate it. Printing is decided here too, as the `Print` step.

use jiff::Timestamp;
use jiff::civil::Date;

use super::{
    Application, Certificate, CheckOutcome, Queue, RegisterFacts, Step, Validity, approvable,
    review_checks, valid_until,
};
use crate::access::{Action, Scope};
use crate::codes::{CertificateKind, CertificateState};
use crate::person::{FieldError, PersonData};

/// The most copies one print may make: a form is printed once or twice, not by the hundred.
pub const MAX_COPIES: u32 = 10;

/// The longest reason a step may carry.
const MAX_REASON: usize = 500;

/// What a step asks beyond the document: a reason, a number of copies, new application data.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub reason: Option<String>,
    pub copies: Option<u32>,
    /// On resubmission: the corrected application (None keeps it).
    pub application: Option<Application>,
}

/// When a step is taken: the day (for validity and the serial's year) and the moment (for the
/// history and the time from application to issue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub today: Date,
    pub at: Timestamp,
}

/// Why a step is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The role table does not give the actor this step (the step's name): refused as
    /// forbidden, and audited as denied.
    Denied(&'static str),
    /// The document is out of the actor's reach: it reads exactly like one that does not
    /// exist, and is audited as denied.
    OutOfReach,
    /// The step does not fit the document's state or what came with it: why, field by field.
    Invalid(Vec<FieldError>),
}

fn invalid(field: &'static str, message: impl std::fmt::Display) -> Refusal {
    Refusal::Invalid(vec![FieldError::new(field, message)])
}

/// A document issued: its serial is drawn by the store from the kind's sequence for the year
/// of `issued_on`, with a random verification code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issuance {
    pub issued_at: Timestamp,
    pub issued_on: Date,
    pub valid_until: Option<Date>,
    /// Seconds from the application to the issue; none for a reissue.
    pub processing_seconds: Option<i64>,
}

impl Issuance {
    /// The year whose sequence the serial comes from.
    pub fn year(&self) -> i16 {
        self.issued_on.year()
    }
}

/// What a step changes on the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The new state, with the reason written on the document (return, reject, revoke).
    State { reason: Option<String> },
    /// Back to review: the corrected application when one came (None keeps it); the last
    /// reason is cleared.
    Resubmit { application: Option<Application> },
    /// Approved: the document is issued.
    Issue(Issuance),
    /// Copies added to the count printed.
    Print { copies: u32 },
    /// Handed over.
    Deliver,
    /// A new document (the same application and validity) replaces this one, which becomes
    /// void with the reason and the replacement's id.
    Reissue {
        reason: Option<String>,
        replacement: Issuance,
        /// The replacement's own history line (its `Issue` step).
        replacement_note: String,
        /// The replacement's audit detail (its `certificate.issue` row).
        replacement_audit_detail: String,
    },
}

/// The history line of the step: fixed, or waiting for the serial the store draws.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Note {
    Text(Option<String>),
    /// The text, then the new serial.
    BeforeNewSerial(String),
}

/// A step allowed: the state it leaves, what it changes, and what it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub step: Step,
    /// The document's state after the step.
    pub state: CertificateState,
    pub change: Change,
    note: Note,
    /// The audit row's detail: references only (the serial, the copies), never the holder's
    /// data.
    pub audit_detail: Option<String>,
}

impl Decision {
    /// The line written on the document's history (and the holder's timeline). `new_serial`
    /// is the serial the store drew for an issue or a reissue.
    pub fn note(&self, new_serial: Option<&str>) -> Option<String> {
        match &self.note {
            Note::Text(text) => text.clone(),
            Note::BeforeNewSerial(before) => Some(format!("{before}{}", new_serial.unwrap_or(""))),
        }
    }
}

/// The action of the role table a step needs; `None` for applying, which is not a step taken
/// on an existing document. Resubmitting and withdrawing are the applicant's: they also need
/// the kind's applicants (checked once the document is read).
pub fn step_action(step: Step) -> Option<Action> {
    match step {
        Step::Apply => None,
        Step::Return | Step::Reject | Step::Issue => Some(Action::ReviewCertificate),
        Step::Print | Step::Deliver => Some(Action::PrintCertificate),
        Step::Reissue | Step::Revoke => Some(Action::ReissueOrRevokeCertificate),
        Step::Resubmit | Step::Withdraw => Some(Action::ViewCertificates),
    }
}

/// What is refused before the document is read: applying (not a step on a document), a role
/// without the step (so a forbidden step is forbidden whether or not the document exists), and
/// a reason missing or too long. Returns the reason, trimmed.
pub fn admit(scope: &Scope, step: Step, input: &StepInput) -> Result<Option<String>, Refusal> {
    let Some(action) = step_action(step) else {
        return Err(invalid("step", "申请请用 apply_certificate"));
    };
    if !scope.allows(action) {
        return Err(Refusal::Denied(step.name_zh()));
    }
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if step.needs_reason() && reason.is_none() {
        return Err(invalid("reason", format!("{}需要写明原因", step.name_zh())));
    }
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON)
    {
        return Err(invalid("reason", format!("原因不能超过 {MAX_REASON} 个字")));
    }
    Ok(reason)
}

/// Whether the actor reaches this document: its area, for a migrant coordinator a migrant
/// holder, and a birth registration (it tells of a pregnancy) only with the health data.
/// Administrators reach none.
pub fn reaches(scope: &Scope, doc: &Certificate, holder: &PersonData) -> bool {
    !scope.role.is_administrator()
        && (doc.kind != CertificateKind::BirthRegistration || scope.allows(Action::ViewHealth))
        && scope.covers_area(&doc.area_code)
        && scope
            .role
            .population()
            .is_none_or(|types| types.contains(&holder.population_type))
}

/// What the document's state and the role decide, whatever the input: the kind's applicants
/// for a resubmission, the step from this state, an expired document, a delivery's print.
/// Returns the state the step leaves.
fn fits(
    doc: &Certificate,
    step: Step,
    scope: &Scope,
    today: Date,
) -> Result<CertificateState, Refusal> {
    // In reach, but not this role's kind to apply for: refused, not hidden.
    if matches!(step, Step::Resubmit | Step::Withdraw)
        && !scope.allows(Action::ApplyCertificate(doc.kind))
    {
        return Err(Refusal::Denied(step.name_zh()));
    }
    let Some(next) = step.transition(doc.state) else {
        return Err(invalid(
            "step",
            format!(
                "此证件当前为“{}”，不能{}",
                doc.state.name_zh(),
                step.name_zh()
            ),
        ));
    };
    if matches!(step, Step::Print | Step::Deliver | Step::Reissue)
        && doc.validity_on(today) == Some(Validity::Expired)
    {
        return Err(invalid(
            "step",
            "此证件已过有效期，不能打印、送达或补发；请重新申请",
        ));
    }
    if step == Step::Deliver {
        if doc.copies_printed == 0 {
            return Err(invalid("step", "证件还没有打印，不能送达"));
        }
        if doc.delivered {
            return Err(invalid("step", "证件已经送达"));
        }
    }
    Ok(next)
}

/// Whether a page offers this step on this document to this actor (who reaches it): the role
/// and the state allow it; the input (a reason, copies, the review's checks) is asked then.
pub fn offers(doc: &Certificate, step: Step, scope: &Scope, today: Date) -> bool {
    step_action(step).is_some_and(|a| scope.allows(a)) && fits(doc, step, scope, today).is_ok()
}

/// The kinds of document this actor takes applications for (none: it applies for nothing).
pub fn kinds_to_apply(scope: &Scope) -> Vec<CertificateKind> {
    CertificateKind::ALL
        .iter()
        .copied()
        .filter(|k| scope.allows(Action::ApplyCertificate(*k)))
        .collect()
}

impl Queue {
    /// The queue an actor's list opens on: the one that waits for its role.
    pub fn opening_for(scope: &Scope) -> Queue {
        if scope.allows(Action::ReviewCertificate) {
            Queue::Review
        } else if scope.allows(Action::PrintCertificate) {
            Queue::Print
        } else {
            Queue::Returned
        }
    }
}

impl Queue {
    /// The queue a list opens on, given how many wait in each: the role's own; a centre's
    /// empty print queue gives way to the hand-over queue when that has work (the window
    /// prints and hands over, in that order).
    pub fn opening(scope: &Scope, counts: &[(Queue, u64)]) -> Queue {
        let own = Queue::opening_for(scope);
        let waiting = |q: Queue| counts.iter().any(|(k, n)| *k == q && *n > 0);
        if own == Queue::Print && !waiting(Queue::Print) && waiting(Queue::Deliver) {
            Queue::Deliver
        } else {
            own
        }
    }
}

/// Whether a new application of this kind may be taken for a person, given the documents of
/// the kind the person already has (id and state, oldest first). An open application is
/// continued, not doubled; a document held is reissued, not applied for again, except a birth
/// registration, made for each child.
pub fn may_apply(
    kind: CertificateKind,
    held: &[(i64, CertificateState)],
) -> Result<(), FieldError> {
    use CertificateState::*;
    for (id, state) in held {
        match state {
            Applied | Returned => {
                return Err(FieldError::new(
                    "kind",
                    format!(
                        "此人已有一份未办结的{}申请（第 {id} 号），请在原申请上继续办理",
                        kind.name_zh()
                    ),
                ));
            }
            Issued if kind != CertificateKind::BirthRegistration => {
                return Err(FieldError::new(
                    "kind",
                    format!(
                        "此人已持有有效的{}（第 {id} 号）；遗失或损坏的请办理补发",
                        kind.name_zh()
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Decides one step of a document's life: the document as it is, what the register says about
/// its holder (`facts.person`), the step and its input, the actor, and when. Allowed: the new
/// state, what changes and what to record. Refused: why.
pub fn decide(
    doc: &Certificate,
    facts: &RegisterFacts,
    step: Step,
    input: &StepInput,
    scope: &Scope,
    now: Moment,
) -> Result<Decision, Refusal> {
    let reason = admit(scope, step, input)?;
    if !reaches(scope, doc, &facts.person.data) {
        return Err(Refusal::OutOfReach);
    }
    let state = fits(doc, step, scope, now.today)?;
    let serial = doc.serial.clone().unwrap_or_default();
    let mut note = Note::Text(reason.clone());
    let change = match step {
        Step::Return | Step::Reject | Step::Revoke | Step::Withdraw => Change::State {
            reason: reason.clone(),
        },
        Step::Resubmit => {
            let application = match input.application.clone() {
                Some(app) => {
                    let app = app
                        .for_kind(doc.kind, now.today)
                        .map_err(Refusal::Invalid)?;
                    note = Note::Text(app.note.clone());
                    Some(app)
                }
                None => None,
            };
            Change::Resubmit { application }
        }
        Step::Issue => {
            let checks = review_checks(doc.kind, facts, &doc.application, now.today);
            if !approvable(&checks) {
                let missing: Vec<_> = checks
                    .iter()
                    .filter(|c| c.outcome == CheckOutcome::Missing)
                    .map(|c| c.message.clone())
                    .collect();
                return Err(invalid(
                    "checks",
                    format!("还不能批准：{}。请退回补充", missing.join("；")),
                ));
            }
            note = Note::BeforeNewSerial("证号 ".into());
            Change::Issue(Issuance {
                issued_at: now.at,
                issued_on: now.today,
                valid_until: valid_until(doc.kind, now.today),
                processing_seconds: Some(now.at.as_second() - doc.applied_at.as_second()),
            })
        }
        Step::Print => {
            let copies = input.copies.unwrap_or(1);
            if !(1..=MAX_COPIES).contains(&copies) {
                return Err(invalid("copies", format!("份数应为 1 到 {MAX_COPIES}")));
            }
            note = Note::Text(Some(format!("证号 {serial}，{copies} 份")));
            Change::Print { copies }
        }
        Step::Deliver => Change::Deliver,
        Step::Reissue => {
            // The new document keeps the application and the validity; the old serial is void
            // from now on.
            note =
                Note::BeforeNewSerial(format!("{}；新证号 ", reason.clone().unwrap_or_default()));
            Change::Reissue {
                reason: reason.clone(),
                replacement: Issuance {
                    issued_at: now.at,
                    issued_on: now.today,
                    valid_until: doc.valid_until,
                    processing_seconds: None,
                },
                replacement_note: format!("补发，原证号 {serial} 作废"),
                replacement_audit_detail: format!("reissue_of={}", doc.id),
            }
        }
        Step::Apply => unreachable!("admit refuses applying"),
    };
    let audit_detail = doc.serial.as_ref().map(|s| match &change {
        Change::Print { copies } => format!("serial={s} copies={copies}"),
        _ => format!("serial={s}"),
    });
    Ok(Decision {
        step,
        state,
        change,
        note,
        audit_detail,
    })
}

#[cfg(test)]
mod tests;
