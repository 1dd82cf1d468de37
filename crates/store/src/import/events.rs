//! The events file: a month's changes, held and applied in the order they happened.

use std::collections::HashMap;

use renkou_core::Action;
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::import::{
    ImportOptions, Imported, MAX_PROBLEM_ROWS, Progress, RowProblem, TableSource,
};
use renkou_core::person::FieldError;
use renkou_core::record::{EVENT_COLUMNS, event_from_row};

use super::{ImportError, Opened, locate, open_with_header, rejected_rows};
use crate::door::Who;
use crate::{Store, StoreError};

impl Store {
    /// `renkou events import` and the events upload: applies every row in date order in one
    /// transaction; any refused row rolls the whole file back unless `skip_invalid`.
    pub fn import_events(
        &mut self,
        by: Who<'_>,
        source: &dyn TableSource,
        opts: &ImportOptions,
        progress: &mut dyn Progress,
    ) -> Result<Imported, ImportError> {
        self.may_import(by, Action::ImportFile, AuditAction::Import)?;
        import_events(self, by, source, opts, progress)
    }
}

fn import_events(
    store: &mut Store,
    by: Who<'_>,
    source: &dyn TableSource,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<Imported, ImportError> {
    let Opened {
        mut rows,
        mut report,
        header_row,
        headers,
        map,
    } = match open_with_header(source, EVENT_COLUMNS)? {
        Ok(opened) => opened,
        Err(bad_header) => {
            return Ok(Imported {
                report: bad_header,
                ..Default::default()
            });
        }
    };
    let mut audit = by.entry(AuditAction::Import, "file", AuditResult::Ok);
    audit.object_id = opts.object.clone();
    // Events files are a month's changes, not a census: they are held and applied in the order
    // things happened, whatever order the officer typed them in.
    let mut parsed = Vec::new();
    let mut problems: HashMap<u64, Vec<RowProblem>> = HashMap::new();
    progress.phase("检查", None);
    for row in rows.by_ref() {
        let row = row?;
        if row.is_blank() {
            continue;
        }
        report.rows += 1;
        progress.advance(1);
        let stop = if opts.max_rows.is_some_and(|max| report.rows > max) {
            Some(format!(
                "文件超过 {} 行数据，超出了一次导入的上限；请分成几个文件导入，本文件没有导入",
                report.rows - 1
            ))
        } else if problems.len() >= MAX_PROBLEM_ROWS {
            Some(format!(
                "已有 {MAX_PROBLEM_ROWS} 行有问题，没有继续检查：请先核对文件的列是否对应，改正这些问题后再导入"
            ))
        } else {
            None
        };
        if let Some(message) = stop {
            report.rows -= 1;
            report.stopped = Some(message);
            progress.finish();
            let rejected = rejected_rows(&mut report, header_row, problems);
            return Ok(Imported { report, rejected });
        }
        match event_from_row(&map, &row.cells) {
            Ok(e) => parsed.push((row.number, e)),
            Err(errors) => {
                for e in errors {
                    problems
                        .entry(row.number)
                        .or_default()
                        .push(locate(&map, &headers, row.number, e));
                }
            }
        }
    }
    parsed.sort_by_key(|(row, e)| (e.event.occurred_on, *row));
    progress.phase("登记", Some(parsed.len() as u64));
    let skip_invalid = opts.skip_invalid;
    let within = by.within();
    // Whom a refused row is about, by the register's name for them.
    let mut names: Vec<(u64, String)> = Vec::new();
    let result = store.transaction(|tx| {
        let mut applied = 0u64;
        for (row, e) in parsed {
            progress.advance(1);
            // Someone outside the account's area reads as not on the register at all.
            let found = tx
                .person_by_id_number(&e.id_number)?
                .filter(|p| within.is_none_or(|w| p.data.managing_area().is_within(w)));
            let Some(person) = found else {
                let fe = FieldError::new(
                    "id_number",
                    format!("身份证号{}不在登记中", e.id_number.masked()),
                );
                problems
                    .entry(row)
                    .or_default()
                    .push(locate(&map, &headers, row, fe));
                continue;
            };
            // A spouse outside the importing account's area is not linked or changed.
            let reach = |p: &renkou_core::Person| {
                within.is_none_or(|w| p.data.managing_area().is_within(w))
            };
            match tx.record_event_within(person.id, e.event, by.name(), opts.today, &reach) {
                Ok(_) => applied += 1,
                Err(StoreError::Rejected(errors)) => {
                    names.push((
                        row,
                        format!("{} {}", person.data.name.as_str(), e.id_number.masked()),
                    ));
                    for fe in errors {
                        problems
                            .entry(row)
                            .or_default()
                            .push(locate(&map, &headers, row, fe));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() && !skip_invalid {
            // Everything was checked against the register as it would be; nothing stays.
            return Err(StoreError::Rejected(Vec::new()));
        }
        tx.audit(audit.clone().detail(format!("events={applied}")))?;
        Ok(applied)
    });
    match result {
        Ok(applied) => {
            report.added = applied;
            report.written = true;
        }
        Err(StoreError::Rejected(v)) if v.is_empty() => {}
        Err(e) => return Err(e.into()),
    }
    report.people.extend(names);
    progress.finish();
    let rejected = rejected_rows(&mut report, header_row, problems);
    Ok(Imported { report, rejected })
}
