//! The window clerk's forms: a person added with the area picked by name in a new household,
//! an event through its own form with every problem shown at once, and the message after a
//! save.
//!
//! They add people, so they run on the PostgreSQL world, whose only other test reads: the
//! SQLite world's counts stay those of the demo city the other tests compare with.

use super::harness::{Db, Page, id_number, run_on};

/// A woman of the officer's committee between 20 and 45, with an ID number (its 17th digit is
/// even for a woman).
fn a_young_woman(page: &Page) -> &'static super::harness::Person {
    let year = jiff::Zoned::now().year();
    page.world
        .officer_people
        .iter()
        .find(|p| {
            let born: i16 = p.birth_date[..4].parse().unwrap_or(0);
            p.id_number.len() == 18
                && (p.id_number.as_bytes()[16] - b'0').is_multiple_of(2)
                && (year - 45..=year - 20).contains(&born)
        })
        .expect("the demo committee has a young woman")
}

async fn select(page: &Page, css: &str, value: &str) {
    page.el(css).await.select_by_value(value).await.unwrap();
}

#[test]
fn a_person_added_with_the_area_picked_by_name_in_a_new_household() {
    run_on(Db::Postgres, "add-person", |page| async move {
        page.login_ok("officer").await;
        page.goto("/persons/new").await;
        // The area is a choice of names, its default the officer's own committee.
        let chosen = page
            .c
            .execute(
                "var s = document.getElementById('f-area_code'); return s.tagName + '|' + s.value + '|' + s.options[s.selectedIndex].text",
                vec![],
            )
            .await
            .unwrap();
        let chosen = chosen.as_str().unwrap().to_string();
        assert!(
            chosen.starts_with("SELECT|340705001001|") && chosen.contains("居委会"),
            "the area picker shows the committee by name: {chosen}"
        );
        // Filtering by a group's name picks that group.
        page.fill("input.area-filter", "第二居民小组").await;
        let group = page.value("#f-area_code").await;
        assert_eq!(group.len(), 15, "a group was picked: {group}");
        assert!(group.starts_with("340705001001"));
        assert!(
            page.exists("input[name=new_household][value='1']:checked")
                .await,
            "a new household is the default"
        );
        let id = id_number("340705", "19920304", 481);
        page.fill("#f-id_number", &id).await;
        page.fill("#f-name", "欧阳明").await;
        select(&page, "#f-sex", "1").await;
        page.fill("#f-birth_date", "1992-03-04").await;
        select(&page, "#f-marital_status", "10").await;
        select(&page, "#f-relation", "02").await;
        page.screenshot("person-new").await;
        page.click_to_load("form.person-form button[type=submit]")
            .await;
        page.assert_text("p.message", "已新增人口，并新建户 H001001")
            .await;
        let household = page.record_field("户编号").await;
        assert!(
            household.starts_with("H001001") && household.len() == 13,
            "the register numbered the household: {household}"
        );
        assert_eq!(page.record_field("姓名").await, "欧阳明");
        // The message is shown once.
        let here = page.path().await;
        page.goto(&here).await;
        assert!(
            !page.exists("p.message").await,
            "the message is gone on reload"
        );
    });
}

#[test]
fn a_birth_through_its_own_form_shows_every_problem_at_once() {
    run_on(Db::Postgres, "birth-form", |page| async move {
        page.login_ok("officer").await;
        let her = a_young_woman(&page);
        page.search(&her.id_number).await;
        let href = page.person_rows().await[0].2.clone();
        page.goto(&format!("{href}/events/new")).await;
        // The chooser offers the kinds; the birth form asks only what a birth needs.
        page.click_to_load("a[href$='kind=birth']").await;
        for field in [
            "#f-date",
            "#f-child_name",
            "#f-child_sex",
            "#f-birth_weight_g",
            "#f-birth_order",
            "#f-birth_defect",
        ] {
            assert!(page.exists(field).await, "the birth form has {field}");
        }
        for field in [
            "#f-method",
            "#f-to_area_code",
            "#f-spouse_id_number",
            "#f-outcome",
        ] {
            assert!(!page.exists(field).await, "the birth form has no {field}");
        }
        assert!(page.text("#h-birth_weight_g").await.contains("克"));
        let placeholder = page
            .el("#f-date")
            .await
            .attr("placeholder")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(
            !placeholder.chars().any(|c| c.is_ascii_digit()),
            "a date placeholder reads as no value: {placeholder}"
        );

        let next_year = (jiff::Zoned::now().date() + jiff::Span::new().years(1)).to_string();
        page.fill("#f-date", &next_year).await;
        page.fill("#f-birth_weight_g", "120").await;
        page.click_to_load("form.person-form button[type=submit]")
            .await;
        assert_eq!(page.status().await, 422);
        let summary = page.texts("#error-summary li").await;
        assert_eq!(summary.len(), 3, "three problems in one round: {summary:?}");
        assert!(summary[0].contains("晚于今天"), "{summary:?}");
        assert!(summary[1].contains("子女性别"), "{summary:?}");
        assert!(summary[2].contains("300–7000"), "{summary:?}");
        let focused = page
            .c
            .execute("return document.activeElement.id", vec![])
            .await
            .unwrap();
        assert_eq!(
            focused.as_str(),
            Some("error-summary"),
            "the summary has the focus"
        );
        page.screenshot("birth-errors").await;

        let today = jiff::Zoned::now().date().to_string();
        page.fill("#f-date", &today).await;
        page.fill("#f-birth_weight_g", "3200").await;
        page.fill("#f-child_name", "欧阳小雨").await;
        select(&page, "#f-child_sex", "2").await;
        page.click_to_load("form.person-form button[type=submit]")
            .await;
        page.wait_path(&href).await;
        page.assert_text("p.message", &format!("已登记：出生，{today}"))
            .await;
        let rows = page.texts("table.timeline tbody tr").await;
        assert!(
            rows.iter()
                .any(|r| r.contains("出生") && r.contains("欧阳小雨") && r.contains("3200g")),
            "the timeline shows the birth: {rows:?}"
        );
    });
}
