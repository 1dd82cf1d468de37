//! The statistical report as a printed statistical sheet (XLSX): the title with area, period
//! and 统计时间, two header rows, one row per child area, the total row, numbers as numbers,
//! the header and the area column frozen.

use jiff::civil::Date;
use renkou_core::stats::report::{COLUMNS, Report};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// The report as an XLSX file's bytes.
pub fn report_xlsx(report: &Report, made: Date) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("统计报表")?;
    let last_col = COLUMNS.len() as u16;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let whole = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0");
    let rate = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0");
    let total = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_num_format("0");
    let total_rate = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0");

    let name = if report.area.name.is_empty() {
        "全市"
    } else {
        &report.area.name
    };
    sheet.merge_range(
        0,
        0,
        0,
        last_col,
        &format!("{name}人口计划生育统计报表"),
        &title,
    )?;
    sheet.merge_range(
        1,
        0,
        1,
        last_col,
        &format!(
            "统计期：{}　　统计时点：{}　　统计时间：{made}　　区划代码：{}",
            report.period, report.as_of, report.area.code
        ),
        &Format::new(),
    )?;
    // Two header rows: the groups, then the figures; the area column spans both.
    sheet.merge_range(2, 0, 3, 0, "地区", &head)?;
    let mut c = 0;
    while c < COLUMNS.len() {
        let group = COLUMNS[c].group_zh;
        let span = COLUMNS[c..]
            .iter()
            .take_while(|x| x.group_zh == group)
            .count();
        let (first, last) = (c as u16 + 1, (c + span) as u16);
        if span > 1 {
            sheet.merge_range(2, first, 2, last, group, &head)?;
        } else {
            sheet.write_with_format(2, first, group, &head)?;
        }
        c += span;
    }
    for (i, col) in COLUMNS.iter().enumerate() {
        sheet.write_with_format(3, i as u16 + 1, col.zh, &head)?;
        sheet.set_column_width(i as u16 + 1, 10)?;
    }
    sheet.set_column_width(0, 26)?;
    sheet.set_row_height(3, 30)?;

    let mut row = 4;
    let write_row = |sheet: &mut rust_xlsxwriter::Worksheet,
                     row: u32,
                     name: &str,
                     r: &renkou_core::stats::report::ReportRow,
                     bold: bool|
     -> Result<(), XlsxError> {
        sheet.write_with_format(row, 0, name, if bold { &total } else { &cell })?;
        for (i, col) in COLUMNS.iter().enumerate() {
            let c = i as u16 + 1;
            let is_rate = matches!(
                col.key,
                "contraceptive_prevalence" | "sex_ratio_at_birth" | "timeliness"
            );
            let format = match (bold, is_rate) {
                (true, true) => &total_rate,
                (true, false) => &total,
                (false, true) => &rate,
                (false, false) => &whole,
            };
            // A resident group's small health counts, for a role without health access.
            let hidden = r.hides(col);
            match (col.value)(&r.figures) {
                Some(_) if hidden && col.key == "pregnant" => {
                    sheet.write_with_format(row, c, "<3", format)?
                }
                Some(v) if !hidden => sheet.write_number_with_format(row, c, v, format)?,
                _ => sheet.write_with_format(row, c, "—", format)?,
            };
        }
        Ok(())
    };
    for r in &report.rows {
        write_row(sheet, row, &r.area.name, r, false)?;
        row += 1;
    }
    write_row(sheet, row, "合计", &report.total, true)?;
    sheet.set_freeze_panes(4, 1)?;
    sheet.set_landscape();
    book.save_to_buffer()
}
