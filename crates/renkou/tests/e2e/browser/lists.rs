//! Finding people and working through the list (issue 11): the last digits of an ID number
//! with a name, a live search that waits until the box can match, and the list on a phone.

use super::harness::run;

#[test]
fn search_by_the_last_digits_of_an_id_number_and_a_name_finds_the_person() {
    run("lists-search", |page| async move {
        page.login_ok("officer").await;
        let her = page
            .world
            .officer_people
            .iter()
            .find(|p| p.id_number.len() == 18)
            .expect("the committee has someone with an ID number");
        page.goto("/persons").await;
        let focused = page
            .c
            .execute(
                "return document.activeElement && document.activeElement.id",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            focused.as_str(),
            Some("q"),
            "the search box has focus on arrival"
        );
        let before = page.text("p.count").await;
        // Typing a number: 1–3 digits ask nothing and show no error, the list stays.
        page.fill("#q", "12").await;
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert!(
            !page.exists("#results p.error").await,
            "no red error while typing"
        );
        assert_eq!(
            page.text("p.count").await,
            before,
            "the list is left as it was"
        );

        let surname: String = her.name.chars().take(1).collect();
        let q = format!("{surname} {}", &her.id_number[14..]);
        page.search(&q).await;
        let rows = page.person_rows().await;
        assert!(
            rows.iter().any(|(name, _, _)| name == &her.name),
            "{q} finds {}: {rows:?}",
            her.name
        );
        assert!(
            rows.iter()
                .all(|(_, id, _)| id.ends_with(&her.id_number[14..])),
            "everyone found ends with those digits: {rows:?}"
        );
        page.screenshot("persons-search-tail").await;
    });
}

#[test]
fn the_people_list_on_a_phone_does_not_scroll_sideways() {
    run("lists-phone", |page| async move {
        page.login_ok("officer").await;
        page.c.set_window_size(390, 844).await.unwrap();
        page.goto("/persons").await;
        page.el("table.people tbody tr").await;
        let widths = page
            .c
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                vec![],
            )
            .await
            .unwrap();
        let scroll = widths[0].as_f64().unwrap();
        let inner = widths[1].as_f64().unwrap();
        assert!(inner <= 400.0, "a phone-sized window: {inner}");
        assert!(
            scroll <= inner,
            "the page is {scroll}px wide in a {inner}px window"
        );
        page.screenshot("persons-phone").await;
        page.c.set_window_size(1366, 768).await.unwrap();
    });
}
