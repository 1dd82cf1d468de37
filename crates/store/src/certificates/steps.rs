//! The door every step of a document's life goes through, printing included: the role before
//! the document is read, then in one transaction the document and its holder's facts read,
//! core's decision asked, and the decision written with its audit row. Nothing here decides.

use jiff::civil::Date;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::certificate::{self, Certificate, Change, Decision, Moment, Step, StepInput};
use renkou_core::{Actor, CertificateState};

use super::CertificateView;
use super::rows::{corrupt, not_found};
use crate::accounts::stamp;
use crate::{Result, Store, StoreError, Tx, now};

impl Store {
    /// Takes one step of a document's life. Returns the document as it is after the step; for
    /// a reissue, the new document.
    pub fn certificate_step(
        &mut self,
        actor: &Actor,
        id: i64,
        step: Step,
        input: StepInput,
        today: Date,
    ) -> Result<Certificate> {
        let action = AuditAction::of_step(step);
        // Refused before the document is read: a step the role lacks is forbidden whether or
        // not the document exists.
        if let Err(refusal) = certificate::admit(&actor.scope, step, &input) {
            return self.refuse_certificate(actor, action, id, Some(refusal));
        }
        let outcome = self.transaction(|tx| {
            let Some(c) = tx.certificate(id)? else {
                return Ok(Err(None));
            };
            let holder = tx
                .db
                .person(c.person_id)?
                .ok_or_else(|| corrupt("持证人"))?;
            let facts = tx.facts(holder)?;
            let now = Moment { today, at: now() };
            match certificate::decide(&c, &facts, step, &input, &actor.scope, now) {
                Ok(decision) => tx.carry_out(actor, &c, &decision, now).map(Ok),
                Err(refusal) => Ok(Err(Some(refusal))),
            }
        })?;
        outcome.or_else(|refusal| self.refuse_certificate(actor, action, id, refusal))
    }

    /// Opens a document to print `copies` of it. The print is decided exactly as the print
    /// step will decide it (role, reach, an issued and valid document, the copies), and refused
    /// at this door the same way; allowed, it is an audited view (the paper shows the holder's
    /// data). The print itself is recorded by the print step once the paper exists.
    pub fn certificate_to_print(
        &mut self,
        actor: &Actor,
        id: i64,
        copies: u32,
        today: Date,
    ) -> Result<CertificateView> {
        let action = AuditAction::CertificatePrint;
        let input = StepInput {
            copies: Some(copies),
            ..StepInput::default()
        };
        if let Err(refusal) = certificate::admit(&actor.scope, Step::Print, &input) {
            return self.refuse_certificate(actor, action, id, Some(refusal));
        }
        let outcome = self.transaction(|tx| {
            let Some(c) = tx.certificate(id)? else {
                return Ok(Err(None));
            };
            let holder = tx
                .db
                .person(c.person_id)?
                .ok_or_else(|| corrupt("持证人"))?;
            let facts = tx.facts(holder)?;
            let now = Moment { today, at: now() };
            if let Err(refusal) =
                certificate::decide(&c, &facts, Step::Print, &input, &actor.scope, now)
            {
                return Ok(Err(Some(refusal)));
            }
            let view = tx.view(c, facts, today)?;
            tx.audit(
                actor
                    .entry(AuditAction::CertificateView, "certificate", AuditResult::Ok)
                    .object(id),
            )?;
            Ok(Ok(view))
        })?;
        outcome.or_else(|refusal| self.refuse_certificate(actor, action, id, refusal))
    }

    /// Keeps in the trail that an allowed print did not come out (a font to install, a
    /// character no font has); nothing is recorded on the document.
    pub fn certificate_print_failed(&mut self, actor: &Actor, id: i64) -> Result<()> {
        self.audit(
            actor
                .entry(
                    AuditAction::CertificatePrint,
                    "certificate",
                    AuditResult::Failed,
                )
                .object(id)
                .detail("render_failed"),
        )
    }
}

impl Tx<'_> {
    /// Writes a decision: what it changes on the document, its history line and its audit
    /// row. Returns the document after the step; for a reissue, the replacement.
    fn carry_out(
        &mut self,
        actor: &Actor,
        c: &Certificate,
        decision: &Decision,
        now: Moment,
    ) -> Result<Certificate> {
        let id = c.id;
        let mut new_serial = None;
        let mut answer = id;
        match &decision.change {
            Change::State { reason } => self.set_state(id, decision.state, reason.clone())?,
            Change::Resubmit { application } => {
                if let Some(app) = application {
                    let json = serde_json::to_string(app)
                        .map_err(|e| StoreError::Database(e.to_string()))?;
                    self.db.exec(
                        "UPDATE certificates SET application = ?2 WHERE id = ?1",
                        &[id.into(), json.into()],
                    )?;
                }
                self.set_state(id, decision.state, None)?;
            }
            Change::Issue(issuance) => {
                new_serial = Some(self.issue(id, c.kind, issuance)?);
            }
            Change::Print { copies } => {
                self.db.exec(
                    "UPDATE certificates SET copies_printed = copies_printed + ?2 WHERE id = ?1",
                    &[id.into(), i64::from(*copies).into()],
                )?;
            }
            Change::Deliver => {
                self.db.exec(
                    "UPDATE certificates SET delivered = ?2 WHERE id = ?1",
                    &[id.into(), true.into()],
                )?;
            }
            Change::Reissue {
                reason,
                replacement,
                replacement_note,
                replacement_audit_detail,
            } => {
                let json = serde_json::to_string(&c.application)
                    .map_err(|e| StoreError::Database(e.to_string()))?;
                let rows = self.db.query(
                    "INSERT INTO certificates (kind, person_id, area_code, state, \
                     application, applied_at, applied_by, replaces) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                    &[
                        c.kind.code().into(),
                        c.person_id.0.into(),
                        c.area_code.as_str().into(),
                        CertificateState::Applied.code().into(),
                        json.into(),
                        stamp(now.at).into(),
                        actor.username.as_str().into(),
                        id.into(),
                    ],
                )?;
                let new_id = rows
                    .first()
                    .and_then(|r| r[0].int())
                    .ok_or_else(|| corrupt("编号"))?;
                new_serial = Some(self.issue(new_id, c.kind, replacement)?);
                self.db.exec(
                    "UPDATE certificates SET state = ?2, reason = ?3, replaced_by = ?4 WHERE id = ?1",
                    &[
                        id.into(),
                        decision.state.code().into(),
                        reason.clone().into(),
                        new_id.into(),
                    ],
                )?;
                let new = self.certificate(new_id)?.ok_or_else(|| not_found(new_id))?;
                self.add_step(
                    &new,
                    Step::Issue,
                    actor,
                    now.at,
                    Some(replacement_note.clone()),
                )?;
                self.audit(
                    actor
                        .entry(
                            AuditAction::CertificateIssue,
                            "certificate",
                            AuditResult::Ok,
                        )
                        .object(new_id)
                        .detail(replacement_audit_detail.clone()),
                )?;
                answer = new_id;
            }
        }
        self.add_step(
            c,
            decision.step,
            actor,
            now.at,
            decision.note(new_serial.as_deref()),
        )?;
        let mut entry = actor
            .entry(
                AuditAction::of_step(decision.step),
                "certificate",
                AuditResult::Ok,
            )
            .object(id);
        if let Some(detail) = &decision.audit_detail {
            entry = entry.detail(detail.clone());
        }
        self.audit(entry)?;
        self.certificate(answer)?.ok_or_else(|| not_found(answer))
    }
}
