//! The import's files: a table file as the rows an import reads (as often as it needs), and
//! the rows it could not import written back beside their reasons, so that the officer can
//! correct them in Excel and import that file again. The import itself is the store's.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use renkou_core::import::{
    ImportReport, Imported, RejectedRows, SourceError, SourceRows, TableSource,
};

use crate::read::{Numbers, Table, TableError, check_xlsx_size, open_table, open_table_as};
use crate::write::{TableWriter, WriteError};

/// A CSV or XLSX file to import.
pub struct FileSource {
    path: PathBuf,
    description: String,
    /// The table opened to learn what the file is, handed to the first reading: opening an
    /// XLSX loads its shared strings and starts a reader, not something to do twice.
    opened: Mutex<Option<Table>>,
}

impl FileSource {
    /// Opens the file once to learn what it is; with `max_rows` (an upload's limit), an XLSX
    /// that unpacks to more than such a file could is refused before it is read.
    pub fn open(path: &Path, max_rows: Option<u64>) -> Result<FileSource, TableError> {
        if let Some(max) = max_rows {
            check_xlsx_size(path, max)?;
        }
        let table = open_table(path)?;
        Ok(FileSource {
            path: path.to_path_buf(),
            description: table.description.clone(),
            opened: Mutex::new(Some(table)),
        })
    }
}

impl TableSource for FileSource {
    fn description(&self) -> String {
        self.description.clone()
    }

    fn rows(&self) -> Result<SourceRows<'_>, SourceError> {
        let opened = self.opened.lock().expect("source lock").take();
        let table = match opened {
            Some(table) => table,
            None => open_table(&self.path).map_err(|e| SourceError(e.to_string()))?,
        };
        Ok(Box::new(
            table.map(|row| row.map_err(|e| SourceError(e.to_string()))),
        ))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RejectedFileError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Copies the rejected rows of `source` to `out` as CSV: the original row number first, then
/// the row as it was (a number cell with every digit it holds), then its reasons. Nothing is
/// written when no row was rejected. Each rejected row's person (name, masked ID number) is
/// added to `people` where the import did not name them already.
pub fn write_rejected(
    source: &FileSource,
    rejected: &RejectedRows,
    out: &Path,
    people: &mut std::collections::BTreeMap<u64, String>,
) -> Result<Option<PathBuf>, RejectedFileError> {
    let Some(&last) = rejected.rows.keys().next_back() else {
        return Ok(None);
    };
    // The cells as the file had them: a number's every digit, not the form shown to checks.
    let mut table = open_table_as(&source.path, Numbers::Digits)?;
    let headers = loop {
        match table.next() {
            Some(row) => {
                let row = row?;
                if row.number == rejected.header_row {
                    break row.cells;
                }
            }
            None => return Ok(None),
        }
    };
    let mut header_refs: Vec<&str> = vec!["原行号"];
    header_refs.extend(headers.iter().map(String::as_str));
    header_refs.push("错误原因");
    let mut writer = TableWriter::create(out, &header_refs, &[], &[])?;
    for row in table {
        let row = row?;
        if row.number > last {
            break;
        }
        if let Some(problems) = rejected.rows.get(&row.number) {
            if let Some(who) = renkou_core::import::row_person(&headers, &row.cells) {
                people.entry(row.number).or_insert(who);
            }
            let mut cells = vec![row.number.to_string()];
            cells.extend(row.cells.iter().cloned());
            cells.resize(headers.len() + 1, String::new());
            let reasons: Vec<String> = problems
                .iter()
                .map(|p| match &p.column {
                    Some(c) => format!("{c}: {}", p.message),
                    None => p.message.clone(),
                })
                .collect();
            cells.push(reasons.join("；"));
            writer.write_row(&cells)?;
        }
    }
    writer.finish()?;
    Ok(Some(out.to_path_buf()))
}

/// An import of a file from start to end, the same for the command line and the web upload:
/// the file opened (`max_rows`: an upload's limit), imported by `import` (the store's use
/// case), and its rejected rows written to `rejected_out` when there are any.
pub fn import_file<E>(
    path: &Path,
    max_rows: Option<u64>,
    rejected_out: Option<&Path>,
    import: impl FnOnce(&FileSource) -> Result<Imported, E>,
) -> Result<ImportReport, Box<dyn std::error::Error + Send + Sync>>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let source = FileSource::open(path, max_rows)?;
    let Imported {
        mut report,
        rejected,
    } = import(&source)?;
    if let Some(out) = rejected_out {
        report.rejected_file = write_rejected(&source, &rejected, out, &mut report.people)?;
    }
    Ok(report)
}
