//! An upload bomb stopped at the row limit, within the memory budget.

use super::*;

impl Server {
    /// Uploads a people file as a signed-in browser; the job page's path.
    fn upload(&self, browser: &Browser, file: &Path) -> String {
        let boundary = "renkou-test-boundary";
        let mut body = Vec::new();
        for (name, value) in [("csrf", browser.csrf.as_str()), ("kind", "persons")] {
            body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
        }
        body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.xlsx\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
        body.extend_from_slice(&std::fs::read(file).unwrap());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let (status, headers, page) = self.raw(
            Method::POST,
            "/upload",
            &[
                ("cookie", browser.cookie.clone()),
                (
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                ),
            ],
            body,
        );
        assert_eq!(status, 303, "{page}");
        headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    }

    /// The job page once the import has ended.
    fn wait_for_report(&self, browser: &Browser, job: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let (_, _, html) = self.raw(
                Method::GET,
                job,
                &[("cookie", browser.cookie.clone())],
                Vec::new(),
            );
            if html.contains("id=\"summary\"") || html.contains("class=\"error\" role=\"alert\"") {
                return html;
            }
            assert!(Instant::now() < deadline, "the import did not end: {html}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A spreadsheet of a few hundred kilobytes that unpacks to millions of rows (past Excel's own
/// limit: a file made by hand, as an attacker makes it).
fn xlsx_bomb(path: &Path, rows: u32) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut part = |name: &str, text: &str| {
        zip.start_file(name, deflated).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    part(
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    );
    part(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    part(
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="人口" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
    );
    part(
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
    );
    zip.start_file("xl/worksheets/sheet1.xml", deflated)
        .unwrap();
    let mut sheet = std::io::BufWriter::new(&mut zip);
    write!(
        sheet,
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">"#
    )
    .unwrap();
    let header = [
        "身份证号",
        "姓名",
        "民族",
        "婚姻状况",
        "户编号",
        "与户主关系",
        "人口类型",
        "居住地区划",
    ];
    for (c, h) in header.iter().enumerate() {
        let col = (b'A' + c as u8) as char;
        write!(
            sheet,
            r#"<c r="{col}1" t="inlineStr"><is><t>{h}</t></is></c>"#
        )
        .unwrap();
    }
    write!(sheet, "</row>").unwrap();
    // Rows and cells may leave out their references; identical rows pack to almost nothing.
    for _ in 0..rows {
        write!(
            sheet,
            r#"<row><c/><c t="inlineStr"><is><t>张</t></is></c></row>"#
        )
        .unwrap();
    }
    write!(sheet, "</sheetData></worksheet>").unwrap();
    drop(sheet);
    zip.finish().unwrap();
}

/// An officer uploads the bomb: the server reads no more than the officer's row limit, keeps
/// its memory under 200 MB, keeps a short report, and writes nothing.
#[test]
fn an_upload_bomb_is_stopped_at_the_row_limit_within_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.xlsx");
    xlsx_bomb(&bomb, 3_000_000);
    let size = std::fs::metadata(&bomb).unwrap().len();
    assert!(size < 5 << 20, "the bomb is small: {size} bytes");
    let db = TestDb::sqlite(dir.path());
    let server = Server::start(dir.path(), &db.url, &["demo", "--persons", "300"]);
    let officer = server.sign_in("officer");
    let job = server.upload(&officer, &bomb);
    let report = server.wait_for_report(&officer, &job);
    // It stopped at the first limit it met: 10,000 bad rows (these have no ID numbers or
    // codes), or else the officer's 100,000 rows.
    assert!(
        report.contains("没有继续检查") || report.contains("超过 100000 行"),
        "{report}"
    );
    // One that unpacks past what 100,000 rows can be is measured and refused before reading.
    let bigger = dir.path().join("bigger.xlsx");
    xlsx_bomb(&bigger, 5_000_000);
    let job = server.upload(&officer, &bigger);
    let refused = server.wait_for_report(&officer, &job);
    assert!(refused.contains("解压后超过"), "{refused}");
    let peak = server.peak_memory();
    eprintln!(
        "bomb of {} KB (3,000,000 rows) and {} KB (5,000,000): server peak {} MB",
        size >> 10,
        std::fs::metadata(&bigger).unwrap().len() >> 10,
        peak >> 20
    );
    assert!(
        peak < 200 << 20,
        "the server's peak memory was {} MB",
        peak >> 20
    );
    // Nothing was written: the committee still has the demo's people only.
    let token = server.token("officer");
    let (_, body) = server.send(
        Method::GET,
        "/api/v1/persons?q=%E5%BC%A0&limit=1",
        Some(&token),
        None,
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["count"].as_u64().unwrap() < 1000, "{body}");
    // The uploads directory is private.
    use std::os::unix::fs::PermissionsExt;
    let uploads = dir.path().join("renkou-uploads");
    for entry in std::fs::read_dir(&uploads).unwrap().flatten() {
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{:?}", entry.path());
        for file in std::fs::read_dir(entry.path()).unwrap().flatten() {
            let mode = file.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{:?} is {mode:o}", file.path());
        }
    }
}
