//! What a file really is, by its first bytes and (for a zip) its parts, not by its name: a
//! workbook renamed, or saved by an office suite under another name, gets a message a person
//! can act on instead of a zip library's error.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::read::TableError;

/// The kinds of file an upload can turn out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Xlsx,
    /// OpenDocument spreadsheet (LibreOffice, WPS "另存为 .ods").
    Ods,
}

const OLE2: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const ZIP: &[u8] = b"PK\x03\x04";
const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

fn not_a_table(what: &str) -> TableError {
    TableError::NotATable(what.to_string())
}

/// Looks at the file's content; the extension only decides between a text file that is a CSV
/// and one that is not a table at all.
pub fn kind_of(path: &Path) -> Result<Kind, TableError> {
    let open_err = |e: &dyn std::fmt::Display| TableError::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut head = [0u8; 512];
    let n = {
        let mut file = File::open(path).map_err(|e| open_err(&e))?;
        let mut filled = 0;
        while filled < head.len() {
            match file.read(&mut head[filled..]).map_err(|e| open_err(&e))? {
                0 => break,
                k => filled += k,
            }
        }
        filled
    };
    let head = &head[..n];
    if head.starts_with(OLE2) {
        // Excel 97–2003 (.xls), or a Word or WPS document of the same age.
        return Err(TableError::LegacyXls);
    }
    if head.starts_with(ZIP) {
        return zip_kind(path).map_err(|e| match e {
            ZipKind::Unreadable(reason) => open_err(&reason),
            ZipKind::Refused(e) => e,
        });
    }
    if head.starts_with(b"%PDF") {
        return Err(not_a_table("这是 PDF 文件"));
    }
    // Text (or what may be GBK text); a NUL byte says it is some other binary file.
    let binary =
        head.contains(&0) && !head.starts_with(b"\xFF\xFE") && !head.starts_with(b"\xFE\xFF");
    match ext.as_str() {
        _ if binary => Err(not_a_table("文件内容不是表格")),
        // A CSV file someone renamed: read it as what it is.
        "csv" | "txt" | "xlsx" | "xlsm" | "ods" | "xls" => Ok(Kind::Csv),
        _ => Err(TableError::Format(ext)),
    }
}

enum ZipKind {
    Unreadable(String),
    Refused(TableError),
}

fn zip_kind(path: &Path) -> Result<Kind, ZipKind> {
    let file = File::open(path).map_err(|e| ZipKind::Unreadable(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|_| ZipKind::Refused(not_a_table("文件已损坏或不完整（压缩包无法打开）")))?;
    if let Ok(mut part) = zip.by_name("mimetype") {
        let mut mime = String::new();
        let _ = (&mut part).take(200).read_to_string(&mut mime);
        let mime = mime.trim();
        return if mime == ODS_MIME {
            Ok(Kind::Ods)
        } else if mime.starts_with("application/vnd.oasis.opendocument") {
            Err(ZipKind::Refused(not_a_table(
                "这是 OpenDocument 文档，不是电子表格",
            )))
        } else {
            Err(ZipKind::Refused(not_a_table("这是一个压缩文件")))
        };
    }
    if zip.index_for_name("xl/workbook.xml").is_some() {
        Ok(Kind::Xlsx)
    } else if zip.index_for_name("word/document.xml").is_some() {
        Err(ZipKind::Refused(not_a_table("这是 Word 文档")))
    } else {
        Err(ZipKind::Refused(not_a_table("这是一个压缩文件")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(path: &Path, parts: &[(&str, &str)]) {
        let mut w = zip::ZipWriter::new(File::create(path).unwrap());
        for (name, text) in parts {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }

    #[test]
    fn files_are_known_by_content_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let xls = dir.path().join("renamed.xlsx");
        let mut bytes = OLE2.to_vec();
        bytes.extend([0u8; 600]);
        std::fs::write(&xls, &bytes).unwrap();
        assert!(matches!(kind_of(&xls), Err(TableError::LegacyXls)));

        let ods = dir.path().join("saved.xlsx");
        zip_with(&ods, &[("mimetype", ODS_MIME), ("content.xml", "<x/>")]);
        assert_eq!(kind_of(&ods).unwrap(), Kind::Ods);

        let docx = dir.path().join("letter.xlsx");
        zip_with(&docx, &[("word/document.xml", "<x/>")]);
        let e = kind_of(&docx).unwrap_err().to_string();
        assert!(e.contains("Word 文档") && e.contains("另存为"), "{e}");

        let csv = dir.path().join("people.xlsx");
        std::fs::write(&csv, "身份证号,姓名\n").unwrap();
        assert_eq!(kind_of(&csv).unwrap(), Kind::Csv);

        let broken = dir.path().join("broken.xlsx");
        std::fs::write(&broken, b"PK\x03\x04 not really").unwrap();
        let e = kind_of(&broken).unwrap_err().to_string();
        assert!(e.contains("损坏") && !e.contains("EOCD"), "{e}");
    }
}
