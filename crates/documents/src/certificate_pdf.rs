//! Certificates printed as PDF: the three documents of the plan on A4, typeset by typst
//! embedded as a library.
//!
//! The template is ours and fixed; the person's data reaches it only as a JSON file it reads,
//! so nothing typed at a window can become typst markup. Every character is checked against the
//! chosen fonts before typesetting: a name the fonts cannot print is refused with the field and
//! the character, never printed as a blank box.

mod fonts;
mod world;

use std::path::PathBuf;

use jiff::civil::Date;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use renkou_core::CertificateKind;
use typst::diag::SourceDiagnostic;
use typst::foundations::{Bytes, Smart};
use typst::syntax::Source;
use typst::utils::LazyHash;
use typst::{Library, LibraryExt};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use fonts::Fonts;
use world::{Files, PaperWorld};

const TEMPLATE: &str = include_str!("../templates/certificate.typ");

/// Renders typst's memo cache keeps an unused entry for: the template's fixed parts stay warm
/// between papers while one-off names age out, so memory does not grow with the papers printed.
const CACHE_MAX_AGE: usize = 16;

/// One document as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePaper {
    pub kind: CertificateKind,
    /// e.g. "SB2026000123".
    pub serial: String,
    /// 10 characters, e.g. "7KQ2M9XH4P".
    pub verify_code: String,
    /// The full URL in the QR code, e.g. "https://renkou.example/verify/7KQ2M9XH4P".
    pub verify_url: String,
    /// 发证机关.
    pub issuer: String,
    pub issued_on: Date,
    /// `None`: 长期有效.
    pub valid_until: Option<Date>,
    /// A reissue: the paper says the old one is void.
    pub replaces_serial: Option<String>,
    pub holder_name: String,
    /// The form's other fields, label and value, in the order the form shows them
    /// (性别, 出生日期, 民族, 公民身份号码, 户籍地, 现居住地, 婚姻状况, 配偶姓名, ...). Values may be empty.
    pub fields: Vec<(String, String)>,
    /// Small print after a field's value, by the field's label: 户籍地's division code after
    /// the place's name.
    pub small: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(
        "系统中没有可用的中文字体，无法打印证件。请安装 fonts-noto-cjk（Debian/Ubuntu：apt-get install fonts-noto-cjk）后重启服务。"
    )]
    NoCjkFont,
    #[error(
        "“{field}”中的{}没有可用的字体，打印出来会是空白方框，所以没有打印。若是录入错误，请先更正；否则请安装收录这些字的字体（如 fonts-hanazono，收录 CJK 扩展 B–F 的汉字；Debian/Ubuntu：apt-get install fonts-hanazono），或把字体所在目录加入 RENKOU_FONT_DIRS，然后重启服务。",
        list_chars(.chars)
    )]
    MissingGlyphs { field: String, chars: Vec<char> },
    #[error("证件排版失败：{0}")]
    Render(String),
}

fn list_chars(chars: &[char]) -> String {
    chars
        .iter()
        .map(|c| format!("“{c}”（U+{:04X}）", *c as u32))
        .collect::<Vec<_>>()
        .join("、")
}

/// Typesets certificates. Build one at startup and share it: the fonts are found once and
/// loaded on first use, and typst's caches stay warm between papers.
pub struct Printer {
    fonts: Fonts,
    library: LazyHash<Library>,
    files: Files,
    main: Source,
}

// Shared in an Arc across the web server's request threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Printer>();
};

impl Printer {
    /// Finds fonts on the system once (standard font dirs, plus dirs in env RENKOU_FONT_DIRS
    /// separated by ':').
    pub fn from_system() -> Result<Printer, PrintError> {
        Printer::with_fonts(fonts::discover_system())
    }

    /// Only the fonts in these files or directories.
    pub fn from_font_paths(paths: &[PathBuf]) -> Result<Printer, PrintError> {
        Printer::with_fonts(fonts::discover_paths(paths))
    }

    fn with_fonts(found: Vec<fonts::Found>) -> Result<Printer, PrintError> {
        let fonts = Fonts::choose(found).ok_or(PrintError::NoCjkFont)?;
        let files = Files::new();
        let main = Source::new(files.main, TEMPLATE.to_string());
        Ok(Printer {
            fonts,
            library: LazyHash::new(Library::default()),
            files,
            main,
        })
    }

    /// The font families chosen (primary first, then fallbacks).
    pub fn font_families(&self) -> Vec<String> {
        self.fonts.families().to_vec()
    }

    /// One A4 PDF of the document.
    pub fn render(&self, paper: &CertificatePaper) -> Result<Vec<u8>, PrintError> {
        let layout = Layout::of(paper);
        for (field, text) in &layout.checked {
            self.check_glyphs(field, text)?;
        }

        let data = serde_json::to_vec(&layout.json(self.fonts.families()))
            .map_err(|e| PrintError::Render(e.to_string()))?;
        let world = PaperWorld {
            library: &self.library,
            fonts: &self.fonts,
            files: &self.files,
            main: &self.main,
            data: Bytes::new(data),
            qr: Bytes::new(qr_svg(&paper.verify_url)?.into_bytes()),
        };
        let result = typst::compile::<PagedDocument>(&world)
            .output
            .and_then(|document| {
                let options = PdfOptions {
                    // A stable document ID per serial; no creation date, so the same paper
                    // gives the same bytes.
                    ident: Smart::Custom(paper.serial.clone()),
                    ..PdfOptions::default()
                };
                typst_pdf::pdf(&document, &options)
            })
            .map_err(|errors| PrintError::Render(describe(&errors)));
        typst::comemo::evict(CACHE_MAX_AGE);
        result
    }

    fn check_glyphs(&self, field: &str, text: &str) -> Result<(), PrintError> {
        let mut missing: Vec<char> = Vec::new();
        for c in text.chars() {
            if !self.fonts.covers(c) && !missing.contains(&c) {
                missing.push(c);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(PrintError::MissingGlyphs {
                field: field.to_string(),
                chars: missing,
            })
        }
    }
}

/// What the paper prints, as strings, in the shape the template reads.
struct Layout {
    /// Every string printed, with the field it belongs to, for the glyph check.
    checked: Vec<(String, String)>,
    title: &'static str,
    note: &'static str,
    serial: String,
    /// Rows of the holder table: one or two (label, value, small print) each.
    rows: Vec<Vec<Cell>>,
    verify_code: String,
    verify_line: String,
    issuer: String,
    issued_on: String,
    validity: String,
    reissue: Option<String>,
}

/// Beyond this many half-width columns a value gets a table row of its own (an address, a
/// long place name), instead of being squeezed into half a row.
const HALF_ROW_WIDTH: usize = 26;

impl Layout {
    fn of(paper: &CertificatePaper) -> Layout {
        let title = paper.kind.spec().title;
        let note = match paper.kind {
            CertificateKind::ReproductiveHealthCard => "凭此证享受免费基本生殖保健服务。",
            CertificateKind::BirthRegistration => "本登记为服务登记，凭此单享受孕产期保健等服务。",
            CertificateKind::MigrantCertificate => "本证明在全国范围内有效。",
        };
        let issued_on = chinese_date(paper.issued_on);
        let validity = match paper.valid_until {
            Some(date) => format!("有效期至：{}", chinese_date(date)),
            None => "有效期：长期有效".to_string(),
        };
        let reissue = paper
            .replaces_serial
            .as_ref()
            .map(|old| format!("补发，原证 {old} 作废"));
        // The URL without the code, where people can type the code in.
        let verify_base = paper
            .verify_url
            .strip_suffix(paper.verify_code.as_str())
            .filter(|base| !base.is_empty())
            .unwrap_or(&paper.verify_url);
        let verify_line = format!(
            "验证码 {}，扫码或访问 {verify_base} 查验",
            paper.verify_code
        );

        let mut pairs = vec![("姓名".to_string(), paper.holder_name.clone())];
        pairs.extend(paper.fields.iter().cloned());
        let small_of = |label: &str| {
            paper
                .small
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, s)| s.clone())
                .filter(|s| !s.is_empty())
        };
        let cells: Vec<Cell> = pairs
            .iter()
            .map(|(l, v)| (l.clone(), v.clone(), small_of(l)))
            .collect();

        let mut checked = vec![
            ("证件名称".to_string(), title.to_string()),
            ("编号".to_string(), paper.serial.clone()),
        ];
        for (label, value, small) in &cells {
            checked.push((label.clone(), label.clone()));
            checked.push((label.clone(), value.clone()));
            checked.extend(small.clone().map(|s| (label.clone(), s)));
        }
        checked.push(("发证机关".to_string(), paper.issuer.clone()));
        checked.push(("说明".to_string(), note.to_string()));
        checked.push(("验证码".to_string(), verify_line.clone()));
        if let Some(old) = &paper.replaces_serial {
            checked.push(("原证编号".to_string(), old.clone()));
        }

        Layout {
            checked,
            title,
            note,
            serial: paper.serial.clone(),
            rows: table_rows(cells),
            verify_code: paper.verify_code.clone(),
            verify_line,
            issuer: paper.issuer.clone(),
            issued_on,
            validity,
            reissue,
        }
    }

    fn json(&self, fonts: &[String]) -> serde_json::Value {
        serde_json::json!({
            "fonts": fonts,
            "title": self.title,
            "note": self.note,
            "serial": self.serial,
            "rows": self.rows,
            "verify_code": self.verify_code,
            "verify_line": self.verify_line,
            "issuer": self.issuer,
            "issued_on": self.issued_on,
            "validity": self.validity,
            "reissue": self.reissue,
        })
    }
}

/// A field on the paper: its label, its value, and small print after the value.
type Cell = (String, String, Option<String>);

/// Two fields a row in the form's order; a long value takes a row alone.
fn table_rows(pairs: Vec<Cell>) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    let mut pending: Option<Cell> = None;
    for pair in pairs {
        let small = pair.2.as_deref().map_or(0, |s| display_width(s) + 1);
        if display_width(&pair.1) + small > HALF_ROW_WIDTH {
            rows.extend(pending.take().map(|p| vec![p]));
            rows.push(vec![pair]);
        } else if let Some(first) = pending.take() {
            rows.push(vec![first, pair]);
        } else {
            pending = Some(pair);
        }
    }
    rows.extend(pending.map(|p| vec![p]));
    rows
}

/// Columns as on paper: a Chinese character is two, ASCII one.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn chinese_date(date: Date) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

fn qr_svg(url: &str) -> Result<String, PrintError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| PrintError::Render(format!("验证网址无法生成二维码：{e}")))?;
    Ok(code
        .render::<svg::Color>()
        .quiet_zone(false)
        .min_dimensions(200, 200)
        .build())
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| {
            let mut s = e.message.to_string();
            for hint in &e.hints {
                s.push('（');
                s.push_str(&hint.v);
                s.push('）');
            }
            s
        })
        .collect::<Vec<_>>()
        .join("；")
}
