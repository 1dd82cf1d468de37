//! The schema's migrations, run in order once each, under a lock two starting servers share.

use super::{MIGRATION_LOCK, PgDb};
use crate::Result;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "register",
        include_str!("../../migrations/postgres/0001_register.sql"),
    ),
    (
        2,
        "accounts_audit",
        include_str!("../../migrations/postgres/0002_accounts_audit.sql"),
    ),
    (
        3,
        "certificates",
        include_str!("../../migrations/postgres/0003_certificates.sql"),
    ),
    (
        4,
        "account_approval",
        include_str!("../../migrations/postgres/0004_account_approval.sql"),
    ),
    (
        5,
        "list_filters",
        include_str!("../../migrations/postgres/0005_list_filters.sql"),
    ),
    (
        6,
        "person_tallies",
        include_str!("../../migrations/postgres/0006_person_tallies.sql"),
    ),
    (
        7,
        "statistics",
        include_str!("../../migrations/postgres/0007_statistics.sql"),
    ),
    (
        8,
        "stat_closed",
        include_str!("../../migrations/postgres/0008_stat_closed.sql"),
    ),
];

impl PgDb {
    pub(super) fn migrate(&mut self) -> Result<()> {
        let mut tx = self.client.transaction()?;
        // Two processes starting at once must not both run a migration.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
        )?;
        for (version, name, sql) in MIGRATIONS {
            let done = tx.query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )?;
            if done.is_none() {
                tx.batch_execute(sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())",
                    &[version, name],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
