//! Certificates as PDF, read back with poppler's pdftotext: what staff and holders would see.
//! Needs poppler-utils, fonts-noto-cjk and fonts-hanazono (.ci/run installs them).

use std::path::PathBuf;
use std::process::Command;
use std::sync::LazyLock;

use jiff::civil::date;
use renkou_core::CertificateKind;
use renkou_documents::certificate_pdf::{CertificatePaper, PrintError, Printer};

/// One printer for all tests, shared across the test threads as the web server shares it.
static PRINTER: LazyLock<Printer> =
    LazyLock::new(|| Printer::from_system().expect("a printer from the system fonts"));

fn paper(kind: CertificateKind) -> CertificatePaper {
    CertificatePaper {
        kind,
        serial: "SB2026000123".into(),
        verify_code: "7KQ2M9XH4P".into(),
        verify_url: "https://renkou.example/verify/7KQ2M9XH4P".into(),
        issuer: "示范市社区人口和计划生育服务管理站".into(),
        issued_on: date(2026, 3, 5),
        valid_until: Some(date(2031, 3, 4)),
        replaces_serial: None,
        holder_name: "张秀英".into(),
        fields: [
            ("性别", "女"),
            ("出生日期", "1994年7月12日"),
            ("民族", "汉族"),
            ("公民身份号码", "340705199407120028"),
            ("户籍地", "安徽省示范市铜官区"),
            (
                "现居住地",
                "安徽省示范市铜官区长江中路街道幸福社区和平巷12号3栋2单元501室",
            ),
            ("婚姻状况", "已婚"),
            ("配偶姓名", "李建国"),
            ("备注", ""),
        ]
        .into_iter()
        .map(|(l, v)| (l.to_string(), v.to_string()))
        .collect(),
        small: Vec::new(),
    }
}

fn poppler(tool: &str, pdf: &[u8], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paper.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" { &["-"][..] } else { &[] })
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {tool} ({e}): install poppler-utils (apt-get install poppler-utils)")
        });
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The page's text without whitespace: pdftotext lays text out in lines and columns, which
/// splits long values; the characters and their order are what matter.
fn text_of(pdf: &[u8]) -> String {
    poppler("pdftotext", pdf, &["-enc", "UTF-8"])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// To look at the papers: RENKOU_CERTIFICATE_DIR=/tmp/papers cargo test ...
fn keep(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("RENKOU_CERTIFICATE_DIR") {
        std::fs::write(PathBuf::from(dir).join(format!("{name}.pdf")), pdf).unwrap();
    }
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn each_kind_prints_one_a4_page_with_the_holder_and_how_to_verify() {
    for (kind, title, note) in [
        (
            CertificateKind::ReproductiveHealthCard,
            "生殖保健服务证",
            "凭此证享受免费基本生殖保健服务",
        ),
        (
            CertificateKind::BirthRegistration,
            "生育登记服务单",
            "本登记为服务登记，凭此单享受孕产期保健等服务",
        ),
        (
            CertificateKind::MigrantCertificate,
            "流动人口婚育证明",
            "本证明在全国范围内有效",
        ),
    ] {
        let pdf = PRINTER.render(&paper(kind)).unwrap();
        assert!(pdf.len() < 1_000_000, "{title}: {} bytes", pdf.len());
        let text = text_of(&pdf);
        for expected in [
            title,
            note,
            "编号：SB2026000123",
            "张秀英",
            "340705199407120028",
            "公民身份号码",
            "幸福社区和平巷12号3栋2单元501室",
            "示范市社区人口和计划生育服务管理站",
            "验证码7KQ2M9XH4P",
            "https://renkou.example/verify/",
            "发证日期：2026年3月5日",
            "有效期至：2031年3月4日",
            "（盖章）",
        ] {
            assert!(
                text.contains(expected),
                "{title}: no {expected:?} in {text}"
            );
        }
        assert!(!text.contains("补发"), "{title}: not a reissue: {text}");

        let info = poppler("pdfinfo", &pdf, &[]);
        let value = |key: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::trim)
                .unwrap_or_default()
        };
        assert_eq!(value("Pages:"), "1", "{title}: {info}");
        assert!(value("Page size:").ends_with("(A4)"), "{title}: {info}");
        keep(title, &pdf);
    }
}

#[test]
fn a_name_with_an_extension_b_character_prints_in_hanamin() {
    assert!(
        PRINTER
            .font_families()
            .iter()
            .any(|f| f.starts_with("HanaMin")),
        "fonts-hanazono is not installed: {:?}",
        PRINTER.font_families()
    );
    let mut p = paper(CertificateKind::ReproductiveHealthCard);
    p.holder_name = "王𪚥".into();
    let pdf = PRINTER.render(&p).unwrap();
    keep("王𪚥", &pdf);
    assert!(text_of(&pdf).contains("王𪚥"));
    let fonts = poppler("pdffonts", &pdf, &[]);
    assert!(fonts.contains("HanaMin"), "{fonts}");
}

#[test]
fn a_character_no_font_has_is_refused_with_the_field_and_the_character() {
    // U+2EBF0, CJK Unified Ideographs Extension I: assigned, and in none of the fonts
    // installed here (`fc-list :charset=2ebf0` lists nothing).
    let rare = '\u{2EBF0}';

    let mut p = paper(CertificateKind::BirthRegistration);
    p.holder_name = format!("李{rare}");
    match PRINTER.render(&p) {
        Err(PrintError::MissingGlyphs { field, chars }) => {
            assert_eq!(field, "姓名");
            assert_eq!(chars, vec![rare]);
        }
        other => panic!("expected MissingGlyphs, got {other:?}"),
    }

    let mut p = paper(CertificateKind::MigrantCertificate);
    p.fields[5].1 = format!("示范市{rare}{rare}村");
    let err = PRINTER.render(&p).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(&err, PrintError::MissingGlyphs { field, chars } if field == "现居住地" && chars == &[rare]),
        "{err:?}"
    );
    for expected in ["现居住地", "U+2EBF0", "fonts-hanazono"] {
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn without_a_chinese_font_the_printer_names_the_package_to_install() {
    let dejavu = PathBuf::from("/usr/share/fonts/truetype/dejavu");
    assert!(dejavu.is_dir(), "fonts-dejavu is not installed");
    match Printer::from_font_paths(&[dejavu]) {
        Err(err @ PrintError::NoCjkFont) => {
            assert!(err.to_string().contains("fonts-noto-cjk"), "{err}");
        }
        Err(other) => panic!("expected NoCjkFont, got {other:?}"),
        Ok(printer) => panic!("expected NoCjkFont, chose {:?}", printer.font_families()),
    }
}

#[test]
fn data_that_looks_like_markup_prints_as_typed() {
    let markup = r#"#panic("x") *粗* $a$ ] _斜_ <l> @ref \ // 注释 #{1+1} [x"#;
    let mut p = paper(CertificateKind::ReproductiveHealthCard);
    p.holder_name = r#"#panic("x") *粗* $a$ ]"#.into();
    p.fields[2].1 = markup.into();
    p.issuer = "#set page(width: 1cm)".into();
    let pdf = PRINTER.render(&p).unwrap();
    keep("markup", &pdf);
    let text = text_of(&pdf);
    for expected in [r#"#panic("x") *粗* $a$ ]"#, markup, "#set page(width: 1cm)"] {
        assert!(
            text.contains(&squeeze(expected)),
            "no {expected:?} in {text}"
        );
    }
}

#[test]
fn a_reissue_voids_the_old_serial_and_no_end_date_is_long_term() {
    let mut p = paper(CertificateKind::BirthRegistration);
    p.serial = "SY2026000456".into();
    p.replaces_serial = Some("SY2025000017".into());
    p.valid_until = None;
    let pdf = PRINTER.render(&p).unwrap();
    keep("reissue", &pdf);
    let text = text_of(&pdf);
    assert!(text.contains("补发，原证SY2025000017作废"), "{text}");
    assert!(text.contains("有效期：长期有效"), "{text}");
    assert!(!text.contains("有效期至"), "{text}");
}
