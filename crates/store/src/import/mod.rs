//! Importing the register's files, as one use case for the command line and the web upload
//! alike: the importer's reach and role are checked, the whole file validated, then all of it
//! written in one transaction (or, with skip-invalid, the valid rows), with its audit row.
//! The file's format is not the store's business: a [`TableSource`] yields its rows, and the
//! caller writes the rejected rows back in the file's own format.

mod areas;
mod checker;
mod duplicates;
mod events;
mod persons;

use std::collections::{BTreeMap, HashMap};

use renkou_core::Action;
use renkou_core::audit::AuditAction;
use renkou_core::import::{
    ImportReport, MAX_REPORTED_PROBLEMS, RejectedRows, RowProblem, SourceError, SourceRow,
    SourceRows, TableSource,
};
use renkou_core::person::FieldError;
use renkou_core::record::{Column, HeaderMap, column_letter};

use crate::door::Who;
use crate::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("临时文件读写失败：{0}")]
    Io(#[from] std::io::Error),
}

impl Store {
    /// The door of every import: an account must be allowed `action`; a refusal is audited.
    fn may_import(
        &mut self,
        by: Who<'_>,
        action: Action,
        audit: AuditAction,
    ) -> Result<(), ImportError> {
        match by {
            Who::Account(actor) => Ok(self.require(actor, action, audit, "file")?),
            Who::Console(_) => Ok(()),
        }
    }
}

/// The file is unreadable at a row it read before: it changed while being imported.
fn changed_under_us(row: u64) -> SourceError {
    SourceError(format!("第{row}行无法读取：文件在导入过程中被修改"))
}

/// The first rows of a file may be a title ("2026年11月人口信息登记表") above the header;
/// the header is the first of the first five non-blank rows that names the required columns.
/// The header row found in a file: its number, its cells, and the columns it maps (or why not).
struct Header {
    row: u64,
    cells: Vec<String>,
    map: Result<HeaderMap, Vec<String>>,
}

fn find_header(
    rows: &mut SourceRows<'_>,
    columns: &'static [Column],
) -> Result<Header, SourceError> {
    let mut first: Option<(u64, Vec<String>, Vec<String>)> = None;
    for _ in 0..5 {
        let Some(row) = next_nonblank(rows)? else {
            break;
        };
        match HeaderMap::new(columns, &row.cells) {
            Ok(map) => {
                return Ok(Header {
                    row: row.number,
                    cells: row.cells,
                    map: Ok(map),
                });
            }
            Err(problems) => {
                if first.is_none() {
                    first = Some((row.number, row.cells, problems));
                }
            }
        }
    }
    match first {
        Some((row, cells, problems)) => Ok(Header {
            row,
            cells,
            map: Err(problems),
        }),
        None => Err(SourceError("文件是空的，没有表头行".into())),
    }
}

/// A table opened and its header row understood, with the report it starts.
struct Opened<'s> {
    rows: SourceRows<'s>,
    report: ImportReport,
    header_row: u64,
    headers: Vec<String>,
    map: HeaderMap,
}

/// Opens a table and finds its header. A header that lacks required columns is not an error of
/// the program but the officer's to fix: it comes back as a report (inner `Err`).
fn open_with_header<'s>(
    source: &'s dyn TableSource,
    columns: &'static [Column],
) -> Result<Result<Opened<'s>, ImportReport>, ImportError> {
    let mut rows = source.rows()?;
    let mut report = ImportReport {
        source: source.description(),
        ..Default::default()
    };
    let header = find_header(&mut rows, columns)?;
    match header.map {
        Ok(map) => {
            report.ignored_columns = map.ignored.clone();
            Ok(Ok(Opened {
                rows,
                report,
                header_row: header.row,
                headers: header.cells,
                map,
            }))
        }
        Err(problems) => {
            report.problems = problems
                .into_iter()
                .map(|message| RowProblem {
                    row: header.row,
                    column: None,
                    message,
                })
                .collect();
            Ok(Err(report))
        }
    }
}

fn next_nonblank(rows: &mut SourceRows<'_>) -> Result<Option<SourceRow>, SourceError> {
    for row in rows.by_ref() {
        let row = row?;
        if !row.is_blank() {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// A field's problem as the officer finds it in the file: the column's letter and header.
fn locate(map: &HeaderMap, headers: &[String], row: u64, e: FieldError) -> RowProblem {
    let column = map.position(e.field).map(|i| {
        let header = headers.get(i).map(|h| h.trim()).unwrap_or("");
        format!("{} ({})", column_letter(i), header)
    });
    // A rule about a column the file does not have: say which column to add.
    let message = match (&column, map.column(e.field)) {
        (None, Some(c)) => format!("{}（文件中没有「{}」列）", e.message, c.zh),
        _ => e.message,
    };
    RowProblem {
        row,
        column,
        message,
    }
}

/// The report's problems (the first `MAX_REPORTED_PROBLEMS` in row order, the rest counted)
/// and every rejected row for the rejected-rows file.
fn rejected_rows(
    report: &mut ImportReport,
    header_row: u64,
    problems: HashMap<u64, Vec<RowProblem>>,
) -> RejectedRows {
    report.rejected = problems.len() as u64;
    let rows: BTreeMap<u64, Vec<RowProblem>> = problems.into_iter().collect();
    let all = rows.values().flatten();
    report.more_problems = all.clone().count().saturating_sub(MAX_REPORTED_PROBLEMS) as u64;
    report.problems = all.take(MAX_REPORTED_PROBLEMS).cloned().collect();
    RejectedRows { header_row, rows }
}
