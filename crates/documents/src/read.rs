//! Reading tables row by row, without holding the file in memory.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use calamine::{Data, DataRef, Ods, Reader, Xlsx, open_workbook};
use encoding_rs::{Encoding, GB18030, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

use crate::sniff::{Kind, kind_of};

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("无法打开文件 {path}：{reason}")]
    Open { path: String, reason: String },
    #[error("不支持的文件类型「{0}」：请使用 .xlsx、.ods 或 .csv")]
    Format(String),
    #[error(
        "这是旧版 Excel 文件（.xls，Excel 97–2003 格式）：请在 Excel 或 WPS 中另存为 .xlsx 或 CSV（UTF-8）后再导入"
    )]
    LegacyXls,
    #[error("{0}：请在 Excel 或 WPS 中打开表格，另存为 .xlsx 或 CSV（UTF-8）后再导入")]
    NotATable(String),
    #[error("文件是空的，没有表头行")]
    Empty,
    #[error("第{row}行无法读取：{reason}")]
    Row { row: u64, reason: String },
    #[error("{0}")]
    TooLarge(String),
}

/// Before an XLSX is read for an upload: its parts, decompressed, are no larger than a file of
/// `max_rows` rows can be. A few hundred kilobytes can unpack to gigabytes, and calamine holds
/// the shared strings in memory, so both the sheets and the strings are counted as they
/// unpack (a part's declared size may lie), and reading stops at the limit.
pub fn check_xlsx_size(path: &Path, max_rows: u64) -> Result<(), TableError> {
    let kind = kind_of(path)?;
    if kind == Kind::Csv {
        return Ok(());
    }
    let bad = |e: &dyn std::fmt::Display| TableError::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let file = File::open(path).map_err(|e| bad(&e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(&e))?;
    // Generous for real registers: about 2 KB of sheet XML and 256 bytes of text per row.
    let sheet_limit = max_rows.saturating_mul(2048) + (1 << 20);
    let strings_limit = max_rows.saturating_mul(256) + (1 << 20);
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|e| bad(&e))?;
        let name = part.name().map_err(|e| bad(&e))?.to_string();
        let limit = if name.starts_with("xl/worksheets/") {
            sheet_limit
        } else if name == "xl/sharedStrings.xml" {
            strings_limit
        } else if name == "content.xml" && kind == Kind::Ods {
            // ODS keeps sheets and strings in one part, and calamine reads it whole.
            sheet_limit + strings_limit
        } else {
            continue;
        };
        let unpacked =
            std::io::copy(&mut part.take(limit + 1), &mut std::io::sink()).map_err(|e| bad(&e))?;
        if unpacked > limit {
            return Err(TableError::TooLarge(format!(
                "这个表格文件解压后超过 {} MB（{name}），比 {max_rows} 行的登记表大得多，没有读取：请检查文件，或分成几个文件导入",
                limit >> 20
            )));
        }
    }
    Ok(())
}

/// One row: its number as a spreadsheet shows it (the first row is 1) and its cells as text.
pub use renkou_core::import::SourceRow as Row;

/// A table file opened for reading. Iterating yields every row, the header row included;
/// which row is the header is for the reader of the rows to decide.
pub struct Table {
    /// What the file turned out to be, for the report: "CSV (GB18030)", "XLSX".
    pub description: String,
    rows: Box<dyn Iterator<Item = Result<Row, TableError>> + Send>,
}

impl Iterator for Table {
    type Item = Result<Row, TableError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

/// How a number cell of a workbook reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// As a spreadsheet shows it: a number of 15 digits or more in its scientific form
    /// (3.40702E+17), so that an ID number stored as a number is recognised as one.
    AsShown,
    /// Every digit the cell holds (340702199001011200): for the rejected-rows file, which gives
    /// the officer back what the file had.
    Digits,
}

/// Opens a table by what the file is (its content, not its name).
pub fn open_table(path: &Path) -> Result<Table, TableError> {
    open_table_as(path, Numbers::AsShown)
}

pub fn open_table_as(path: &Path, numbers: Numbers) -> Result<Table, TableError> {
    let open_err = |e: &dyn std::fmt::Display| TableError::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    match kind_of(path)? {
        Kind::Csv => open_csv(path).map_err(|e| open_err(&e)),
        Kind::Xlsx => open_xlsx(path, numbers),
        Kind::Ods => open_ods(path, numbers),
    }
}

/// Guesses UTF-8 or GB18030 from the start of the file: Excel in China saves "CSV" in GBK unless
/// asked for "CSV UTF-8", and GBK text is almost never valid UTF-8.
fn sniff_encoding(head: &[u8]) -> &'static Encoding {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return UTF_8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        // A multi-byte character cut off by the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() && e.valid_up_to() + 4 > head.len() => UTF_8,
        Err(_) => GB18030,
    }
}

fn open_csv(path: &Path) -> std::io::Result<Table> {
    let mut file = File::open(path)?;
    let mut head = vec![0u8; 64 * 1024];
    let n = read_up_to(&mut file, &mut head)?;
    head.truncate(n);
    file.seek(SeekFrom::Start(0))?;
    let encoding = sniff_encoding(&head);
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    // Some "CSV" files from office software are tab-separated.
    let delimiter = if !first_line.contains(&b',') && first_line.contains(&b'\t') {
        b'\t'
    } else {
        b','
    };
    let decoded = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .utf8_passthru(true)
        .build(BufReader::with_capacity(256 * 1024, file));
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(RecordLimit::new(decoded));
    let mut number = 0u64;
    let mut records = reader.into_records();
    let rows = std::iter::from_fn(move || {
        let rec = records.next()?;
        number += 1;
        Some(match rec {
            Ok(r) if r.len() > MAX_COLUMNS => Err(too_many_columns(number)),
            Ok(r) => Ok(Row {
                number,
                cells: r
                    .iter()
                    .map(|c| crate::formula::restore(c.to_string()))
                    .collect(),
            }),
            Err(e) => Err(TableError::Row {
                row: number,
                reason: match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "含有无法识别的字符（文件编码应为 UTF-8 或 GBK）".to_string()
                    }
                    _ => e.to_string(),
                },
            }),
        })
    });
    let name = if encoding == UTF_8 {
        "CSV (UTF-8)"
    } else {
        "CSV (GB18030/GBK)"
    };
    Ok(Table {
        description: name.to_string(),
        rows: Box::new(rows),
    })
}

/// The most cells a row may have: a register row has about thirty.
pub const MAX_COLUMNS: usize = 1024;

/// The most bytes one CSV record may take: a register row is well under a kilobyte.
const MAX_RECORD_BYTES: usize = 1 << 20;

fn too_many_columns(row: u64) -> TableError {
    TableError::Row {
        row,
        reason: format!("有超过 {MAX_COLUMNS} 列，不是登记表的一行"),
    }
}

/// Stops a CSV whose record runs past `MAX_RECORD_BYTES` (the csv reader would hold all of
/// it in memory): it counts the bytes since the last line break outside quotes.
struct RecordLimit<R> {
    inner: R,
    in_quotes: bool,
    since_break: usize,
}

impl<R> RecordLimit<R> {
    fn new(inner: R) -> Self {
        RecordLimit {
            inner,
            in_quotes: false,
            since_break: 0,
        }
    }
}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' if !self.in_quotes => self.since_break = 0,
                _ => {}
            }
            self.since_break += 1;
            if self.since_break > MAX_RECORD_BYTES {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("一行超过 {} MB，不是登记表的一行", MAX_RECORD_BYTES >> 20),
                ));
            }
        }
        Ok(n)
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// A cell as the text a person would see in it. Dates become 2024-03-05; whole numbers lose
/// Excel's ".0"; numbers too long for Excel to hold exactly (an ID number typed into a number
/// cell) keep the scientific form Excel shows, so validation can explain what happened.
fn cell_text(v: &DataRef<'_>, numbers: Numbers) -> String {
    match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if numbers == Numbers::Digits && f.fract() == 0.0 => format!("{f}"),
        DataRef::Float(f) => float_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) if d.is_datetime() => {
            match renkou_core::dates::from_excel_serial(d.as_f64().floor() as i64) {
                Some(date) => date.to_string(),
                None => float_text(d.as_f64()),
            }
        }
        DataRef::DateTime(d) => float_text(d.as_f64()),
        // ODS dates: 2024-03-05, or 2024-03-05T00:00:00 for a date cell with a time format.
        DataRef::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_string(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else if f.abs() >= 1e15 {
        let exp = f.abs().log10().floor() as i32;
        format!("{:.5}E+{exp}", f / 10f64.powi(exp))
    } else {
        f.to_string()
    }
}

/// An OpenDocument spreadsheet's first sheet. calamine reads it whole (its size was checked
/// before for uploads); the rows are handed out one by one like the other formats'.
fn open_ods(path: &Path, numbers: Numbers) -> Result<Table, TableError> {
    let open_err = |e: &dyn std::fmt::Display| TableError::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let mut book: Ods<BufReader<File>> = open_workbook(path).map_err(|e| open_err(&e))?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(TableError::Empty)?;
    let range = book.worksheet_range(&sheet).map_err(|e| open_err(&e))?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        let number = u64::from(first_row) + i as u64 + 1;
        let mut texts = vec![String::new(); first_col as usize];
        if texts.len() + cells.len() > MAX_COLUMNS {
            rows.push(Err(too_many_columns(number)));
            break;
        }
        texts.extend(
            cells
                .iter()
                .map(|c| crate::formula::restore(cell_text(&data_ref(c), numbers))),
        );
        while texts.last().is_some_and(String::is_empty) {
            texts.pop();
        }
        if !texts.is_empty() {
            rows.push(Ok(Row {
                number,
                cells: texts,
            }));
        }
    }
    Ok(Table {
        description: "ODS".to_string(),
        rows: Box::new(rows.into_iter()),
    })
}

fn data_ref(c: &Data) -> DataRef<'_> {
    match c {
        Data::Int(i) => DataRef::Int(*i),
        Data::Float(f) => DataRef::Float(*f),
        Data::String(s) => DataRef::SharedString(s),
        Data::Bool(b) => DataRef::Bool(*b),
        Data::DateTime(d) => DataRef::DateTime(*d),
        Data::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
        Data::DurationIso(s) => DataRef::DurationIso(s.clone()),
        Data::Error(e) => DataRef::Error(e.clone()),
        Data::Empty => DataRef::Empty,
    }
}

fn open_xlsx(path: &Path, numbers: Numbers) -> Result<Table, TableError> {
    let open_err = |e: &dyn std::fmt::Display| TableError::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let book: Xlsx<BufReader<File>> = open_workbook(path).map_err(|e| open_err(&e))?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(TableError::Empty)?;
    let rows = XlsxRows::new(book, sheet, numbers).map_err(|e| open_err(&e))?;
    Ok(Table {
        description: "XLSX".to_string(),
        rows: Box::new(rows),
    })
}

/// Streams an XLSX sheet row by row. calamine's cell reader borrows the workbook, so the rows
/// are produced by a worker thread that owns both and hands them over a bounded channel:
/// memory stays flat however long the sheet is.
struct XlsxRows {
    rx: std::sync::mpsc::Receiver<Result<Row, TableError>>,
}

impl XlsxRows {
    fn new(
        mut book: Xlsx<BufReader<File>>,
        sheet: String,
        numbers: Numbers,
    ) -> Result<Self, calamine::XlsxError> {
        // Fail early (on the caller's thread) if the sheet cannot be read at all.
        drop(book.worksheet_cells_reader(&sheet)?);
        let (tx, rx) = std::sync::mpsc::sync_channel(1024);
        std::thread::spawn(move || {
            let mut cells = match book.worksheet_cells_reader(&sheet) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(Err(TableError::Row {
                        row: 1,
                        reason: e.to_string(),
                    }));
                    return;
                }
            };
            let mut current: Option<Row> = None;
            loop {
                match cells.next_cell() {
                    Ok(Some(cell)) => {
                        let (r, c) = cell.get_position();
                        let number = u64::from(r) + 1;
                        if current.as_ref().is_some_and(|row| row.number != number) {
                            let done = current.take().expect("checked");
                            // Rows with no cells at all (skipped in the file) are passed over.
                            if tx.send(Ok(done)).is_err() {
                                return;
                            }
                        }
                        let row = current.get_or_insert_with(|| Row {
                            number,
                            cells: Vec::new(),
                        });
                        let c = c as usize;
                        if c >= MAX_COLUMNS {
                            let _ = tx.send(Err(too_many_columns(number)));
                            return;
                        }
                        if row.cells.len() <= c {
                            row.cells.resize(c + 1, String::new());
                        }
                        row.cells[c] =
                            crate::formula::restore(cell_text(cell.get_value(), numbers));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let row = current.as_ref().map_or(1, |r| r.number);
                        let _ = tx.send(Err(TableError::Row {
                            row,
                            reason: e.to_string(),
                        }));
                        return;
                    }
                }
            }
            if let Some(row) = current {
                let _ = tx.send(Ok(row));
            }
        });
        Ok(XlsxRows { rx })
    }
}

impl Iterator for XlsxRows {
    type Item = Result<Row, TableError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_told_apart() {
        let (gbk, _, _) = GB18030.encode("身份证号,姓名\n");
        assert_eq!(sniff_encoding(&gbk), GB18030);
        assert_eq!(sniff_encoding("身份证号,姓名\n".as_bytes()), UTF_8);
        assert_eq!(sniff_encoding(b"\xEF\xBB\xBFid_number"), UTF_8);
        // A sample that ends inside a character is still UTF-8.
        let s = "姓名".as_bytes();
        assert_eq!(sniff_encoding(&s[..s.len() - 1]), UTF_8);
    }

    #[test]
    fn a_record_past_a_megabyte_or_a_thousand_columns_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join("long.csv");
        let mut text = String::from("身份证号,姓名\n1,\"");
        text.push_str(&"张\n".repeat(600_000));
        text.push_str("\"\n");
        std::fs::write(&long, text).unwrap();
        let rows: Vec<_> = open_table(&long).unwrap().collect();
        assert!(
            rows.last().unwrap().is_err(),
            "a 2 MB quoted cell stops the file"
        );
        let wide = dir.path().join("wide.csv");
        std::fs::write(&wide, format!("a,b\n{}\n", ",".repeat(MAX_COLUMNS + 1))).unwrap();
        let rows: Vec<_> = open_table(&wide).unwrap().collect();
        match &rows[1] {
            Err(TableError::Row { row: 2, reason }) => assert!(reason.contains("列")),
            other => panic!("{other:?}"),
        }
    }

    /// An ID number typed into a number cell: checks see Excel's scientific form, the
    /// rejected-rows file gets every digit the cell held.
    #[test]
    fn a_numeric_id_cell_reads_as_shown_and_keeps_its_digits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "身份证号").unwrap();
        sheet.write_number(1, 0, 340702199001011234.0).unwrap();
        book.save(&path).unwrap();
        let shown: Vec<Row> = open_table(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(shown[1].cells[0], "3.40702E+17");
        let kept: Vec<Row> = open_table_as(&path, Numbers::Digits)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let digits = &kept[1].cells[0];
        assert!(
            digits.starts_with("3407021990010112") && digits.len() == 18,
            "{digits}"
        );
    }

    /// An OpenDocument spreadsheet as LibreOffice saves it, renamed .xlsx: read by content.
    #[test]
    fn an_ods_file_is_read() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("people.xlsx");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        zip.start_file("META-INF/manifest.xml", stored).unwrap();
        zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
        zip.start_file("content.xml", stored).unwrap();
        zip.write_all(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sheet1">
<table:table-row><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>出生日期</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>户编号</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>张秀英</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="1949-12-31"><text:p>1949/12/31</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>0012</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#
                .as_bytes(),
        )
        .unwrap();
        zip.finish().unwrap();
        let table = open_table(&path).unwrap();
        assert_eq!(table.description, "ODS");
        let rows: Vec<Row> = table.map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].number, 2);
        assert_eq!(rows[1].cells, ["张秀英", "1949-12-31", "0012"]);
        check_xlsx_size(&path, 10).unwrap();
    }

    #[test]
    fn cells_read_as_people_see_them() {
        assert_eq!(float_text(45356.0), "45356");
        assert_eq!(float_text(1.5), "1.5");
        assert_eq!(float_text(110105194912310020.0), "1.10105E+17");
    }
}
