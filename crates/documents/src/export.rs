//! `renkou persons export`: the people file in the same columns the import reads.

use std::path::Path;

use renkou_core::record::{PERSON_COLUMNS, person_to_row};
use renkou_store::{PersonFilter, Store, StoreError};

use crate::import::{ImportError, Progress};
use crate::write::TableWriter;

/// Writes every person the filter selects, in id order, streaming; returns how many.
pub fn export_persons(
    store: &mut Store,
    filter: &PersonFilter,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<u64, ImportError> {
    let headers: Vec<&str> = PERSON_COLUMNS.iter().map(|c| c.zh).collect();
    let dates: Vec<usize> = PERSON_COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, c)| c.key.ends_with("_date"))
        .map(|(i, _)| i)
        .collect();
    let text: Vec<usize> = PERSON_COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.key, "id_number" | "phone" | "household_no" | "area_code"))
        .map(|(i, _)| i)
        .collect();
    let total = store.count_persons(filter)?;
    progress.phase("导出", Some(total));
    let mut writer = TableWriter::create(out, &headers, &dates, &text)?;
    let mut count = 0u64;
    let mut failure = None;
    store
        .each_person(filter, &mut |p| {
            if let Err(e) = writer.write_row(&person_to_row(&p)) {
                failure = Some(e);
                return Err(StoreError::Database("导出中止".into()));
            }
            count += 1;
            progress.advance(1);
            Ok(())
        })
        .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    writer.finish()?;
    progress.finish();
    Ok(count)
}
