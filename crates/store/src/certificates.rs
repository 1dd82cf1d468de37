//! The certificates' workflow: application, review and issue, print, delivery, reissue and
//! revocation. Every step checks the role table and the holder's area, is one transaction with
//! its audit row, and is written on the document's history (which the holder's timeline shows).

use jiff::Timestamp;
use jiff::civil::Date;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::certificate::{
    self, Application, Certificate, Check, Queue, RegisterFacts, Step, Validity, VerifyCode,
};
use renkou_core::{
    Action, Actor, AreaCode, CertificateKind, CertificateState, EventKind, Person, PersonId,
};

use crate::accounts::stamp;
use crate::db::{Db, SqlValue};
use crate::{Result, Store, StoreError, Tx, now};

const CERTIFICATE_COLUMNS: &str = "c.id, c.kind, c.person_id, c.area_code, c.state, \
    c.application, c.applied_at, c.applied_by, c.serial, c.verify_code, c.issued_at, \
    c.issued_on, c.valid_until, c.processing_seconds, c.copies_printed, c.delivered, \
    c.replaces, c.replaced_by, c.reason";

/// The most copies one print may make: a form is printed once or twice, not by the hundred.
pub const MAX_COPIES: u32 = 10;

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

/// What a step asks beyond the document: a reason, a number of copies, new application data.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub reason: Option<String>,
    pub copies: Option<u32>,
    /// On resubmission: the corrected application (None keeps it).
    pub application: Option<Application>,
}

/// A period's issued documents, for the station's records (`renkou certificates export`).
#[derive(Debug, Clone)]
pub struct IssuedRecord {
    pub certificate: Certificate,
    pub holder_name: String,
    pub holder_id_masked: Option<String>,
}

fn bad(what: &str) -> StoreError {
    StoreError::Database(format!("证件表中的{what}无效"))
}

fn date(v: &SqlValue) -> Option<Date> {
    v.text().and_then(|t| t.parse().ok())
}

fn certificate_from(r: &[SqlValue]) -> Result<Certificate> {
    let text = |i: usize| r[i].text().unwrap_or_default();
    Ok(Certificate {
        id: r[0].int().ok_or_else(|| bad("编号"))?,
        kind: CertificateKind::parse(&text(1)).map_err(|_| bad("证件类型"))?,
        person_id: PersonId(r[2].int().ok_or_else(|| bad("持证人"))?),
        area_code: AreaCode::parse(&text(3)).map_err(|_| bad("区划"))?,
        state: CertificateState::parse(&text(4)).map_err(|_| bad("状态"))?,
        application: serde_json::from_str(&text(5)).map_err(|_| bad("申请内容"))?,
        applied_at: text(6).parse().map_err(|_| bad("申请时间"))?,
        applied_by: text(7),
        serial: r[8].text(),
        verify_code: r[9].text().and_then(|c| VerifyCode::parse(&c)),
        issued_at: r[10].text().and_then(|t| t.parse().ok()),
        issued_on: date(&r[11]),
        valid_until: date(&r[12]),
        processing_seconds: r[13].int(),
        copies_printed: r[14].int().unwrap_or_default(),
        delivered: r[15].bool(),
        replaces: r[16].int(),
        replaced_by: r[17].int(),
        reason: r[18].text(),
    })
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("证件 {id}"))
}

fn reason_of(step: Step, input: &StepInput) -> Result<Option<String>> {
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if step.needs_reason() && reason.is_none() {
        return Err(StoreError::rejected(
            "reason",
            format!("{}需要写明原因", step.name_zh()),
        ));
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(StoreError::rejected("reason", "原因不能超过 500 个字"));
    }
    Ok(reason)
}

impl Tx<'_> {
    fn certificate(&mut self, id: i64) -> Result<Option<Certificate>> {
        let sql = format!("SELECT {CERTIFICATE_COLUMNS} FROM certificates c WHERE c.id = ?1");
        self.db
            .query(&sql, &[id.into()])?
            .first()
            .map(|r| certificate_from(r))
            .transpose()
    }

    fn add_step(
        &mut self,
        c: &Certificate,
        step: Step,
        actor: &Actor,
        at: Timestamp,
        note: Option<String>,
    ) -> Result<()> {
        self.db.exec(
            "INSERT INTO certificate_steps \
             (certificate_id, person_id, step, at, account_id, username, note) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                c.id.into(),
                c.person_id.0.into(),
                step.key().into(),
                stamp(at).into(),
                actor.scope.account_id.into(),
                actor.username.as_str().into(),
                note.into(),
            ],
        )?;
        Ok(())
    }

    /// The next number of the kind's sequence for the year. The row update serialises
    /// concurrent issuers (SQLite's write lock, PostgreSQL's row lock), so no two get one.
    fn next_serial(&mut self, kind: CertificateKind, year: i16) -> Result<String> {
        self.db.exec(
            "INSERT INTO certificate_sequences (kind, year, last) VALUES (?1, ?2, 0) \
             ON CONFLICT (kind, year) DO NOTHING",
            &[kind.code().into(), i64::from(year).into()],
        )?;
        let rows = self.db.query(
            "UPDATE certificate_sequences SET last = last + 1 \
             WHERE kind = ?1 AND year = ?2 RETURNING last",
            &[kind.code().into(), i64::from(year).into()],
        )?;
        let n = rows
            .first()
            .and_then(|r| r[0].int())
            .ok_or_else(|| bad("序列"))?;
        Ok(certificate::serial(kind, year, n))
    }

    fn facts(&mut self, person: Person) -> Result<RegisterFacts> {
        let spouse = match person.spouse_id {
            Some(id) => self.db.person(id)?,
            None => None,
        };
        let marriage_recorded = self
            .db
            .events(person.id)?
            .iter()
            .any(|e| matches!(e.kind, EventKind::Marriage | EventKind::Remarriage));
        // Children are linked to their mother on this register.
        let mother = match (person.data.sex, &spouse) {
            (renkou_core::Sex::Female, _) => Some(person.id),
            (_, Some(s)) => Some(s.id),
            _ => None,
        };
        let children = match mother {
            Some(m) => self.db.children_of(m)?,
            None => 0,
        };
        Ok(RegisterFacts {
            person,
            spouse,
            marriage_recorded,
            children,
        })
    }

    fn set_state(
        &mut self,
        id: i64,
        state: CertificateState,
        reason: Option<String>,
    ) -> Result<()> {
        self.db.exec(
            "UPDATE certificates SET state = ?2, reason = ?3 WHERE id = ?1",
            &[id.into(), state.code().into(), reason.into()],
        )?;
        Ok(())
    }

    /// Gives an approved application (or a reissue) its serial, code and validity.
    fn issue(
        &mut self,
        c: &Certificate,
        today: Date,
        at: Timestamp,
        processing_seconds: Option<i64>,
        valid_until: Option<Date>,
    ) -> Result<(String, VerifyCode)> {
        let serial = self.next_serial(c.kind, today.year())?;
        let code = VerifyCode::from_random(rand::random());
        self.db.exec(
            "UPDATE certificates SET state = ?2, serial = ?3, verify_code = ?4, issued_at = ?5, \
             issued_on = ?6, valid_until = ?7, processing_seconds = ?8, reason = NULL \
             WHERE id = ?1",
            &[
                c.id.into(),
                CertificateState::Issued.code().into(),
                serial.as_str().into(),
                code.as_str().into(),
                stamp(at).into(),
                today.to_string().into(),
                valid_until.map(|d| d.to_string()).into(),
                processing_seconds.into(),
            ],
        )?;
        Ok((serial, code))
    }
}

/// Whether the actor reaches this document: its area, for a migrant coordinator a migrant
/// holder, and a birth registration (it tells of a pregnancy) only with the health data.
fn reaches(actor: &Actor, c: &Certificate, holder: &Person) -> bool {
    !actor.scope.role.is_administrator()
        && (c.kind != CertificateKind::BirthRegistration || actor.scope.allows(Action::ViewHealth))
        && actor.scope.covers_area(&c.area_code)
        && actor
            .scope
            .role
            .population()
            .is_none_or(|types| types.contains(&holder.data.population_type))
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
            let open = tx.db.query(
                "SELECT id, state FROM certificates WHERE person_id = ?1 AND kind = ?2 \
                 AND state IN ('applied', 'returned', 'issued') ORDER BY id",
                &[person_id.0.into(), kind.code().into()],
            )?;
            for r in &open {
                let state = r[1].text().unwrap_or_default();
                let id = r[0].int().unwrap_or_default();
                // A birth registration is made for each child; the others are held once.
                if state != "issued" {
                    return Err(StoreError::rejected(
                        "kind",
                        format!(
                            "此人已有一份未办结的{}申请（第 {id} 号），请在原申请上继续办理",
                            kind.name_zh()
                        ),
                    ));
                }
                if kind != CertificateKind::BirthRegistration {
                    return Err(StoreError::rejected(
                        "kind",
                        format!(
                            "此人已持有有效的{}（第 {id} 号）；遗失或损坏的请办理补发",
                            kind.name_zh()
                        ),
                    ));
                }
            }
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
                .ok_or_else(|| bad("编号"))?;
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
    pub fn certificate_for(
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
                return Ok(Err(AuditResult::Failed));
            };
            let holder = tx.db.person(c.person_id)?.ok_or_else(|| bad("持证人"))?;
            if !reaches(actor, &c, &holder) {
                return Ok(Err(AuditResult::Denied));
            }
            let steps = steps_where(tx.db, "certificate_id", id)?;
            let facts = tx.facts(holder.clone())?;
            let checks = if matches!(
                c.state,
                CertificateState::Applied | CertificateState::Returned
            ) {
                certificate::review_checks(c.kind, &facts, &c.application, today)
            } else {
                Vec::new()
            };
            let replaces_serial = match c.replaces {
                Some(old) => tx.certificate(old)?.and_then(|o| o.serial),
                None => None,
            };
            tx.audit(
                actor
                    .entry(action, "certificate", AuditResult::Ok)
                    .object(id),
            )?;
            Ok(Ok(CertificateView {
                certificate: c,
                holder,
                spouse: facts.spouse,
                children: facts.children,
                steps,
                checks,
                replaces_serial,
            }))
        })?;
        outcome.or_else(|result| self.refuse_certificate(actor, action, id, result))
    }

    fn refuse_certificate<T>(
        &mut self,
        actor: &Actor,
        action: AuditAction,
        id: i64,
        result: AuditResult,
    ) -> Result<T> {
        let mut entry = actor.entry(action, "certificate", result).object(id);
        if result == AuditResult::Failed {
            entry = entry.detail("not_found");
        }
        self.audit(entry)?;
        Err(not_found(id))
    }

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
        let needed = match step {
            Step::Apply => {
                return Err(StoreError::rejected("step", "申请请用 apply_certificate"));
            }
            Step::Return | Step::Reject | Step::Issue => Action::ReviewCertificate,
            Step::Print | Step::Deliver => Action::PrintCertificate,
            Step::Reissue | Step::Revoke => Action::ReissueOrRevokeCertificate,
            // Resubmitting is the applicant's: checked against the kind below.
            Step::Resubmit => Action::ViewCertificates,
        };
        if !actor.scope.allows(needed) {
            return Err(self.deny(
                actor,
                action,
                "certificate",
                Some(id.to_string()),
                StoreError::Denied(step.name_zh().into()),
            ));
        }
        let reason = reason_of(step, &input)?;
        let outcome = self.transaction(|tx| {
            let Some(c) = tx.certificate(id)? else {
                return Ok(Err(AuditResult::Failed));
            };
            let holder = tx.db.person(c.person_id)?.ok_or_else(|| bad("持证人"))?;
            if !reaches(actor, &c, &holder) {
                return Ok(Err(AuditResult::Denied));
            }
            // In reach, but not this role's kind to apply for: refused, not hidden.
            if step == Step::Resubmit && !actor.scope.allows(Action::ApplyCertificate(c.kind)) {
                return Err(StoreError::Denied(step.name_zh().into()));
            }
            let Some(next) = step.transition(c.state) else {
                return Err(StoreError::rejected(
                    "step",
                    format!("此证件当前为“{}”，不能{}", c.state.name_zh(), step.name_zh()),
                ));
            };
            let at = now();
            let validity = c.validity_on(today);
            if matches!(step, Step::Print | Step::Deliver | Step::Reissue)
                && validity == Some(Validity::Expired)
            {
                return Err(StoreError::rejected(
                    "step",
                    "此证件已过有效期，不能打印、送达或补发；请重新申请",
                ));
            }
            let mut note = reason.clone();
            let mut result = c.clone();
            match step {
                Step::Return | Step::Reject | Step::Revoke => {
                    tx.set_state(id, next, reason.clone())?;
                }
                Step::Resubmit => {
                    if let Some(app) = input.application.clone() {
                        let app = app.for_kind(c.kind, today).map_err(StoreError::Rejected)?;
                        let json = serde_json::to_string(&app)
                            .map_err(|e| StoreError::Database(e.to_string()))?;
                        tx.db.exec(
                            "UPDATE certificates SET application = ?2 WHERE id = ?1",
                            &[id.into(), json.into()],
                        )?;
                        note = app.note.clone();
                    }
                    tx.set_state(id, next, None)?;
                }
                Step::Issue => {
                    let facts = tx.facts(holder.clone())?;
                    let checks = certificate::review_checks(c.kind, &facts, &c.application, today);
                    if !certificate::approvable(&checks) {
                        let missing: Vec<_> = checks
                            .iter()
                            .filter(|c| c.outcome == certificate::CheckOutcome::Missing)
                            .map(|c| c.message.clone())
                            .collect();
                        return Err(StoreError::rejected(
                            "checks",
                            format!("还不能批准：{}。请退回补充", missing.join("；")),
                        ));
                    }
                    let seconds = at.as_second() - c.applied_at.as_second();
                    let (serial, _) = tx.issue(
                        &c,
                        today,
                        at,
                        Some(seconds),
                        certificate::valid_until(c.kind, today),
                    )?;
                    note = Some(format!("证号 {serial}"));
                }
                Step::Print => {
                    let copies = input.copies.unwrap_or(1);
                    if !(1..=MAX_COPIES).contains(&copies) {
                        return Err(StoreError::rejected(
                            "copies",
                            format!("份数应为 1 到 {MAX_COPIES}"),
                        ));
                    }
                    tx.db.exec(
                        "UPDATE certificates SET copies_printed = copies_printed + ?2 WHERE id = ?1",
                        &[id.into(), i64::from(copies).into()],
                    )?;
                    note = Some(format!(
                        "证号 {}，{copies} 份",
                        c.serial.clone().unwrap_or_default()
                    ));
                }
                Step::Deliver => {
                    if c.copies_printed == 0 {
                        return Err(StoreError::rejected("step", "证件还没有打印，不能送达"));
                    }
                    if c.delivered {
                        return Err(StoreError::rejected("step", "证件已经送达"));
                    }
                    tx.db.exec(
                        "UPDATE certificates SET delivered = ?2 WHERE id = ?1",
                        &[id.into(), true.into()],
                    )?;
                }
                Step::Reissue => {
                    // The new document keeps the application and the validity; the old
                    // serial is void from now on.
                    let json = serde_json::to_string(&c.application)
                        .map_err(|e| StoreError::Database(e.to_string()))?;
                    let rows = tx.db.query(
                        "INSERT INTO certificates (kind, person_id, area_code, state, \
                         application, applied_at, applied_by, replaces) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                        &[
                            c.kind.code().into(),
                            c.person_id.0.into(),
                            c.area_code.as_str().into(),
                            CertificateState::Applied.code().into(),
                            json.into(),
                            stamp(at).into(),
                            actor.username.as_str().into(),
                            id.into(),
                        ],
                    )?;
                    let new_id = rows.first().and_then(|r| r[0].int()).ok_or_else(|| bad("编号"))?;
                    let new = tx.certificate(new_id)?.ok_or_else(|| not_found(new_id))?;
                    let (serial, _) = tx.issue(&new, today, at, None, c.valid_until)?;
                    tx.db.exec(
                        "UPDATE certificates SET state = ?2, reason = ?3, replaced_by = ?4 WHERE id = ?1",
                        &[
                            id.into(),
                            CertificateState::Voided.code().into(),
                            reason.clone().into(),
                            new_id.into(),
                        ],
                    )?;
                    tx.add_step(
                        &new,
                        Step::Issue,
                        actor,
                        at,
                        Some(format!(
                            "补发，原证号 {} 作废",
                            c.serial.clone().unwrap_or_default()
                        )),
                    )?;
                    note = Some(format!(
                        "{}；新证号 {serial}",
                        reason.clone().unwrap_or_default()
                    ));
                    result = tx.certificate(new_id)?.ok_or_else(|| not_found(new_id))?;
                    tx.audit(
                        actor
                            .entry(AuditAction::CertificateIssue, "certificate", AuditResult::Ok)
                            .object(new_id)
                            .detail(format!("reissue_of={id}")),
                    )?;
                }
                Step::Apply => unreachable!("refused above"),
            }
            tx.add_step(&c, step, actor, at, note.clone())?;
            let mut entry = actor.entry(action, "certificate", AuditResult::Ok).object(id);
            if let Some(s) = &c.serial {
                entry = entry.detail(match step {
                    Step::Print => format!("serial={s} copies={}", input.copies.unwrap_or(1)),
                    _ => format!("serial={s}"),
                });
            }
            tx.audit(entry)?;
            if step != Step::Reissue {
                result = tx.certificate(id)?.ok_or_else(|| not_found(id))?;
            }
            Ok(Ok(result))
        });
        let outcome = match outcome {
            Err(StoreError::Denied(what)) => {
                let id = Some(id.to_string());
                return Err(self.deny(actor, action, "certificate", id, StoreError::Denied(what)));
            }
            other => other?,
        };
        outcome.or_else(|result| self.refuse_certificate(actor, action, id, result))
    }

    /// One page of a work queue within the account's reach (names as lists show them).
    pub fn certificates_for(
        &mut self,
        actor: &Actor,
        queue: Queue,
        kind: Option<CertificateKind>,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<CertificateListItem>> {
        if !actor.scope.allows(Action::ViewCertificates) {
            return Err(self.deny(
                actor,
                AuditAction::Access,
                "certificates",
                None,
                StoreError::Denied("证件".into()),
            ));
        }
        let (sql, params) = queue_sql(actor, queue, kind, after, Some(limit), false);
        let rows = self.db.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                Ok(CertificateListItem {
                    certificate: certificate_from(r)?,
                    holder_name: r[19].text().unwrap_or_default(),
                })
            })
            .collect()
    }

    /// How many documents wait in each work queue of the account's reach.
    pub fn queue_counts(&mut self, actor: &Actor) -> Result<Vec<(Queue, u64)>> {
        if !actor.scope.allows(Action::ViewCertificates) {
            return Ok(Vec::new());
        }
        let mut counts = Vec::new();
        for queue in [Queue::Review, Queue::Print, Queue::Deliver, Queue::Returned] {
            let (sql, params) = queue_sql(actor, queue, None, None, None, true);
            let n = self
                .db
                .query(&sql, &params)?
                .first()
                .and_then(|r| r[0].int())
                .unwrap_or_default();
            counts.push((queue, n as u64));
        }
        Ok(counts)
    }

    /// A person's documents and their steps, for the person's page (the person view that shows
    /// them is audited already).
    pub fn certificates_of(
        &mut self,
        person: PersonId,
    ) -> Result<(Vec<Certificate>, Vec<CertificateStep>)> {
        let sql = format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM certificates c WHERE c.person_id = ?1 ORDER BY c.id"
        );
        let docs = self
            .db
            .query(&sql, &[person.0.into()])?
            .iter()
            .map(|r| certificate_from(r))
            .collect::<Result<Vec<_>>>()?;
        let steps = steps_where(self.db.as_mut(), "person_id", person.0)?;
        Ok((docs, steps))
    }

    /// The public verify page's lookup: no account, nothing beyond what matches the paper.
    pub fn verify_certificate(
        &mut self,
        code: &VerifyCode,
        today: Date,
    ) -> Result<Option<VerifiedDocument>> {
        let sql = format!(
            "SELECT {CERTIFICATE_COLUMNS}, p.name FROM certificates c \
             JOIN persons p ON p.id = c.person_id WHERE c.verify_code = ?1"
        );
        let rows = self.db.query(&sql, &[code.as_str().into()])?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        let c = certificate_from(r)?;
        let (Some(serial), Some(issued_on), Some(validity)) =
            (c.serial.clone(), c.issued_on, c.validity_on(today))
        else {
            return Ok(None);
        };
        Ok(Some(VerifiedDocument {
            kind: c.kind,
            serial,
            masked_name: certificate::masked_name(&r[19].text().unwrap_or_default()),
            issued_on,
            valid_until: c.valid_until,
            validity,
        }))
    }

    /// Every document issued in `[from, to]`, reissues included, in issue order.
    pub fn issued_between(&mut self, from: Date, to: Date) -> Result<Vec<IssuedRecord>> {
        let sql = format!(
            "SELECT {CERTIFICATE_COLUMNS}, p.name, p.id_number FROM certificates c \
             JOIN persons p ON p.id = c.person_id \
             WHERE c.issued_on >= ?1 AND c.issued_on <= ?2 ORDER BY c.issued_at, c.id"
        );
        let rows = self
            .db
            .query(&sql, &[from.to_string().into(), to.to_string().into()])?;
        rows.iter()
            .map(|r| {
                Ok(IssuedRecord {
                    certificate: certificate_from(r)?,
                    holder_name: r[19].text().unwrap_or_default(),
                    holder_id_masked: r[20]
                        .text()
                        .and_then(|t| renkou_core::IdNumber::parse(&t).ok())
                        .map(|i| i.masked()),
                })
            })
            .collect()
    }
}

fn steps_where(db: &mut dyn Db, column: &str, id: i64) -> Result<Vec<CertificateStep>> {
    let sql = format!(
        "SELECT certificate_id, step, at, username, note FROM certificate_steps \
         WHERE {column} = ?1 ORDER BY id"
    );
    db.query(&sql, &[id.into()])?
        .iter()
        .map(|r| {
            Ok(CertificateStep {
                certificate_id: r[0].int().unwrap_or_default(),
                step: Step::from_key(&r[1].text().unwrap_or_default())
                    .ok_or_else(|| bad("步骤"))?,
                at: r[2]
                    .text()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| bad("时间"))?,
                username: r[3].text().unwrap_or_default(),
                note: r[4].text(),
            })
        })
        .collect()
}

/// A queue's query: the account's area (a prefix range), a migrant coordinator's migrants, the
/// queue's states; oldest first for work waiting, newest first for records.
fn queue_sql(
    actor: &Actor,
    queue: Queue,
    kind: Option<CertificateKind>,
    after: Option<i64>,
    limit: Option<u32>,
    count: bool,
) -> (String, Vec<SqlValue>) {
    let area = actor.scope.area.as_str();
    let mut params: Vec<SqlValue> = vec![area.into(), crate::prefix_end(&actor.scope.area).into()];
    let mut clauses = vec!["c.area_code >= ?1 AND c.area_code < ?2".to_string()];
    if let Some(types) = actor.scope.role.population() {
        let list: Vec<String> = types.iter().map(|t| format!("'{}'", t.code())).collect();
        clauses.push(format!("p.population_type IN ({})", list.join(", ")));
    }
    if !actor.scope.allows(Action::ViewHealth) {
        clauses.push(format!(
            "c.kind <> '{}'",
            CertificateKind::BirthRegistration.code()
        ));
    }
    let state = |s: CertificateState| format!("'{}'", s.code());
    clauses.push(match queue {
        Queue::Review => format!("c.state = {}", state(CertificateState::Applied)),
        Queue::Returned => format!("c.state = {}", state(CertificateState::Returned)),
        Queue::Print => format!(
            "c.state = {} AND c.copies_printed = 0",
            state(CertificateState::Issued)
        ),
        Queue::Deliver => format!(
            "c.state = {} AND c.copies_printed > 0 AND c.delivered = {}",
            state(CertificateState::Issued),
            "?3"
        ),
        Queue::Issued => "c.serial IS NOT NULL".to_string(),
        Queue::All => "1 = 1".to_string(),
    });
    if queue == Queue::Deliver {
        params.push(false.into());
    }
    if let Some(k) = kind {
        params.push(k.code().into());
        clauses.push(format!("c.kind = ?{}", params.len()));
    }
    let newest_first = matches!(queue, Queue::Issued | Queue::All);
    if let Some(after) = after {
        params.push(after.into());
        let op = if newest_first { "<" } else { ">" };
        clauses.push(format!("c.id {op} ?{}", params.len()));
    }
    let join = "FROM certificates c JOIN persons p ON p.id = c.person_id";
    let filter = clauses.join(" AND ");
    let sql = if count {
        format!("SELECT count(*) {join} WHERE {filter}")
    } else {
        let order = if newest_first { "DESC" } else { "ASC" };
        format!(
            "SELECT {CERTIFICATE_COLUMNS}, p.name {join} WHERE {filter} ORDER BY c.id {order} LIMIT {}",
            limit.unwrap_or(50)
        )
    };
    (sql, params)
}
