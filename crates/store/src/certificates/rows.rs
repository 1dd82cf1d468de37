//! The certificates' rows: reading a document and its history, and the writes every step
//! shares (the history line, the serial sequence, the register's facts for the review).

use jiff::Timestamp;
use jiff::civil::Date;
use renkou_core::certificate::{self, Certificate, Issuance, RegisterFacts, Step, VerifyCode};
use renkou_core::{
    Actor, AreaCode, CertificateKind, CertificateState, EventKind, Person, PersonId,
};

use super::{CertificateStep, CertificateView};
use crate::accounts::stamp;
use crate::db::{Db, SqlValue};
use crate::{Result, StoreError, Tx};

pub(super) const CERTIFICATE_COLUMNS: &str = "c.id, c.kind, c.person_id, c.area_code, c.state, \
    c.application, c.applied_at, c.applied_by, c.serial, c.verify_code, c.issued_at, \
    c.issued_on, c.valid_until, c.processing_seconds, c.copies_printed, c.delivered, \
    c.replaces, c.replaced_by, c.reason";

/// A stored certificate row that cannot be read back: the database, not the request, is wrong.
pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Database(format!("证件表中的{what}无效"))
}

pub(super) fn date(v: &SqlValue) -> Option<Date> {
    v.text().and_then(|t| t.parse().ok())
}

pub(super) fn certificate_from(r: &[SqlValue]) -> Result<Certificate> {
    let text = |i: usize| r[i].text().unwrap_or_default();
    Ok(Certificate {
        id: r[0].int().ok_or_else(|| corrupt("编号"))?,
        kind: CertificateKind::parse(&text(1)).map_err(|_| corrupt("证件类型"))?,
        person_id: PersonId(r[2].int().ok_or_else(|| corrupt("持证人"))?),
        area_code: AreaCode::parse(&text(3)).map_err(|_| corrupt("区划"))?,
        state: CertificateState::parse(&text(4)).map_err(|_| corrupt("状态"))?,
        application: serde_json::from_str(&text(5)).map_err(|_| corrupt("申请内容"))?,
        applied_at: text(6).parse().map_err(|_| corrupt("申请时间"))?,
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

pub(super) fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!("证件 {id}"))
}

impl Tx<'_> {
    pub(super) fn certificate(&mut self, id: i64) -> Result<Option<Certificate>> {
        let sql = format!("SELECT {CERTIFICATE_COLUMNS} FROM certificates c WHERE c.id = ?1");
        self.db
            .query(&sql, &[id.into()])?
            .first()
            .map(|r| certificate_from(r))
            .transpose()
    }

    pub(super) fn add_step(
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
            .ok_or_else(|| corrupt("序列"))?;
        Ok(certificate::serial(kind, year, n))
    }

    pub(super) fn facts(&mut self, person: Person) -> Result<RegisterFacts> {
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

    pub(super) fn set_state(
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

    /// Gives a document its serial (the next of its kind's sequence for the year), a random
    /// verification code and its validity: issued.
    pub(super) fn issue(
        &mut self,
        id: i64,
        kind: CertificateKind,
        issuance: &Issuance,
    ) -> Result<String> {
        let serial = self.next_serial(kind, issuance.year())?;
        let code = VerifyCode::from_random(rand::random());
        self.db.exec(
            "UPDATE certificates SET state = ?2, serial = ?3, verify_code = ?4, issued_at = ?5, \
             issued_on = ?6, valid_until = ?7, processing_seconds = ?8, reason = NULL \
             WHERE id = ?1",
            &[
                id.into(),
                CertificateState::Issued.code().into(),
                serial.as_str().into(),
                code.as_str().into(),
                stamp(issuance.issued_at).into(),
                issuance.issued_on.to_string().into(),
                issuance.valid_until.map(|d| d.to_string()).into(),
                issuance.processing_seconds.into(),
            ],
        )?;
        Ok(serial)
    }

    /// A document opened for someone it reaches: the holder's record, the history, the review's
    /// checks while it waits for review, and the serial it replaced.
    pub(super) fn view(
        &mut self,
        certificate: Certificate,
        facts: RegisterFacts,
        today: Date,
    ) -> Result<CertificateView> {
        let steps = steps_where(self.db, "certificate_id", certificate.id)?;
        let checks = if matches!(
            certificate.state,
            CertificateState::Applied | CertificateState::Returned
        ) {
            certificate::review_checks(certificate.kind, &facts, &certificate.application, today)
        } else {
            Vec::new()
        };
        let replaces_serial = match certificate.replaces {
            Some(old) => self.certificate(old)?.and_then(|o| o.serial),
            None => None,
        };
        Ok(CertificateView {
            certificate,
            holder: facts.person,
            spouse: facts.spouse,
            children: facts.children,
            steps,
            checks,
            replaces_serial,
        })
    }
}

pub(super) fn steps_where(db: &mut dyn Db, column: &str, id: i64) -> Result<Vec<CertificateStep>> {
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
                    .ok_or_else(|| corrupt("步骤"))?,
                at: r[2]
                    .text()
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| corrupt("时间"))?,
                username: r[3].text().unwrap_or_default(),
                note: r[4].text(),
            })
        })
        .collect()
}
