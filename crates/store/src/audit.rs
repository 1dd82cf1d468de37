//! The audit trail: append-only (the database refuses UPDATE and DELETE) and hash-chained, each
//! row carrying the SHA-256 of the one before, so an edit made behind the database's back is
//! found by `verify_audit`.

use jiff::Timestamp;
use renkou_core::audit::{AuditEntry, AuditRow};
use sha2::{Digest, Sha256};

use crate::db::SqlValue;
use crate::{Result, Store, Tx};

/// The hash the first row links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const AUDIT_COLUMNS: &str = "seq, at, account_id, username, source, action, object_kind, \
    object_id, result, detail, prev_hash, hash";

pub fn row_hash(row: &AuditRow) -> String {
    let digest = Sha256::digest(row.chained_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn row_from(r: &[SqlValue]) -> AuditRow {
    AuditRow {
        seq: r[0].int().unwrap_or_default(),
        at: r[1]
            .text()
            .and_then(|t| t.parse().ok())
            .unwrap_or(Timestamp::UNIX_EPOCH),
        account_id: r[2].int(),
        username: r[3].text(),
        source: r[4].text().unwrap_or_default(),
        action: r[5].text().unwrap_or_default(),
        object_kind: r[6].text().unwrap_or_default(),
        object_id: r[7].text(),
        result: r[8].text().unwrap_or_default(),
        detail: r[9].text(),
        prev_hash: r[10].text().unwrap_or_default(),
        hash: r[11].text().unwrap_or_default(),
    }
}

/// Which rows an audit administrator is looking at.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub action: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub result: Option<String>,
}

/// What walking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCheck {
    Intact {
        rows: u64,
    },
    /// The first row whose stored hash or link does not match.
    Broken {
        seq: i64,
        reason: String,
    },
}

impl Tx<'_> {
    /// Appends one row to the chain, inside this transaction: it commits with the change it
    /// records, or not at all.
    pub fn audit(&mut self, entry: AuditEntry) -> Result<()> {
        self.db.lock_audit()?;
        let last = self.db.query(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            &[],
        )?;
        let (seq, prev_hash) = match last.first() {
            Some(r) => (
                r[0].int().unwrap_or_default() + 1,
                r[1].text().unwrap_or_default(),
            ),
            None => (1, GENESIS.to_string()),
        };
        // Microseconds: what every backend stores exactly, so the hash verifies later.
        let now = Timestamp::from_microsecond(crate::now().as_microsecond())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut row = AuditRow {
            seq,
            at: now,
            account_id: entry.account_id,
            username: entry.username,
            source: entry.source,
            action: entry.action.key().to_string(),
            object_kind: entry.object_kind,
            object_id: entry.object_id,
            result: entry.result.key().to_string(),
            detail: entry.detail,
            prev_hash,
            hash: String::new(),
        };
        row.hash = row_hash(&row);
        self.db.exec(
            &format!(
                "INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ),
            &[
                row.seq.into(),
                row.at.to_string().into(),
                row.account_id.into(),
                row.username.into(),
                row.source.into(),
                row.action.into(),
                row.object_kind.into(),
                row.object_id.into(),
                row.result.into(),
                row.detail.into(),
                row.prev_hash.into(),
                row.hash.into(),
            ],
        )?;
        Ok(())
    }
}

impl Store {
    /// Appends one row on its own: a view, a login decision, a denial.
    pub fn audit(&mut self, entry: AuditEntry) -> Result<()> {
        self.transaction(|tx| tx.audit(entry))
    }

    /// Appends several rows in one transaction: the group commit of views that arrive together
    /// (one fsync for all of them).
    pub fn audit_batch(&mut self, entries: Vec<AuditEntry>) -> Result<()> {
        self.transaction(|tx| {
            for e in entries {
                tx.audit(e)?;
            }
            Ok(())
        })
    }

    /// Newest first, `before` a sequence number for paging.
    pub fn audit_rows(
        &mut self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRow>> {
        let mut clauses = vec!["seq < ?1".to_string()];
        let mut params: Vec<SqlValue> = vec![before.unwrap_or(i64::MAX).into()];
        for (column, value) in [
            ("username", &filter.username),
            ("action", &filter.action),
            ("object_kind", &filter.object_kind),
            ("object_id", &filter.object_id),
            ("result", &filter.result),
        ] {
            if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                params.push(v.as_str().into());
                clauses.push(format!("{column} = ?{}", params.len()));
            }
        }
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE {} ORDER BY seq DESC LIMIT {limit}",
            clauses.join(" AND ")
        );
        Ok(self
            .db
            .query(&sql, &params)?
            .iter()
            .map(|r| row_from(r))
            .collect())
    }

    /// Walks the whole chain in order, a batch at a time, and names the first row that does
    /// not verify.
    pub fn verify_audit(&mut self) -> Result<AuditCheck> {
        let mut prev = GENESIS.to_string();
        let mut expected_seq = 1;
        let mut rows = 0u64;
        loop {
            let batch = self.db.query(
                &format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq >= ?1 ORDER BY seq LIMIT 5000"
                ),
                &[expected_seq.into()],
            )?;
            if batch.is_empty() {
                return Ok(AuditCheck::Intact { rows });
            }
            for r in &batch {
                let row = row_from(r);
                let broken = |reason: &str| {
                    Ok(AuditCheck::Broken {
                        seq: row.seq,
                        reason: reason.to_string(),
                    })
                };
                if row.seq != expected_seq {
                    return Ok(AuditCheck::Broken {
                        seq: expected_seq,
                        reason: format!("第{expected_seq}行缺失（下一行是第{}行）", row.seq),
                    });
                }
                if row.prev_hash != prev {
                    return broken("与上一行的链接不符");
                }
                if row_hash(&row) != row.hash {
                    return broken("内容与其哈希不符（被修改过）");
                }
                prev = row.hash.clone();
                expected_seq += 1;
                rows += 1;
            }
        }
    }
}
