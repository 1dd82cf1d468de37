use super::*;

#[tokio::test]
async fn the_english_page_shows_code_values_timeline_details_and_messages_in_english() {
    let app = TestApp::new();
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let browser = app.browser("li.ming").await;
    let her = app.add(
        app.person("吴霞", Sex::Female, date(1995, 3, 3), K1)
            .migrant_in(),
    );
    let him = app.add(app.person("周强", Sex::Male, date(1994, 4, 4), K1));
    let her_id = her.id.0;

    // A marriage with the spouse on the register: both become 初婚 (first marriage).
    let on = days_ago(5).to_string();
    let res = app
        .send(browser.post_form(
            &format!("/persons/{her_id}/events/new"),
            &[
                ("event", "marriage"),
                ("date", &on),
                ("spouse_id_number", him.spec.id_number()),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{res}");

    let page = app
        .send(english_get(&browser, &format!("/persons/{her_id}")))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{page}");
    assert!(
        page.body.contains("First marriage"),
        "the status in words: {page}"
    );
    assert!(!page.body.contains("first_marriage"), "no raw key: {page}");
    assert!(
        page.body.contains("Unmarried → First marriage"),
        "the timeline in English: {page}"
    );
    assert!(!page.body.contains("未婚"), "no Chinese value left: {page}");
    assert!(
        page.body.contains("Female") && page.body.contains("Migrant in"),
        "{page}"
    );
    // The area by its name, not its code.
    assert!(page.body.contains("青龙第1居委会"), "{page}");

    // A rule's messages in English, each beside its field and in the summary.
    let tomorrow = days_ago(-1).to_string();
    let res = app
        .send(english_post(
            &browser,
            &format!("/persons/{her_id}/events/new"),
            &[
                ("event", "birth"),
                ("date", &tomorrow),
                ("birth_weight_g", "120"),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    let date_error = element_text(&res.body, "e-date").expect("an error at the date");
    assert!(
        date_error.contains(&format!("The date {tomorrow} is after today")),
        "{date_error}"
    );
    let weight = element_text(&res.body, "e-birth_weight_g").expect("an error at the weight");
    assert!(
        weight.contains("120 g is not between 300 and 7000 g"),
        "{weight}"
    );
    assert!(
        !res.body.contains("晚于今天"),
        "no Chinese message left: {res}"
    );
}
