//! Writing tables: CSV with a BOM (so Excel in China opens UTF-8 right) or XLSX, streamed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook, Worksheet};

use crate::Format;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("无法写入文件 {path}：{reason}")]
    Io { path: String, reason: String },
    #[error("不支持的导出格式：请使用 .csv 或 .xlsx 结尾的文件名")]
    Format,
    #[error("XLSX 一个工作表最多 1,048,575 行数据，请改用 CSV 或缩小范围")]
    TooManyRows,
}

enum Sink {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Xlsx { book: Box<Workbook>, row: u32 },
}

/// Writes one table. Columns listed in `date_columns` hold dates (written as date cells in
/// XLSX); `text_columns` must stay text (ID numbers, which Excel would otherwise mangle).
pub struct TableWriter {
    path: PathBuf,
    sink: Sink,
    date_columns: Vec<usize>,
    text: CellFormat,
    date: CellFormat,
}

const XLSX_MAX_ROW: u32 = 1_048_575;

impl TableWriter {
    pub fn create(
        path: &Path,
        headers: &[&str],
        date_columns: &[usize],
        text_columns: &[usize],
    ) -> Result<Self, WriteError> {
        let io = |e: &dyn std::fmt::Display| io_err(path, e);
        let text = CellFormat::new().set_num_format("@");
        let date = CellFormat::new().set_num_format("yyyy-mm-dd");
        let sink = match Format::of(path).ok_or(WriteError::Format)? {
            Format::Csv => {
                let mut out =
                    BufWriter::with_capacity(256 * 1024, File::create(path).map_err(|e| io(&e))?);
                out.write_all(b"\xEF\xBB\xBF").map_err(|e| io(&e))?;
                let mut w = csv::Writer::from_writer(out);
                w.write_record(headers).map_err(|e| io(&e))?;
                Sink::Csv(Box::new(w))
            }
            Format::Xlsx => {
                let mut book = Box::new(Workbook::new());
                let sheet = book
                    .add_worksheet_with_constant_memory()
                    .map_err(|e| io(&e))?;
                let bold = CellFormat::new().set_bold();
                for (i, h) in headers.iter().enumerate() {
                    let col = i as u16;
                    sheet
                        .write_string_with_format(0, col, *h, &bold)
                        .map_err(|e| io(&e))?;
                    let width = if text_columns.contains(&i) {
                        20.0
                    } else if date_columns.contains(&i) {
                        12.0
                    } else {
                        14.0
                    };
                    sheet.set_column_width(col, width).map_err(|e| io(&e))?;
                }
                sheet.set_freeze_panes(1, 0).map_err(|e| io(&e))?;
                Sink::Xlsx { book, row: 0 }
            }
        };
        Ok(TableWriter {
            path: path.to_path_buf(),
            sink,
            date_columns: date_columns.to_vec(),
            text,
            date,
        })
    }

    pub fn write_row(&mut self, cells: &[String]) -> Result<(), WriteError> {
        match &mut self.sink {
            Sink::Csv(w) => w
                .write_record(
                    cells
                        .iter()
                        .map(|c| crate::formula::neutralise(c).into_owned()),
                )
                .map_err(|e| io_err(&self.path, &e)),
            Sink::Xlsx { book, row } => {
                if *row >= XLSX_MAX_ROW {
                    return Err(WriteError::TooManyRows);
                }
                *row += 1;
                let r = *row;
                let sheet: &mut Worksheet = book
                    .worksheet_from_index(0)
                    .map_err(|e| io_err(&self.path, &e))?;
                for (i, value) in cells.iter().enumerate() {
                    if value.is_empty() {
                        continue;
                    }
                    let col = i as u16;
                    let written = match self
                        .date_columns
                        .contains(&i)
                        .then(|| as_excel_date(value))
                        .flatten()
                    {
                        Some(d) => sheet
                            .write_datetime_with_format(r, col, d, &self.date)
                            .map(|_| ()),
                        None => sheet
                            .write_string_with_format(r, col, value, &self.text)
                            .map(|_| ()),
                    };
                    written.map_err(|e| io_err(&self.path, &e))?;
                }
                Ok(())
            }
        }
    }

    pub fn finish(self) -> Result<(), WriteError> {
        match self.sink {
            Sink::Csv(mut w) => w.flush().map_err(|e| io_err(&self.path, &e)),
            Sink::Xlsx { mut book, .. } => {
                book.save(&self.path).map_err(|e| io_err(&self.path, &e))
            }
        }
    }
}

fn as_excel_date(value: &str) -> Option<ExcelDateTime> {
    let d: jiff::civil::Date = value.parse().ok()?;
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok()
}

fn io_err(path: &Path, e: &dyn std::fmt::Display) -> WriteError {
    WriteError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}
