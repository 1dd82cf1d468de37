//! 规划统计 (issue 12) as the station uses it: 统计 in the navigation opens the last month's
//! report of the city, a row leads one level down, and the sheet downloads with the same
//! total as the page.

use super::harness::run;

#[test]
fn the_station_opens_the_report_drills_down_and_downloads_the_sheet() {
    run("stats", |page| async move {
        page.login_ok("station").await;
        page.click_to_load("nav.side a[href='/stats']").await;
        let heading = page.text("h1").await;
        assert!(heading.contains("规划统计"), "{heading}");
        let total = page.texts("table.stats tfoot tr.total td").await;
        let population: i64 = total[0].parse().expect("the total population is a number");
        assert!(population > 0, "the demo city has people: {total:?}");
        let rows = page.texts("table.stats tbody tr").await;
        assert!(!rows.is_empty(), "a row per child area");
        assert_eq!(page.all("svg.chart").await.len(), 4, "four charts");
        assert!(
            page.text("figure.chart figcaption")
                .await
                .contains("人口金字塔")
        );
        page.screenshot("stats-report").await;

        // The sheet, as the link downloads it: the same total.
        let href = page
            .el("a[href^='/stats/report.xlsx']")
            .await
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let bytes = page
            .c
            .execute(
                "return fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)))",
                vec![serde_json::Value::String(href)],
            )
            .await
            .unwrap();
        let bytes: Vec<u8> = serde_json::from_value(bytes).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        let sheet: Vec<Vec<String>> = renkou_documents::open_table(&path)
            .expect("the download is a spreadsheet")
            .map(|r| r.unwrap().cells)
            .collect();
        let sum = sheet.iter().find(|r| r[0] == "合计").expect("a total row");
        assert_eq!(sum[1], total[0], "the sheet's total is the page's");

        // One level down: the first row's area becomes the report's.
        let first = page.el("table.stats tbody tr th a").await;
        let name = first.text().await.unwrap();
        page.click_to_load("table.stats tbody tr th a").await;
        let heading = page.text("h1").await;
        assert!(heading.contains(&name), "{heading} is {name}'s report");
        let below = page.texts("table.stats tfoot tr.total td").await;
        let part: i64 = below[0].parse().unwrap();
        assert!(
            part <= population,
            "a part of the city: {part} of {population}"
        );
    });
}
