//! The station's weighty steps on a certificate: revoking asks once, showing what will change,
//! and then the document says what was done.

use super::harness::run;

#[test]
fn revoking_a_certificate_asks_to_confirm_then_says_it_was_done() {
    run("certs-revoke", |page| async move {
        page.login_ok("station").await;
        // A document the demo issued (not a health card, which another test issues and
        // verifies as valid).
        page.goto("/certificates?queue=issued").await;
        let link = page
            .xpath(
                "//table[contains(@class,'queue')]//tr[td[3][normalize-space()!='生殖保健服务证'] \
                 and td[4][normalize-space()='已发证']]/td[2]/a",
            )
            .await;
        let name = link.text().await.unwrap();
        let href = link.attr("href").await.unwrap().expect("a link");
        page.goto(&href).await;
        let serial = page.record_field("证号").await;
        page.fill("#reason-manage", "登记错误，测试注销").await;
        page.click_to_load("button[name=step][value=revoke]").await;

        // The confirmation: nothing revoked yet, what will change shown.
        page.assert_text("main h1", "确认注销").await;
        page.assert_text("main h1", &name).await;
        page.assert_text("#confirm-intro", &serial).await;
        let changes = page.text("table.changes").await;
        assert!(changes.contains("已注销"), "{changes}");
        assert!(changes.contains("登记错误，测试注销"), "{changes}");
        page.screenshot("certificate-revoke-confirm").await;
        page.click_to_load("form.confirm-actions button.danger")
            .await;

        // Done: said once, and the document is revoked.
        page.wait_path(&href).await;
        page.assert_text("p.message", "已注销：").await;
        page.assert_text("p.message", &serial).await;
        page.assert_text("main h1", "已注销").await;
        page.goto(&href).await;
        assert!(!page.exists("p.message").await, "the message is shown once");
    });
}
