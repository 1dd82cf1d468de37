//! Exports' files: the people file in the same columns the import reads, and the register of
//! issued documents. The caller fetches what they hold.

use std::path::Path;

use renkou_core::Person;
use renkou_core::certificate::Certificate;
use renkou_core::record::{PERSON_COLUMNS, person_to_row};

use crate::write::{TableWriter, WriteError};

/// The people file, written one person at a time as the store hands them over.
pub struct PersonsFile {
    writer: TableWriter,
}

impl PersonsFile {
    pub fn create(out: &Path) -> Result<PersonsFile, WriteError> {
        let headers: Vec<&str> = PERSON_COLUMNS.iter().map(|c| c.zh).collect();
        let dates: Vec<usize> = PERSON_COLUMNS
            .iter()
            .enumerate()
            .filter(|(_, c)| c.key.ends_with("_date"))
            .map(|(i, _)| i)
            .collect();
        // Excel would read these as numbers and drop their leading zeros or last digits.
        let text: Vec<usize> = PERSON_COLUMNS
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.key, "id_number" | "phone" | "household_no" | "area_code"))
            .map(|(i, _)| i)
            .collect();
        Ok(PersonsFile {
            writer: TableWriter::create(out, &headers, &dates, &text)?,
        })
    }

    pub fn write(&mut self, person: &Person) -> Result<(), WriteError> {
        self.writer.write_row(&person_to_row(person))
    }

    pub fn finish(self) -> Result<(), WriteError> {
        self.writer.finish()
    }
}

/// The columns of the issued-documents register (`renkou certificates export`). The holder's
/// ID number is masked: the register is for counting and follow-up, not for identifying.
const CERTIFICATE_HEADERS: &[&str] = &[
    "证号",
    "证件类型",
    "持证人",
    "身份证号（隐去中段）",
    "区划代码",
    "申请时间",
    "发证日期",
    "有效期至",
    "办理用时（天）",
    "状态",
    "打印份数",
    "已送达",
    "补发自",
];

/// One issued document as the register lists it: the holder by name and masked ID number.
pub struct IssuedDocument<'a> {
    pub certificate: &'a Certificate,
    pub holder_name: &'a str,
    pub holder_id_masked: Option<&'a str>,
}

/// Writes the documents issued in a period (reissues included) as a table; returns how many
/// rows. `today` decides which have expired.
pub fn write_issued_documents(
    records: &[IssuedDocument<'_>],
    today: jiff::civil::Date,
    out: &Path,
) -> Result<u64, WriteError> {
    use renkou_core::certificate::Validity;
    let by_id: std::collections::HashMap<i64, String> = records
        .iter()
        .filter_map(|r| Some((r.certificate.id, r.certificate.serial.clone()?)))
        .collect();
    let mut writer = TableWriter::create(out, CERTIFICATE_HEADERS, &[6, 7], &[0, 3, 4])?;
    for r in records {
        let c = r.certificate;
        let state = match c.validity_on(today) {
            Some(Validity::Valid) => "有效",
            Some(Validity::Expired) => "已过期",
            Some(Validity::Revoked) => "已注销",
            Some(Validity::Voided) => "已作废（已补发）",
            None => c.state.name_zh(),
        };
        let days = c
            .processing_seconds
            .map(|s| format!("{:.1}", s as f64 / 86_400.0))
            .unwrap_or_default();
        writer.write_row(&[
            c.serial.clone().unwrap_or_default(),
            c.kind.name_zh().to_string(),
            r.holder_name.to_string(),
            r.holder_id_masked.unwrap_or_default().to_string(),
            c.area_code.to_string(),
            c.applied_at
                .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            c.issued_on.map(|d| d.to_string()).unwrap_or_default(),
            c.valid_until.map(|d| d.to_string()).unwrap_or_default(),
            days,
            state.to_string(),
            c.copies_printed.to_string(),
            if c.delivered { "是" } else { "否" }.to_string(),
            c.replaces
                .and_then(|id| by_id.get(&id).cloned())
                .unwrap_or_default(),
        ])?;
    }
    writer.finish()?;
    Ok(records.len() as u64)
}
