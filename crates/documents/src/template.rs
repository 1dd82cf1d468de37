//! The import templates offered on the upload page: the people and events files' columns as
//! the import reads them (required ones marked *), with the values each column accepts taken
//! from core's code tables, so that a template filled in imports as it is.
//!
//! XLSX: the first sheet to fill in (every column text, so ID and household numbers stay as
//! typed), a second sheet 填写说明 listing each column's accepted values, and a third listing
//! the area codes the officer may use. CSV: a row of notes above the header (the import looks
//! for the header among the first rows and reads past what is above it), then the header.

use renkou_core::codes::{
    ContraceptionMethod, Education, Ethnicity, EventKind, MaritalStatus, PopulationType,
    PregnancyOutcome, Relation, Sex,
};
use renkou_core::record::{Column, EVENT_COLUMNS, PERSON_COLUMNS};
use rust_xlsxwriter::{Format as CellFormat, Workbook};

/// Which file the template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    Persons,
    Events,
}

impl TemplateKind {
    pub fn columns(self) -> &'static [Column] {
        match self {
            TemplateKind::Persons => PERSON_COLUMNS,
            TemplateKind::Events => EVENT_COLUMNS,
        }
    }

    /// The file's name without extension: 人口信息导入模板.
    pub fn file_stem(self) -> &'static str {
        match self {
            TemplateKind::Persons => "人口信息导入模板",
            TemplateKind::Events => "事件导入模板",
        }
    }
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join("、")
}

/// What a column accepts, in words for the person filling it in (docs/FORMATS.md).
pub fn accepted(kind: TemplateKind, key: &str) -> String {
    let date = "日期，如 2026-11-28（也可写 2026/11/28、2026年11月28日）";
    match (kind, key) {
        (TemplateKind::Persons, "id_number") => "18位身份证号（末位可为X）或15位旧号；请把此列设为文本。未满16周岁、尚未办理身份证的儿童可不填".into(),
        (TemplateKind::Events, "id_number") => "已在登记中的人的身份证号；请把此列设为文本".into(),
        (_, "name") => "1–50个字，生僻字和间隔号（·）照实填写".into(),
        (_, "sex") => format!("{}；有身份证号时可不填", names(Sex::ALL, Sex::name_zh)),
        (_, "birth_date") => format!("{date}；有身份证号时可不填"),
        (_, "ethnicity") => names(Ethnicity::ALL, Ethnicity::name_zh),
        (_, "marital_status") => names(MaritalStatus::ALL, MaritalStatus::name_zh),
        (_, "education") => names(Education::ALL, Education::name_zh),
        (_, "phone") => "手机号 13800008000，或带区号的固定电话 0562-2812345".into(),
        (_, "household_no") => "最多32位字母、数字或“-”；同一户的人填同一个户编号；请把此列设为文本（0012 不要变成 12）".into(),
        (_, "relation") => names(Relation::ALL, Relation::name_zh),
        (_, "population_type") => names(PopulationType::ALL, PopulationType::name_zh),
        (_, "registered_place") => "6位区划代码和/或地名，如 340705 安徽省铜陵市铜官区".into(),
        (_, "area_code") => "居委会（12位）或居民小组（15位）代码，见“区划代码”表".into(),
        (_, "address") => "最多200字".into(),
        (_, "arrival_date") => format!("流入人口必填：{date}"),
        (_, "leaving_date") => format!("流出人口必填：{date}"),
        (_, "origin_or_destination") => "流入人口的来源地，或流出人口的去向".into(),
        (_, "event") => names(EventKind::ALL, EventKind::name_zh),
        (_, "date") => format!("事件发生的{date}；不晚于今天"),
        (_, "spouse_id_number") => "结婚、再婚：配偶在本市登记时填写其身份证号".into(),
        (_, "method") => format!("避孕开始、避孕变更：{}", names(ContraceptionMethod::ALL, ContraceptionMethod::name_zh)),
        (_, "outcome") => format!("妊娠结局：{}", names(PregnancyOutcome::ALL, PregnancyOutcome::name_zh)),
        (_, "child_name") => "出生：子女姓名（未取名可填 新生儿）".into(),
        (_, "child_sex") => format!("出生（必填）：{}", names(Sex::ALL, Sex::name_zh)),
        (_, "birth_weight_g") => "出生：以克计，300–7000，如 3200".into(),
        (_, "birth_order") => "出生：第几个孩子；不填时按已登记的子女推算".into(),
        (_, "birth_defect") => "出生：是 或 否".into(),
        (_, "to_area_code") => "迁入（必填）、本市内迁出：新的居委会或小组代码".into(),
        (_, "note") => "更正（必填）：更正了什么、依据是什么；迁出本市：去向".into(),
        _ => String::new(),
    }
}

/// The header as the template writes it: the Chinese name, with * when required.
fn header(c: &Column) -> String {
    if c.required {
        format!("{}*", c.zh)
    } else {
        c.zh.to_string()
    }
}

/// The CSV template (UTF-8 with a BOM, as Excel in China opens it right): notes, then header.
pub fn csv_template(kind: TemplateKind) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let notes: Vec<String> = kind
            .columns()
            .iter()
            .map(|c| {
                let need = if c.required { "必填" } else { "选填" };
                format!("{need}：{}", accepted(kind, c.key))
            })
            .collect();
        w.write_record(&notes).expect("writing to memory");
        w.write_record(kind.columns().iter().map(header))
            .expect("writing to memory");
        w.flush().expect("writing to memory");
    }
    out
}

/// The XLSX template; `areas` (code, name) are the areas the officer may import into.
pub fn xlsx_template(
    kind: TemplateKind,
    areas: &[(String, String)],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let text = CellFormat::new().set_num_format("@");
    let wrap = CellFormat::new().set_text_wrap();
    let columns = kind.columns();
    let sheet = book.add_worksheet().set_name("导入数据")?;
    for (i, c) in columns.iter().enumerate() {
        let col = i as u16;
        sheet.set_column_format(col, &text)?;
        sheet.set_column_width(col, 16)?;
        sheet.write_string_with_format(0, col, header(c), &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let help = book.add_worksheet().set_name("填写说明")?;
    for (i, h) in ["列名", "英文列名", "是否必填", "可填写的值"]
        .iter()
        .enumerate()
    {
        help.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    help.set_column_width(0, 14)?;
    help.set_column_width(1, 22)?;
    help.set_column_width(2, 10)?;
    help.set_column_width(3, 90)?;
    for (i, c) in columns.iter().enumerate() {
        let r = i as u32 + 1;
        help.write_string(r, 0, c.zh)?;
        help.write_string(r, 1, c.key)?;
        help.write_string(r, 2, if c.required { "必填" } else { "选填" })?;
        help.write_string_with_format(r, 3, accepted(kind, c.key), &wrap)?;
    }
    let note_row = columns.len() as u32 + 2;
    help.write_string(
        note_row,
        0,
        "在“导入数据”表中从第2行起每行填一条；带 * 的列必填；不要改动表头。",
    )?;
    if !areas.is_empty() {
        let list = book.add_worksheet().set_name("区划代码")?;
        list.write_string_with_format(0, 0, "区划代码", &bold)?;
        list.write_string_with_format(0, 1, "名称", &bold)?;
        list.set_column_width(0, 20)?;
        list.set_column_width(1, 40)?;
        for (i, (code, name)) in areas.iter().enumerate() {
            list.write_string_with_format(i as u32 + 1, 0, code, &text)?;
            list.write_string(i as u32 + 1, 1, name)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkou_core::record::HeaderMap;

    /// Both templates' headers are what the import reads, and every column says what it takes.
    #[test]
    fn templates_read_back_as_the_import_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        for kind in [TemplateKind::Persons, TemplateKind::Events] {
            for c in kind.columns() {
                assert!(!accepted(kind, c.key).is_empty(), "{kind:?} {}", c.key);
            }
            let csv = dir.path().join("t.csv");
            std::fs::write(&csv, csv_template(kind)).unwrap();
            let rows: Vec<_> = crate::open_table(&csv)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(rows.len(), 2);
            assert!(HeaderMap::new(kind.columns(), &rows[0].cells).is_err());
            assert!(HeaderMap::new(kind.columns(), &rows[1].cells).is_ok());
            let xlsx = dir.path().join("t.xlsx");
            let areas = [("340705001001".to_string(), "青龙第1居委会".to_string())];
            std::fs::write(&xlsx, xlsx_template(kind, &areas).unwrap()).unwrap();
            let rows: Vec<_> = crate::open_table(&xlsx)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(rows.len(), 1, "only the header on the sheet to fill in");
            assert!(HeaderMap::new(kind.columns(), &rows[0].cells).is_ok());
        }
        let notes = String::from_utf8(csv_template(TemplateKind::Persons)).unwrap();
        assert!(notes.contains("汉族") && notes.contains("初婚"), "{notes}");
    }
}
