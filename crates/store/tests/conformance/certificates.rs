//! Certificates: applications, checks, review, serials, reissue and verification.

use jiff::civil::date;
use renkou_core::audit::AuditAction;
use renkou_core::certificate::{Application, CheckOutcome, Queue, Step, Validity, VerifyCode};
use renkou_core::*;
use renkou_store::{StepInput, Store, StoreError};

use crate::helpers::*;

const CITY: &str = "340705";

fn reason(text: &str) -> StepInput {
    StepInput {
        reason: Some(text.into()),
        ..Default::default()
    }
}

fn step(
    s: &mut Store,
    actor: &Actor,
    id: i64,
    st: Step,
) -> Result<certificate::Certificate, StoreError> {
    s.certificate_step(actor, id, st, StepInput::default(), TODAY)
}

fn outcome_of(view: &renkou_store::CertificateView, key: &str) -> (CheckOutcome, String) {
    let c = view
        .checks
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no check {key}: {:?}", view.checks));
    (c.outcome, c.message.clone())
}

#[test]
fn an_application_is_checked_against_the_register_and_issued_with_a_serial() {
    each_backend(|s| {
        let p = town(s);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        let station = staff(s, "station", Role::Station, CITY);

        // Unmarried, no children: a note for the reviewer, nothing that stops approval.
        let c = s
            .apply_certificate(
                &officer,
                p.a_woman,
                CertificateKind::BirthRegistration,
                Application::default(),
                TODAY,
            )
            .unwrap();
        assert_eq!(c.state, CertificateState::Applied);
        let view = s.certificate_as(&station, c.id, TODAY).unwrap();
        assert_eq!(outcome_of(&view, "identity").0, CheckOutcome::Passed);
        let (o, m) = outcome_of(&view, "marital_status");
        assert_eq!(o, CheckOutcome::Note);
        assert!(m.contains("未婚"), "{m}");
        assert!(outcome_of(&view, "children").1.contains("第一孩"));
        let issued = step(s, &station, c.id, Step::Issue).unwrap();
        assert_eq!(issued.state, CertificateState::Issued);
        assert_eq!(issued.serial.as_deref(), Some("SY2026000001"));
        assert!(issued.verify_code.is_some());
        assert!(issued.processing_seconds.is_some_and(|s| s >= 0));
        assert_eq!(
            issued.valid_until, None,
            "a birth registration does not lapse"
        );
        let steps: Vec<Step> = s
            .certificate_as(&station, c.id, TODAY)
            .unwrap()
            .steps
            .iter()
            .map(|s| s.step)
            .collect();
        assert_eq!(steps, [Step::Apply, Step::Issue]);
        assert_eq!(
            audit_of(s, AuditAction::CertificateIssue, &c.id.to_string()).len(),
            1
        );
        // The holder's page shows the steps.
        let (docs, on_timeline) = s.certificates_of(p.a_woman).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(on_timeline.len(), 2);

        // Married, spouse not on this register and not named: the check says so and the
        // station cannot approve; sent back, named, resubmitted, approved.
        let mut married = s.person(p.b_woman).unwrap().unwrap().data;
        married.marital_status = MaritalStatus::FirstMarriage;
        s.update_person(p.b_woman, married, "test", TODAY, None)
            .unwrap();
        let centre = staff(s, "centre", Role::Centre, CENTRE);
        let c2 = s
            .apply_certificate(
                &centre,
                p.b_woman,
                CertificateKind::BirthRegistration,
                Application::default(),
                TODAY,
            )
            .unwrap();
        let view = s.certificate_as(&station, c2.id, TODAY).unwrap();
        let (o, m) = outcome_of(&view, "spouse");
        assert_eq!(o, CheckOutcome::Missing);
        assert!(m.contains("配偶不在本登记册中"), "{m}");
        assert_eq!(
            outcome_of(&view, "marriage_event").1,
            "时间线上没有结婚事件（婚姻状况来自建档数据）"
        );
        let err = step(s, &station, c2.id, Step::Issue).unwrap_err();
        assert!(err.to_string().contains("配偶"), "{err}");
        let err = step(s, &station, c2.id, Step::Return).unwrap_err();
        assert_eq!(field_of(&err), ["reason"]);
        s.certificate_step(
            &station,
            c2.id,
            Step::Return,
            reason("请补充配偶姓名"),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            s.certificates_as(&centre, Queue::Returned, None, None, 10)
                .unwrap()
                .len(),
            1
        );
        let named = StepInput {
            application: Some(Application {
                spouse_name: Some(PersonName::parse("赵刚").unwrap()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let back = s
            .certificate_step(&centre, c2.id, Step::Resubmit, named, TODAY)
            .unwrap();
        assert_eq!(back.state, CertificateState::Applied);
        let view = s.certificate_as(&station, c2.id, TODAY).unwrap();
        assert_eq!(outcome_of(&view, "spouse").0, CheckOutcome::Note);
        let issued = step(s, &station, c2.id, Step::Issue).unwrap();
        assert_eq!(
            issued.serial.as_deref(),
            Some("SY2026000002"),
            "the kind's own sequence"
        );

        // Each kind has its own sequence; a migrant in is sent to the home place.
        let rhc = s
            .apply_certificate(
                &officer,
                p.a_man,
                CertificateKind::ReproductiveHealthCard,
                Application::default(),
                TODAY,
            )
            .unwrap();
        assert_eq!(
            step(s, &station, rhc.id, Step::Issue)
                .unwrap()
                .serial
                .as_deref(),
            Some("SB2026000001")
        );
        let m = s
            .apply_certificate(
                &officer,
                p.a_migrant,
                CertificateKind::MigrantCertificate,
                Application::default(),
                TODAY,
            )
            .unwrap();
        let view = s.certificate_as(&station, m.id, TODAY).unwrap();
        let (o, msg) = outcome_of(&view, "residence");
        assert_eq!(o, CheckOutcome::Missing);
        assert!(msg.contains("户籍地"), "{msg}");
        s.certificate_step(
            &station,
            m.id,
            Step::Reject,
            reason("流入人口，请向户籍地申请"),
            TODAY,
        )
        .unwrap();

        // A second card while one is valid is refused with the way forward.
        let err = s
            .apply_certificate(
                &officer,
                p.a_man,
                CertificateKind::ReproductiveHealthCard,
                Application::default(),
                TODAY,
            )
            .unwrap_err();
        assert!(err.to_string().contains("补发"), "{err}");
    });
}

#[test]
fn each_role_applies_reviews_prints_and_revokes_only_what_the_table_gives_it() {
    each_backend(|s| {
        let p = town(s);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        let other_officer = staff(s, "officer.x", Role::CommitteeOfficer, OTHER_CENTRE);
        let centre = staff(s, "centre", Role::Centre, CENTRE);
        let coordinator = staff(s, "migrants", Role::MigrantCoordinator, CENTRE);
        let leader = staff(s, "leader", Role::GroupLeader, G1);
        let station = staff(s, "station", Role::Station, CITY);
        let bureau = staff(s, "bureau", Role::Bureau, CITY);
        let apply = |s: &mut Store, who: &Actor, person: PersonId, kind: CertificateKind| {
            s.apply_certificate(who, person, kind, Application::default(), TODAY)
        };
        let rhc = CertificateKind::ReproductiveHealthCard;

        assert!(matches!(
            apply(s, &leader, p.a_woman, rhc),
            Err(StoreError::Denied(_))
        ));
        assert!(matches!(
            apply(s, &station, p.a_woman, rhc),
            Err(StoreError::Denied(_))
        ));
        assert!(matches!(
            apply(s, &coordinator, p.a_migrant, rhc),
            Err(StoreError::Denied(_))
        ));
        // Out of the account's area reads as not found, and is audited as denied.
        assert!(matches!(
            apply(s, &other_officer, p.a_woman, rhc),
            Err(StoreError::NotFound(_))
        ));
        let denied = all_audit(s)
            .into_iter()
            .filter(|r| r.action == "certificate.apply" && r.result == "denied")
            .count();
        assert_eq!(denied, 4);
        // A coordinator's migrant certificate, for a migrant only.
        assert!(matches!(
            apply(
                s,
                &coordinator,
                p.a_woman,
                CertificateKind::MigrantCertificate
            ),
            Err(StoreError::NotFound(_))
        ));

        let c = apply(s, &officer, p.a_woman, rhc).unwrap();
        for who in [&officer, &centre, &bureau, &leader] {
            assert!(
                step(s, who, c.id, Step::Issue).is_err(),
                "{} issued",
                who.username
            );
        }
        assert!(matches!(
            step(s, &other_officer, c.id, Step::Issue),
            Err(StoreError::Denied(_))
        ));
        step(s, &station, c.id, Step::Issue).unwrap();
        // Printing and handing over: the station and the centre's window.
        assert!(matches!(
            s.certificate_step(
                &officer,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(1),
                    ..Default::default()
                },
                TODAY
            ),
            Err(StoreError::Denied(_))
        ));
        assert!(
            matches!(
                step(s, &centre, c.id, Step::Deliver),
                Err(StoreError::Rejected(_))
            ),
            "not printed yet"
        );
        let err = s
            .certificate_step(
                &centre,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(11),
                    ..Default::default()
                },
                TODAY,
            )
            .unwrap_err();
        assert_eq!(field_of(&err), ["copies"]);
        let printed = s
            .certificate_step(
                &centre,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(2),
                    ..Default::default()
                },
                TODAY,
            )
            .unwrap();
        assert_eq!(printed.copies_printed, 2);
        let print_rows: Vec<_> = audit_of(s, AuditAction::CertificatePrint, &c.id.to_string())
            .into_iter()
            .filter(|r| r.result == "ok")
            .collect();
        assert_eq!(
            print_rows.len(),
            1,
            "the officer's refused print is a denied row"
        );
        assert_eq!(print_rows[0].username.as_deref(), Some("centre"));
        assert!(
            print_rows[0]
                .detail
                .as_deref()
                .unwrap()
                .contains("copies=2")
        );
        assert!(step(s, &centre, c.id, Step::Deliver).unwrap().delivered);
        // Revoking is the station's.
        assert!(matches!(
            s.certificate_step(&centre, c.id, Step::Revoke, reason("x"), TODAY),
            Err(StoreError::Denied(_))
        ));
        s.certificate_step(&station, c.id, Step::Revoke, reason("信息有误"), TODAY)
            .unwrap();
        let err = s
            .certificate_step(
                &station,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(1),
                    ..Default::default()
                },
                TODAY,
            )
            .unwrap_err();
        assert!(err.to_string().contains("已注销"), "{err}");

        // Who sees which queue: the bureau reads the area's documents but no birth
        // registration (it tells of a pregnancy); another centre sees none of them.
        let b = apply(s, &officer, p.a_man, CertificateKind::BirthRegistration).unwrap();
        assert!(matches!(
            s.certificate_as(&bureau, b.id, TODAY),
            Err(StoreError::NotFound(_))
        ));
        assert!(s.certificate_as(&bureau, c.id, TODAY).is_ok());
        assert_eq!(
            s.certificates_as(&bureau, Queue::All, None, None, 50)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            s.certificates_as(&station, Queue::All, None, None, 50)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            s.certificates_as(&station, Queue::Review, None, None, 50)
                .unwrap()
                .len(),
            1
        );
        assert!(
            s.certificates_as(&other_officer, Queue::All, None, None, 50)
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            s.certificate_as(&other_officer, c.id, TODAY),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.certificates_as(&leader, Queue::All, None, None, 50),
            Err(StoreError::Denied(_))
        ));
    });
}

#[test]
fn serials_stay_unique_when_issued_at_once() {
    for b in backends() {
        eprintln!("-- backend: {}", b.name);
        let mut s = Store::open(&b.url).unwrap();
        s.upsert_areas(&tree()).unwrap();
        let officer = staff(&mut s, "officer.a", Role::CommitteeOfficer, C1);
        let station = staff(&mut s, "station", Role::Station, CITY);
        let mut ids = Vec::new();
        for i in 0..24u16 {
            let mut d = data(
                "周敏",
                Sex::Female,
                date(1990, 1, 1),
                100 + i,
                &format!("HC{i}"),
                Relation::Head,
                C1,
            );
            d.marital_status = MaritalStatus::Unmarried;
            let person = s.add_person(d, "test", TODAY).unwrap();
            let c = s
                .apply_certificate(
                    &officer,
                    person,
                    CertificateKind::ReproductiveHealthCard,
                    Application::default(),
                    TODAY,
                )
                .unwrap();
            ids.push(c.id);
        }
        let serials = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for chunk in ids.chunks(8) {
                let (url, station, serials) = (b.url.clone(), station.clone(), &serials);
                scope.spawn(move || {
                    let mut mine = Store::open(&url).unwrap();
                    for id in chunk {
                        let c = mine
                            .certificate_step(
                                &station,
                                *id,
                                Step::Issue,
                                StepInput::default(),
                                TODAY,
                            )
                            .unwrap();
                        serials.lock().unwrap().push(c.serial.unwrap());
                    }
                });
            }
        });
        let mut serials = serials.into_inner().unwrap();
        serials.sort();
        let expected: Vec<String> = (1..=24).map(|n| format!("SB2026{n:06}")).collect();
        assert_eq!(serials, expected, "{}", b.name);
    }
}

#[test]
fn a_reissue_voids_the_old_serial_and_verification_tells_every_state() {
    each_backend(|s| {
        let p = town(s);
        let officer = staff(s, "officer.a", Role::CommitteeOfficer, C1);
        let station = staff(s, "station", Role::Station, CITY);
        let c = s
            .apply_certificate(
                &officer,
                p.a_man,
                CertificateKind::MigrantCertificate,
                Application::default(),
                TODAY,
            )
            .unwrap();
        let first = step(s, &station, c.id, Step::Issue).unwrap();
        let old_code = first.verify_code.clone().unwrap();
        let v = s.verify_certificate(&old_code, TODAY).unwrap().unwrap();
        assert_eq!(v.validity, Validity::Valid);
        assert_eq!(v.masked_name, "王**");
        assert_eq!(v.serial, "LD2026000001");
        assert_eq!(
            v.valid_until,
            Some(date(2029, 11, 27)),
            "three years, the last day inclusive"
        );

        let err = step(s, &station, c.id, Step::Reissue).unwrap_err();
        assert_eq!(field_of(&err), ["reason"]);
        let new = s
            .certificate_step(&station, c.id, Step::Reissue, reason("遗失"), TODAY)
            .unwrap();
        assert_ne!(new.id, c.id);
        assert_eq!(new.serial.as_deref(), Some("LD2026000002"));
        assert_eq!(new.replaces, Some(c.id));
        assert_eq!(
            new.valid_until, first.valid_until,
            "a reissue replaces, it does not extend"
        );
        let old = s.certificate_as(&station, c.id, TODAY).unwrap().certificate;
        assert_eq!(old.state, CertificateState::Voided);
        assert_eq!(old.replaced_by, Some(new.id));
        assert_eq!(
            s.verify_certificate(&old_code, TODAY)
                .unwrap()
                .unwrap()
                .validity,
            Validity::Voided
        );
        let new_code = new.verify_code.clone().unwrap();
        assert_eq!(
            s.verify_certificate(&new_code, TODAY)
                .unwrap()
                .unwrap()
                .validity,
            Validity::Valid
        );
        // The old paper cannot be printed again.
        assert!(
            s.certificate_step(
                &station,
                c.id,
                Step::Print,
                StepInput {
                    copies: Some(1),
                    ..Default::default()
                },
                TODAY
            )
            .is_err()
        );

        // Valid through its last day, expired the day after.
        let later = date(2029, 11, 28);
        assert_eq!(
            s.verify_certificate(&new_code, later)
                .unwrap()
                .unwrap()
                .validity,
            Validity::Expired
        );
        assert_eq!(
            s.verify_certificate(&new_code, date(2029, 11, 27))
                .unwrap()
                .unwrap()
                .validity,
            Validity::Valid
        );
        s.certificate_step(
            &station,
            new.id,
            Step::Revoke,
            reason("本人申请注销"),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            s.verify_certificate(&new_code, TODAY)
                .unwrap()
                .unwrap()
                .validity,
            Validity::Revoked
        );
        // An unknown code, and an application not yet issued, tell nothing.
        assert_eq!(
            s.verify_certificate(&VerifyCode::parse("ABCDEFGHJK").unwrap(), TODAY)
                .unwrap(),
            None
        );
        let pending = s
            .apply_certificate(
                &officer,
                p.a_woman,
                CertificateKind::ReproductiveHealthCard,
                Application::default(),
                TODAY,
            )
            .unwrap();
        assert_eq!(pending.verify_code, None);

        // The period's register for the assessment: both serials, in issue order.
        let issued = s.issued_between(date(2026, 11, 1), TODAY).unwrap();
        let serials: Vec<_> = issued
            .iter()
            .filter_map(|r| r.certificate.serial.clone())
            .collect();
        assert_eq!(serials, ["LD2026000001", "LD2026000002"]);
        assert_eq!(
            issued[0]
                .holder_id_masked
                .as_deref()
                .map(|m| m.contains('*')),
            Some(true)
        );
    });
}
