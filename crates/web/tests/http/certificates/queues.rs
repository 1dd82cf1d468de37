//! The work queues as the clerk reads them: whose document, linked by the name, the area by
//! name, how long it has waited, a mark on what the checks will not let through, and the tab
//! each role opens on.

use super::*;

/// The table row that holds `text`.
fn row_with<'a>(body: &'a str, text: &str) -> &'a str {
    let at = body
        .find(text)
        .unwrap_or_else(|| panic!("{text} is listed: {body}"));
    let start = body[..at].rfind("<tr").expect("in a row");
    let end = body[at..].find("</tr>").expect("the row ends") + at;
    &body[start..end]
}

#[tokio::test]
async fn a_queue_names_the_holder_and_area_counts_the_days_and_marks_failing_checks() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        let officer = actor(&app.add_account("officer.k1", Role::CommitteeOfficer, K1));
        let station_actor = actor(&app.add_account("station", Role::Station, D1));
        app.add_account("centre.c1", Role::Centre, C1);
        // Married, her husband neither on the register nor named: the review will refuse it.
        let married = app.add(app.woman("赵静", G1).married());
        let a = officer.clone();
        let failing = app
            .with_db(move |s| {
                s.apply_certificate(&a, married.id, BR, Application::default(), today())
            })
            .unwrap()
            .id;
        let fine = setup_apply(&app, &officer, &app.add(app.woman("黄敏", G1)), RH);
        app.advance_mins(3 * 24 * 60 + 60);
        let station = app.browser("station").await;

        let queue = app.send(station.get("/certificates")).await;
        assert_eq!(queue.status, StatusCode::OK, "{queue}");
        assert!(
            queue.body.contains("aria-current=\"page\">待审核"),
            "the station opens on its review queue: {queue}"
        );
        let row = row_with(&queue.body, "赵静");
        assert!(
            row.contains(&format!("<a href=\"/certificates/{failing}\">赵静</a>")),
            "the name opens the document: {row}"
        );
        assert!(row.contains("class=\"warn\""), "{row}");
        assert!(row.contains("⚠"), "{row}");
        assert!(
            row.contains("<span class=\"sr-only\">核查未通过，需补充材料</span>"),
            "the mark is read out: {row}"
        );
        assert!(row.contains("青龙第1居委会"), "the area by name: {row}");
        assert!(
            row.contains(&format!("<small class=\"code\">{G1}</small>")),
            "{row}"
        );
        assert!(row.contains("3 天"), "three days waiting: {row}");
        let row = row_with(&queue.body, "黄敏");
        assert!(
            row.contains(&format!("href=\"/certificates/{fine}\"")),
            "{row}"
        );
        assert!(
            !row.contains("⚠"),
            "a complete application is not marked: {row}"
        );
        assert!(!row.contains("class=\"warn\""), "{row}");

        // Issued: the centre prints it; once printed, it opens on the hand-over queue.
        setup_step(
            &app,
            &station_actor,
            fine,
            Step::Issue,
            StepInput::default(),
        );
        let centre = app.browser("centre.c1").await;
        let queue = app.send(centre.get("/certificates")).await;
        assert!(
            queue.body.contains("aria-current=\"page\">待打印"),
            "{queue}"
        );
        assert!(
            row_with(&queue.body, "黄敏").contains(" 天</td>"),
            "{queue}"
        );
        setup_step(&app, &station_actor, fine, Step::Print, printed(1));
        let queue = app.send(centre.get("/certificates")).await;
        assert!(
            queue.body.contains("aria-current=\"page\">待送达"),
            "nothing to print: the centre opens on what waits to be handed over: {queue}"
        );
        assert!(queue.body.contains("黄敏"), "{queue}");
        // A tab asked for is the tab shown.
        let queue = app.send(centre.get("/certificates?queue=print")).await;
        assert!(
            queue.body.contains("aria-current=\"page\">待打印"),
            "{queue}"
        );
    }
}
