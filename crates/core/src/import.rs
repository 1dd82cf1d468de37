//! What an import is, apart from any file format or database: the rows a table source yields,
//! the options an officer chooses, the problems found (`row N, column C: reason`) and the
//! report. The formats (renkou-documents) yield rows; the store carries the import out.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use jiff::civil::Date;

/// Past this many rows with problems a file is not read further: its columns are likely not
/// what they should be, and the problems found so far are what the officer needs to see.
pub const MAX_PROBLEM_ROWS: usize = 10_000;

/// The problems a report keeps in full; the rest are counted (and all of them are in the
/// rejected-rows file).
pub const MAX_REPORTED_PROBLEMS: usize = 1_000;

/// One row of a table as a spreadsheet numbers it (1 is the first line of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub number: u64,
    pub cells: Vec<String>,
}

impl SourceRow {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A table that cannot be read (or read again), in words for the officer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

pub type SourceRows<'a> = Box<dyn Iterator<Item = Result<SourceRow, SourceError>> + Send + 'a>;

/// A table an import reads: every row from the first, header included, as often as the import
/// needs to read it (a large file is read twice rather than held in memory).
pub trait TableSource: Sync {
    /// What the file turned out to be: "CSV (GB18030/GBK)".
    fn description(&self) -> String;
    fn rows(&self) -> Result<SourceRows<'_>, SourceError>;
}

/// Where long work reports how far it has got (a progress bar on a terminal, nothing in tests).
pub trait Progress {
    /// A new phase; `total` when it is known.
    fn phase(&mut self, label: &str, total: Option<u64>);
    fn advance(&mut self, n: u64);
    fn finish(&mut self);
}

/// For callers that show nothing.
pub struct Silent;

impl Progress for Silent {
    fn phase(&mut self, _: &str, _: Option<u64>) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: u64,
    /// The column's letter and header as the file has them: "C (身份证号)".
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "row {}, column {}: {}", self.row, c, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

/// What the officer chose for this import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Write the valid rows and leave out the rest (which go to the rejected file).
    pub skip_invalid: bool,
    /// Update people already on the register (by ID number), recording a correction each.
    pub upsert: bool,
    pub today: Date,
    /// The most data rows a file may have (an upload's limit); None for no limit.
    pub max_rows: Option<u64>,
    /// What the audit row names as the imported object (an upload's id), if anything.
    pub object: Option<String>,
}

impl ImportOptions {
    pub fn new(today: Date) -> Self {
        ImportOptions {
            skip_invalid: false,
            upsert: false,
            today,
            max_rows: None,
            object: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// What the file turned out to be: "CSV (GB18030/GBK)".
    pub source: String,
    /// Data rows read (blank rows are not counted).
    pub rows: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows with at least one problem.
    pub rejected: u64,
    /// The first problems, in row order (at most `MAX_REPORTED_PROBLEMS`).
    pub problems: Vec<RowProblem>,
    /// Problems found beyond those kept in `problems`.
    pub more_problems: u64,
    /// Why reading stopped before the end of the file (a limit), when it did: then nothing
    /// was written.
    pub stopped: Option<String>,
    /// Headers that are not part of the format; their columns were read past.
    pub ignored_columns: Vec<String>,
    /// Whether anything was written.
    pub written: bool,
    /// Where the rejected rows were copied, with their reasons, once the caller has written them.
    pub rejected_file: Option<PathBuf>,
    /// Whom each rejected row is about, as the officer knows them: the name and the masked ID
    /// number ("张三 340702********1234"), from the register or the row itself.
    pub people: BTreeMap<u64, String>,
}

impl ImportReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether nothing at all came of the file: not written, or written with every row left
    /// out. Such an import is shown as refused, never as done.
    pub fn imported_nothing(&self) -> bool {
        !self.written || (self.added + self.updated + self.unchanged == 0 && self.rejected > 0)
    }
}

/// Whom a row of a people or events file is about, from its own cells: the name (when the file
/// has a name column) and the ID number masked as lists show it. None when the row has neither.
pub fn row_person(headers: &[String], cells: &[String]) -> Option<String> {
    let column = |keys: &[&str]| {
        headers.iter().position(|h| {
            let h = crate::record::normalise_header(h);
            keys.iter().any(|k| k.to_lowercase() == h)
        })
    };
    let cell = |i: Option<usize>| {
        i.and_then(|i| cells.get(i))
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
    };
    let name = cell(column(&["name", "姓名"]));
    let id = cell(column(&[
        "id_number",
        "身份证号",
        "公民身份号码",
        "身份证号码",
        "证件号码",
    ]))
    .map(masked_cell);
    match (name, id) {
        (Some(n), Some(i)) => Some(format!("{n} {i}")),
        (Some(n), None) => Some(n.to_string()),
        (None, Some(i)) => Some(i),
        (None, None) => None,
    }
}

/// An ID number cell masked like a list shows one, even when it is not a valid number: the
/// first six and the last four characters. A number a spreadsheet shortened (3.40702E+17)
/// has lost its digits already and is shown as it is.
fn masked_cell(raw: &str) -> String {
    if let Ok(id) = crate::IdNumber::parse(raw) {
        return id.masked();
    }
    let chars: Vec<char> = raw.chars().collect();
    if raw.contains('+') || chars.len() <= 10 {
        return raw.to_string();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// The rows that were not imported, every one with its problems, for the rejected-rows file
/// (the report keeps only the first of them).
#[derive(Debug, Clone, Default)]
pub struct RejectedRows {
    /// The file's header row, copied above the rejected rows.
    pub header_row: u64,
    pub rows: BTreeMap<u64, Vec<RowProblem>>,
}

impl RejectedRows {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// An import's outcome: the report for the officer and the rows for the rejected-rows file.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    pub report: ImportReport,
    pub rejected: RejectedRows,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_row_names_its_person_with_the_number_masked() {
        let headers = strings(&["序号", "身份证号*", "姓名"]);
        let row = strings(&["1", "110105194912310021", "张三"]);
        assert_eq!(
            row_person(&headers, &row).as_deref(),
            Some("张三 110105********0021")
        );
        let shortened = strings(&["2", "3.40702E+17", "李四"]);
        assert_eq!(
            row_person(&headers, &shortened).as_deref(),
            Some("李四 3.40702E+17")
        );
        let events = strings(&["id_number", "event"]);
        let row = strings(&["11010519491231002X", "结婚"]);
        assert_eq!(
            row_person(&events, &row).as_deref(),
            Some("110105********002X")
        );
        assert_eq!(row_person(&events, &strings(&["", "结婚"])), None);
    }
}
