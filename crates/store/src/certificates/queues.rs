//! The certificates' lists: the work queues of an account's reach and their counts, a
//! person's documents, the public verify lookup, and a period's issued documents.

use std::collections::BTreeSet;

use jiff::civil::Date;
use renkou_core::audit::AuditAction;
use renkou_core::certificate::{self, Application, Certificate, Check, Queue, VerifyCode};
use renkou_core::{Action, Actor, CertificateKind, CertificateState, PersonId};

use super::rows::{CERTIFICATE_COLUMNS, certificate_from, steps_where};
use super::{CertificateListItem, CertificateStep, IssuedRecord, VerifiedDocument};
use crate::db::SqlValue;
use crate::{Result, Store, StoreError};

impl Store {
    /// One page of a work queue within the account's reach (names as lists show them).
    pub fn certificates_as(
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

    /// What the review's checks would say of an application not made yet, so the form warns
    /// at once instead of the reviewer days later. Reads only what the review reads; the form's
    /// page has already audited the view of the record. Out of reach reads as not found.
    pub fn application_checks(
        &mut self,
        actor: &Actor,
        person_id: PersonId,
        kind: CertificateKind,
        application: &Application,
        today: Date,
    ) -> Result<Vec<Check>> {
        if !actor.scope.allows(Action::ApplyCertificate(kind)) {
            return Err(StoreError::Denied(format!("申请{}", kind.name_zh())));
        }
        self.transaction(|tx| {
            let person = match tx.db.person(person_id)? {
                Some(p) if actor.scope.covers(&p.data) => p,
                _ => return Err(StoreError::NotFound("人员".into())),
            };
            let facts = tx.facts(person)?;
            Ok(certificate::review_checks(kind, &facts, application, today))
        })
    }

    /// Which of a queue's open applications (applied or returned) the review's checks would
    /// not let through today, so a list can mark them before anyone opens them. `items` are
    /// what `certificates_as` gave the account: the door was passed there.
    pub fn failing_checks(
        &mut self,
        items: &[CertificateListItem],
        today: Date,
    ) -> Result<BTreeSet<i64>> {
        let open: Vec<&Certificate> = items
            .iter()
            .map(|i| &i.certificate)
            .filter(|c| {
                matches!(
                    c.state,
                    CertificateState::Applied | CertificateState::Returned
                )
            })
            .collect();
        if open.is_empty() {
            return Ok(BTreeSet::new());
        }
        self.transaction(|tx| {
            let mut failing = BTreeSet::new();
            for c in open {
                let Some(holder) = tx.db.person(c.person_id)? else {
                    continue;
                };
                let facts = tx.facts(holder)?;
                let checks = certificate::review_checks(c.kind, &facts, &c.application, today);
                if !certificate::approvable(&checks) {
                    failing.insert(c.id);
                }
            }
            Ok(failing)
        })
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
