//! The application form warns at once when the review's checks will fail (issue 11): the
//! applicant hears it at the window, not from a return days later.

use super::*;

#[tokio::test]
async fn the_form_warns_of_a_check_that_will_fail_before_anything_is_applied() {
    for backend in Backend::all() {
        let app = TestApp::on(backend);
        app.add_account("officer.k1", Role::CommitteeOfficer, K1);
        let married = app.add(app.woman("赵静", G1).married());
        let arrived = app.add(app.woman("钱红", G1).migrant_in());
        let officer = app.browser("officer.k1").await;
        let form = |id: String, kind: &str| format!("/persons/{id}/certificates/new?kind={kind}");

        // A married woman with no spouse on the register: the migrant certificate prints the
        // spouse, so the form says so before it is submitted.
        let page = app
            .send(officer.get(&form(married.id().to_string(), "migrant_certificate")))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{page}");
        assert!(page.body.contains("class=\"warnings\""), "{page}");
        assert!(page.body.contains("配偶不在本登记册中"), "{page}");
        // A 流入 person applies at home: the form says where.
        let page = app
            .send(officer.get(&form(arrived.id().to_string(), "migrant_certificate")))
            .await;
        assert!(page.body.contains("由户籍地出具"), "{page}");
        // A kind whose checks pass warns of nothing, and nothing was applied by looking.
        let page = app
            .send(officer.get(&form(arrived.id().to_string(), "reproductive_health_card")))
            .await;
        assert!(!page.body.contains("class=\"warnings\""), "{page}");
        let applied = app.audit(AuditFilter {
            action: Some("certificate.apply".into()),
            ..AuditFilter::default()
        });
        assert!(applied.is_empty(), "{applied:?}");
    }
}
