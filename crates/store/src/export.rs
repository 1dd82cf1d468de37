//! Exports as a use case: what an account may take out of the register, within its reach,
//! with the audit row that says what was taken. The file's format is the caller's.

use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::import::Progress;
use renkou_core::{Action, Person};

use crate::door::Who;
use crate::{PersonFilter, PersonSearch, Result, Store, StoreError};

impl Store {
    /// Hands every person the filter selects, within the account's reach, to `write` in id
    /// order, streaming; returns how many. The audit row records the filter (area and codes,
    /// never a searched name or number) and the count.
    pub fn export_persons(
        &mut self,
        who: Who<'_>,
        filter: &PersonFilter,
        progress: &mut dyn Progress,
        write: &mut dyn FnMut(&Person) -> std::result::Result<(), String>,
    ) -> Result<u64> {
        let asked = filter;
        let filter = match who {
            Who::Account(actor) => {
                self.require(actor, Action::Export, AuditAction::Export, "persons")?;
                if filter.pregnant {
                    self.require(actor, Action::ViewHealth, AuditAction::Export, "health")?;
                }
                match filter.within(&actor.scope) {
                    Some(f) => f,
                    // An area outside the account's own: nothing to say about it.
                    None => return Err(StoreError::NotFound("区划".into())),
                }
            }
            Who::Console(_) => filter.clone(),
        };
        let total = self.count_persons(&filter)?;
        progress.phase("导出", Some(total));
        let mut count = 0u64;
        let mut failure = None;
        self.each_person(&filter, &mut |p| {
            if let Err(e) = write(&p) {
                failure = Some(e);
                return Err(StoreError::Database("导出中止".into()));
            }
            count += 1;
            progress.advance(1);
            Ok(())
        })
        .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
        if let Some(e) = failure {
            return Err(StoreError::Database(format!("导出中止：{e}")));
        }
        progress.finish();
        self.audit(
            who.entry(AuditAction::Export, "persons", AuditResult::Ok)
                .detail(format!("{} rows={count}", export_detail(asked))),
        )?;
        Ok(count)
    }
}

/// The filter as the audit row keeps it: area and codes, and a search as its kind only.
fn export_detail(filter: &PersonFilter) -> String {
    format!(
        "area={} population_type={} q={}",
        filter
            .area
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        filter.population_type.map(|p| p.code()).unwrap_or(""),
        match &filter.search {
            Some(PersonSearch::IdNumber(_)) => "id_number",
            Some(PersonSearch::IdNumberPrefix(_)) => "id_prefix",
            Some(PersonSearch::Phone(_)) => "phone",
            Some(PersonSearch::NamePrefix(_)) => "name",
            Some(PersonSearch::NameAndIdTail { .. }) => "name_id_tail",
            Some(PersonSearch::PhonePart(_)) => "phone_part",
            None => "",
        }
    )
}

impl Store {
    /// The documents issued in `[from, to]`, reissues included, for the register of issued
    /// documents; the audit row records the period and the count.
    pub fn export_issued(
        &mut self,
        who: Who<'_>,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<crate::IssuedRecord>> {
        if let Who::Account(actor) = who {
            self.require(actor, Action::Export, AuditAction::Export, "certificates")?;
        }
        let records = self.issued_between(from, to)?;
        self.audit(
            who.entry(AuditAction::Export, "certificates", AuditResult::Ok)
                .detail(format!("from={from} to={to} rows={}", records.len())),
        )?;
        Ok(records)
    }
}
