//! Round trips through a spreadsheet: export, open, save, import, export again.

use super::*;

fn round_trip(ext: &str) {
    let p = Place::new();
    let mut rows = good_rows(20);
    rows.push(format!("{},马建军,男,1980-03-15,回族,初婚,高中,0562-2812345,H2,户主,流入,河南省郑州市,340705001001002,幸福路2号,2024-03-05,,河南省郑州市", id(date(1980, 3, 15), 13)));
    write_csv(&p.path("in.csv"), &rows);
    assert!(
        renkou(&p.db(), &["persons", "import", &p.path_str("in.csv")])
            .status
            .success()
    );
    let first = p.path_str(&format!("first.{ext}"));
    assert!(
        renkou(&p.db(), &["persons", "export", "--out", &first])
            .status
            .success()
    );
    let q = Place::new();
    let out = renkou(&q.db(), &["persons", "import", &first]);
    assert!(out.status.success(), "{}", stdout(&out));
    let second = q.path_str(&format!("second.{ext}"));
    assert!(
        renkou(&q.db(), &["persons", "export", "--out", &second])
            .status
            .success()
    );
    let (a, b) = (read_back(&first), read_back(&second));
    assert_eq!(a.len(), 22);
    assert_eq!(a, b);
}

/// The cells of an exported file, as text.
fn read_back(path: &str) -> Vec<Vec<String>> {
    renkou_documents::open_table(Path::new(path))
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect()
}

#[test]
fn csv_export_then_import_then_export_gives_the_same_file() {
    round_trip("csv");
}

#[test]
fn xlsx_export_then_import_then_export_gives_the_same_file() {
    round_trip("xlsx");
}

/// A clerk's monthly cycle: export, open, save, import with --upsert. Children without an ID
/// number once came back as new people on every round; now nothing changes, round after round.
#[test]
fn reimporting_an_unchanged_export_changes_nothing_round_after_round() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db").display().to_string();
    let out = renkou(&db, &["demo", "--persons", "3000", "--no-serve"]);
    assert!(out.status.success(), "{}", stdout(&out));
    let count = |db: &str| {
        Store::open(db)
            .unwrap()
            .count_persons(&PersonFilter {
                all_statuses: true,
                ..Default::default()
            })
            .unwrap()
    };
    let people = count(&db);
    for ext in ["csv", "csv", "xlsx"] {
        let first = dir
            .path()
            .join(format!("first.{ext}"))
            .display()
            .to_string();
        let second = dir
            .path()
            .join(format!("second.{ext}"))
            .display()
            .to_string();
        assert!(
            renkou(&db, &["persons", "export", "--out", &first])
                .status
                .success()
        );
        let without_id = read_back(&first)
            .iter()
            .filter(|r| r.first().is_some_and(|id| id.is_empty()))
            .count();
        assert!(
            without_id > 10,
            "the demo has children without an ID number"
        );
        let out = renkou(&db, &["persons", "import", "--upsert", &first]);
        let said = stdout(&out);
        assert!(out.status.success(), "{said}");
        assert!(said.contains("新增 0 人"), "{ext}: {said}");
        assert!(said.contains("更新 0，"), "{ext}: {said}");
        assert_eq!(count(&db), people, "{ext}: {said}");
        assert!(
            renkou(&db, &["persons", "export", "--out", &second])
                .status
                .success()
        );
        assert_eq!(read_back(&first), read_back(&second), "{ext}");
    }
}

/// Text that a spreadsheet would run as a formula goes out as text (a leading apostrophe) in
/// CSV, and comes back as it was.
#[test]
fn csv_exports_carry_formulas_as_text_and_read_them_back() {
    let p = Place::new();
    let evil = [
        ("=cmd|' /C calc'!A0", "+SUM(1,2)"),
        ("-2+3+cmd|' /C calc'!A0", "@SUM(1+1)"),
        ("=HYPERLINK(\"http://x\",\"y\")", "长江路1号"),
    ];
    let mut rows = Vec::new();
    for (i, (name, address)) in evil.iter().enumerate() {
        let mut cells = vec![
            id(date(1985, 5, 5), i as u16),
            (*name).to_string(),
            String::new(),
            String::new(),
            "汉族".into(),
            "未婚".into(),
            String::new(),
            String::new(),
            format!("F{i}"),
            "户主".into(),
            "常住".into(),
            String::new(),
            "340705001001001".into(),
            (*address).to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        for c in &mut cells {
            if c.contains([',', '"']) {
                *c = format!("\"{}\"", c.replace('"', "\"\""));
            }
        }
        rows.push(cells.join(","));
    }
    write_csv(&p.path("evil.csv"), &rows);
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("evil.csv")]);
    assert!(out.status.success(), "{}", stdout(&out));
    let first = p.path_str("out.csv");
    assert!(
        renkou(&p.db(), &["persons", "export", "--out", &first])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&first).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    // Read back by renkou, the values are what was registered.
    let q = Place::new();
    let out = renkou(&q.db(), &["persons", "import", &first]);
    assert!(out.status.success(), "{}", stdout(&out));
    let mut s = q.store();
    for (i, (name, address)) in evil.iter().enumerate() {
        let who = s
            .person_by_id_number(&IdNumber::parse(&id(date(1985, 5, 5), i as u16)).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(who.data.name.as_str(), *name);
        assert_eq!(who.data.address.as_deref(), Some(*address));
    }
    let second = q.path_str("again.csv");
    assert!(
        renkou(&q.db(), &["persons", "export", "--out", &second])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap()
    );
}

/// What an office suite does to a file, refused with the fix: 𪚥 saved as GBK becomes "?",
/// and a household number "0012" read as a number becomes 12. Neither reaches the register.
#[test]
fn characters_and_zeros_a_spreadsheet_lost_are_refused_with_the_fix() {
    let p = Place::new();
    let wang = id(date(1990, 2, 2), 8);
    let rows = [format!(
        "{wang},王𪚥,,,汉族,未婚,,,0012,户主,常住,,340705001001001,长江路1号,,,"
    )];
    write_csv(&p.path("in.csv"), &rows);
    let out = renkou(&p.db(), &["persons", "import", &p.path_str("in.csv")]);
    assert!(out.status.success(), "{}", stdout(&out));
    let exported = p.path_str("out.csv");
    assert!(
        renkou(&p.db(), &["persons", "export", "--out", &exported])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&exported).unwrap();
    // Excel saving as GBK: characters GBK lacks become "?".
    let plain = text.trim_start_matches('\u{feff}').replace('𪚥', "?");
    let (gbk, _, _) = encoding_rs::GBK.encode(&plain);
    std::fs::write(p.path("gbk.csv"), &gbk).unwrap();
    let out = renkou(
        &p.db(),
        &["persons", "import", "--upsert", &p.path_str("gbk.csv")],
    );
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("含有「?」"), "{said}");
    assert!(said.contains("GB18030"), "the fix is named: {said}");
    // An office suite turning the household number into a number.
    std::fs::write(p.path("zeros.csv"), text.replace(",0012,", ",12,")).unwrap();
    let out = renkou(
        &p.db(),
        &["persons", "import", "--upsert", &p.path_str("zeros.csv")],
    );
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("0012"), "{said}");
    let who = p
        .store()
        .person_by_id_number(&IdNumber::parse(&wang).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(who.data.name.as_str(), "王𪚥");
    assert_eq!(who.data.household_no.as_str(), "0012");
    assert_eq!(
        p.store().timeline(who.id).unwrap().len(),
        1,
        "no correction recorded"
    );
}
