//! Files in and out: tables as people really have them. CSV in UTF-8 (with or without BOM) or
//! GB18030/GBK as Excel in China saves it, and XLSX; both read as a stream of rows numbered the
//! way a spreadsheet shows them, and written back so Excel opens them right.

pub mod formula;
mod read;
mod sniff;
mod write;

pub use read::{Numbers, Row, Table, TableError, check_xlsx_size, open_table, open_table_as};
pub use sniff::{Kind, kind_of};
pub use write::{TableWriter, WriteError};

/// The kind of table file, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn of(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

pub mod certificate_pdf;
pub mod export;
pub mod import;
pub mod stats;
pub mod template;
