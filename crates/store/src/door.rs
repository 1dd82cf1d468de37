//! The store's door: who is acting. Every use case takes one, checks the role table for it,
//! and writes its audit row.

use renkou_core::audit::{AuditAction, AuditEntry, AuditResult, AuditRow};
use renkou_core::{Action, Actor, AreaCode};

use crate::{AuditCheck, AuditFilter, Result, Store, StoreError};

/// Who does a piece of work: an account, within its area and as its role allows, or the
/// server's operator at its console, for the whole city (imports, exports, `renkou users`).
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    Account(&'a Actor),
    /// The name the timeline and the audit trail give the operator ("cli:root").
    Console(&'a str),
}

impl Who<'_> {
    /// The area rows must lie in; None for the whole city.
    pub fn within(&self) -> Option<&AreaCode> {
        match self {
            Who::Account(a) => Some(&a.scope.area),
            Who::Console(_) => None,
        }
    }

    /// Who the timeline says made the change.
    pub fn name(&self) -> &str {
        match self {
            Who::Account(a) => &a.username,
            Who::Console(name) => name,
        }
    }

    pub fn entry(&self, action: AuditAction, object_kind: &str, result: AuditResult) -> AuditEntry {
        match self {
            Who::Account(a) => a.entry(action, object_kind, result),
            Who::Console(name) => {
                let mut e = AuditEntry::new(action, object_kind, result).from_source("cli");
                e.username = Some(name.to_string());
                e
            }
        }
    }
}

impl Store {
    /// The door of a page or request before it reads anything: the role table asked for
    /// `action`; a refusal is audited (access denied, on `what`) and comes back as `Denied`.
    pub fn check_access(&mut self, actor: &Actor, action: Action, what: &str) -> Result<()> {
        if actor.scope.allows(action) {
            return Ok(());
        }
        self.audit(
            actor
                .entry(AuditAction::Access, what, AuditResult::Denied)
                .detail(format!("{action:?}")),
        )?;
        Err(StoreError::Denied(format!("{action:?}")))
    }

    /// The audit trail as the audit administrator reads it, a page at a time, newest first;
    /// with `verify`, the whole chain checked too. The reading is itself audited.
    pub fn read_audit(
        &mut self,
        actor: &Actor,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
        verify: bool,
    ) -> Result<(Vec<AuditRow>, Option<AuditCheck>)> {
        self.check_access(actor, Action::ReadAudit, "audit")?;
        self.audit(
            actor
                .entry(AuditAction::AuditRead, "audit", AuditResult::Ok)
                .detail(if verify { "verify" } else { "browse" }),
        )?;
        let rows = self.audit_rows(filter, before, limit)?;
        let check = if verify {
            Some(self.verify_audit()?)
        } else {
            None
        };
        Ok((rows, check))
    }
}
