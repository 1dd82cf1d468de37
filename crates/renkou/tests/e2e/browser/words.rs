//! Words, not keys, in the browser: the home page of three roles, the month's changes, a form
//! with errors and the English record page, each checked with axe-core; the screenshots the
//! staff guide (docs/用户手册.md) shows are taken here (RENKOU_SCREENSHOTS=docs/screenshots).

use super::harness::{Page, run};

async fn logout(page: &Page) {
    page.click_to_load("form[action='/logout'] button").await;
    page.wait_path("/login").await;
}

#[test]
fn home_of_three_roles_and_the_months_changes_are_accessible() {
    run("words-home", |page| async move {
        page.login_ok("officer").await;
        page.el("ul.todo-list").await;
        assert!(
            page.exists("ul.todo-list a[href='/changes']").await,
            "the month's changes are linked from the home page"
        );
        page.assert_accessible().await;
        page.screenshot("home-officer").await;

        page.click_to_load("ul.todo-list a[href='/changes']").await;
        page.wait_path("/changes").await;
        page.el("input#month").await;
        page.assert_accessible().await;
        page.screenshot("changes").await;
        logout(&page).await;

        page.login_ok("station").await;
        assert!(
            page.exists("ul.todo-list a[href='/certificates?queue=review']")
                .await,
            "the station's home counts the applications to review"
        );
        page.assert_accessible().await;
        page.screenshot("home-station").await;
        page.goto("/certificates").await;
        page.assert_accessible().await;
        page.screenshot("certificates-station").await;
        logout(&page).await;

        page.login_ok("migrant").await;
        let labels = page.texts("ul.counts.register li span").await;
        assert!(
            !labels.iter().any(|l| l == "常住人口"),
            "no resident tile for the migrant coordinator: {labels:?}"
        );
        page.assert_accessible().await;
        page.screenshot("home-migrant").await;
        logout(&page).await;

        page.login_ok("leader").await;
        page.assert_accessible().await;
        page.screenshot("home-leader").await;
        logout(&page).await;

        page.login_ok("bureau").await;
        page.assert_accessible().await;
        page.screenshot("home-bureau").await;
    });
}

#[test]
fn a_form_with_errors_is_accessible() {
    run("words-errors", |page| async move {
        page.login_ok("officer").await;
        page.goto("/persons/new").await;
        page.click_to_load("main form button[type=submit]").await;
        page.el("#error-summary").await;
        page.assert_accessible().await;
        page.screenshot("person-form-errors").await;
    });
}

#[test]
fn the_english_page_shows_translated_values() {
    run("words-english", |page| async move {
        page.login_ok("officer").await;
        page.click_to_load("form.lang button[value=en]").await;
        page.el("ul.todo-list").await;
        let skip = page
            .c
            .execute(
                "return document.querySelector('a.skip-link').textContent",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(skip, serde_json::json!("Skip to content"));
        page.assert_accessible().await;
        // Someone in a first marriage, opened from the list.
        page.goto("/persons?marital_status=21").await;
        page.click_to_load("main table a[href^='/persons/']").await;
        page.el("main h1").await;
        let body = page.body_text().await;
        assert!(
            body.contains("First marriage"),
            "the marital status in words: {body}"
        );
        assert!(
            !body.contains("first_marriage") && !body.contains("初婚"),
            "no key and no Chinese value: {body}"
        );
        assert!(
            body.contains("Female") || body.contains("Male"),
            "the sex in words: {body}"
        );
        page.assert_accessible().await;
        page.screenshot("person-english").await;
        page.goto("/changes").await;
        page.assert_text("main h1", "Changes of the month").await;
        page.assert_accessible().await;
    });
}
