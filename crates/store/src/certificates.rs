//! The certificates' workflow: application, review and issue, print, delivery, reissue and
//! revocation. The rules are core's (`renkou_core::certificate::decide`); here is the door that
//! carries them out: every step is read, decided and written in one transaction with its audit
//! row, allowed or denied; out of reach reads as not found; and it is written on the document's
//! history (which the holder's timeline shows).

use jiff::Timestamp;
use jiff::civil::Date;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::certificate::{self, Application, Certificate, Check, Refusal, Step, Validity};
use renkou_core::{Action, Actor, CertificateKind, CertificateState, Person, PersonId};

use crate::accounts::stamp;
use crate::{Result, Store, StoreError, now};

mod queues;
mod rows;
mod steps;

use rows::{corrupt, not_found};

/// What a step asks beyond the document, and the most copies one print may make: decided in
/// core with the rest of the rules.
pub use renkou_core::certificate::{MAX_COPIES, StepInput};

/// One row of a document's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateStep {
    pub certificate_id: i64,
    pub step: Step,
    pub at: Timestamp,
    pub username: String,
    pub note: Option<String>,
}

/// A line of a work queue: the document and whose it is (the name as lists show it).
#[derive(Debug, Clone)]
pub struct CertificateListItem {
    pub certificate: Certificate,
    pub holder_name: String,
}

/// A document opened by someone who may see it: the holder's record, the history, and the
/// review's checks (while it waits for review).
#[derive(Debug, Clone)]
pub struct CertificateView {
    pub certificate: Certificate,
    pub holder: Person,
    /// The holder's spouse when linked on this register, and the children recorded.
    pub spouse: Option<Person>,
    pub children: u32,
    pub steps: Vec<CertificateStep>,
    pub checks: Vec<Check>,
    /// The serial of the document this one replaced, for the paper's reissue line.
    pub replaces_serial: Option<String>,
}

/// What the public verify page may say: nothing more than it takes to match the paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDocument {
    pub kind: CertificateKind,
    pub serial: String,
    pub masked_name: String,
    pub issued_on: Date,
    pub valid_until: Option<Date>,
    pub validity: Validity,
}

/// A period's issued documents, for the station's records (`renkou certificates export`).
#[derive(Debug, Clone)]
pub struct IssuedRecord {
    pub certificate: Certificate,
    pub holder_name: String,
    pub holder_id_masked: Option<String>,
}

impl Store {
    /// Takes an application for a person the account may see.
    pub fn apply_certificate(
        &mut self,
        actor: &Actor,
        person_id: PersonId,
        kind: CertificateKind,
        application: Application,
        today: Date,
    ) -> Result<Certificate> {
        let action = AuditAction::CertificateApply;
        if !actor.scope.allows(Action::ApplyCertificate(kind)) {
            return Err(self.deny(
                actor,
                action,
                "certificate",
                None,
                StoreError::Denied(format!("申请{}", kind.name_zh())),
            ));
        }
        let application = application
            .for_kind(kind, today)
            .map_err(StoreError::Rejected)?;
        let outcome = self.transaction(|tx| {
            let person = match tx.db.person(person_id)? {
                Some(p) if actor.scope.covers(&p.data) => p,
                Some(_) => return Ok(Err(AuditResult::Denied)),
                None => return Ok(Err(AuditResult::Failed)),
            };
            let held = tx.db.query(
                "SELECT id, state FROM certificates WHERE person_id = ?1 AND kind = ?2 ORDER BY id",
                &[person_id.0.into(), kind.code().into()],
            )?;
            let held = held
                .iter()
                .map(|r| {
                    let state = CertificateState::parse(&r[1].text().unwrap_or_default())
                        .map_err(|_| corrupt("状态"))?;
                    Ok((r[0].int().unwrap_or_default(), state))
                })
                .collect::<Result<Vec<_>>>()?;
            certificate::may_apply(kind, &held).map_err(|e| StoreError::Rejected(vec![e]))?;
            let at = now();
            let json = serde_json::to_string(&application)
                .map_err(|e| StoreError::Database(e.to_string()))?;
            let rows = tx.db.query(
                "INSERT INTO certificates (kind, person_id, area_code, state, application, \
                 applied_at, applied_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                &[
                    kind.code().into(),
                    person_id.0.into(),
                    person.data.managing_area().as_str().into(),
                    CertificateState::Applied.code().into(),
                    json.into(),
                    stamp(at).into(),
                    actor.username.as_str().into(),
                ],
            )?;
            let id = rows
                .first()
                .and_then(|r| r[0].int())
                .ok_or_else(|| corrupt("编号"))?;
            let c = tx.certificate(id)?.ok_or_else(|| not_found(id))?;
            tx.add_step(&c, Step::Apply, actor, at, application.note.clone())?;
            tx.audit(
                actor
                    .entry(action, "certificate", AuditResult::Ok)
                    .object(id)
                    .detail(format!("kind={} person={}", kind.code(), person_id)),
            )?;
            Ok(Ok(c))
        })?;
        outcome.or_else(|result| {
            let mut entry = actor.entry(action, "person", result).object(person_id);
            if result == AuditResult::Failed {
                entry = entry.detail("not_found");
            }
            self.audit(entry)?;
            Err(StoreError::NotFound(format!("人口记录 {person_id}")))
        })
    }

    /// Opens a document for someone who may see it (an audited view: it shows the holder's
    /// data). Out of reach reads as not found.
    pub fn certificate_as(
        &mut self,
        actor: &Actor,
        id: i64,
        today: Date,
    ) -> Result<CertificateView> {
        let action = AuditAction::CertificateView;
        if !actor.scope.allows(Action::ViewCertificates) {
            return Err(self.deny(
                actor,
                action,
                "certificate",
                Some(id.to_string()),
                StoreError::Denied("证件".into()),
            ));
        }
        let outcome = self.transaction(|tx| {
            let Some(c) = tx.certificate(id)? else {
                return Ok(Err(None));
            };
            let holder = tx
                .db
                .person(c.person_id)?
                .ok_or_else(|| corrupt("持证人"))?;
            if !certificate::reaches(&actor.scope, &c, &holder.data) {
                return Ok(Err(Some(Refusal::OutOfReach)));
            }
            let facts = tx.facts(holder)?;
            let view = tx.view(c, facts, today)?;
            tx.audit(
                actor
                    .entry(action, "certificate", AuditResult::Ok)
                    .object(id),
            )?;
            Ok(Ok(view))
        })?;
        outcome.or_else(|refusal| self.refuse_certificate(actor, action, id, refusal))
    }

    /// Answers a refusal at the door: a document that does not exist, or one out of reach,
    /// reads as not found; a step the role lacks is forbidden; both are audited. A step that
    /// does not fit the document is answered with its reasons (`None`: no such document).
    fn refuse_certificate<T>(
        &mut self,
        actor: &Actor,
        action: AuditAction,
        id: i64,
        refusal: Option<Refusal>,
    ) -> Result<T> {
        let entry = |result| actor.entry(action, "certificate", result).object(id);
        match refusal {
            None => {
                self.audit(entry(AuditResult::Failed).detail("not_found"))?;
                Err(not_found(id))
            }
            Some(Refusal::OutOfReach) => {
                self.audit(entry(AuditResult::Denied))?;
                Err(not_found(id))
            }
            Some(Refusal::Denied(what)) => Err(self.deny(
                actor,
                action,
                "certificate",
                Some(id.to_string()),
                StoreError::Denied(what.into()),
            )),
            Some(Refusal::Invalid(errors)) => Err(StoreError::Rejected(errors)),
        }
    }
}
