//! The step rule written out: every role × state × step, each refusal's words, what each
//! allowed step records, and what the pages offer.

use super::*;
use crate::access::Role;
use crate::certificate::VerifyCode;
use crate::certificate::review::tests::{facts, person};
use crate::codes::{MaritalStatus, PopulationType, Sex};
use crate::person::PersonId;
use crate::{AreaCode, Person};
use jiff::civil::date;

const TODAY: Date = date(2026, 11, 28);

fn now() -> Moment {
    Moment {
        today: TODAY,
        at: "2026-11-28T02:00:00Z".parse().unwrap(),
    }
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).unwrap()
}

/// A woman registered here who has gone to work elsewhere (流出): every staff role serves
/// her, a migrant coordinator included.
fn holder() -> Person {
    person(
        Sex::Female,
        MaritalStatus::Unmarried,
        PopulationType::MigrantOut,
    )
}

/// A migrant certificate in the state named: applied, returned, rejected, issued (valid,
/// printed once, not delivered), expired, voided or revoked.
fn doc(state: &str) -> Certificate {
    let applied_at: Timestamp = "2026-11-25T02:00:00Z".parse().unwrap();
    let mut c = Certificate {
        id: 7,
        kind: CertificateKind::MigrantCertificate,
        person_id: PersonId(1),
        area_code: code("340705001001"),
        state: CertificateState::Applied,
        application: Application::default(),
        applied_at,
        applied_by: "officer".into(),
        serial: None,
        verify_code: None,
        issued_at: None,
        issued_on: None,
        valid_until: None,
        processing_seconds: None,
        copies_printed: 0,
        delivered: false,
        replaces: None,
        replaced_by: None,
        reason: None,
    };
    let issued = |c: &mut Certificate, on: Date, s: CertificateState| {
        c.state = s;
        c.serial = Some("LD2026000001".into());
        c.verify_code = Some(VerifyCode::from_random([3; 10]));
        c.issued_on = Some(on);
        c.valid_until = valid_until(c.kind, on);
        c.copies_printed = 1;
    };
    match state {
        "applied" => {}
        "returned" => c.state = CertificateState::Returned,
        "rejected" => c.state = CertificateState::Rejected,
        "issued" => issued(&mut c, TODAY, CertificateState::Issued),
        "expired" => issued(&mut c, date(2020, 1, 1), CertificateState::Issued),
        "voided" => issued(&mut c, TODAY, CertificateState::Voided),
        "revoked" => issued(&mut c, TODAY, CertificateState::Revoked),
        "withdrawn" => c.state = CertificateState::Withdrawn,
        other => panic!("no state {other}"),
    }
    c
}

/// Everything a step may ask, given: a reason, one copy.
fn full_input() -> StepInput {
    StepInput {
        reason: Some("材料需要核对".into()),
        copies: Some(1),
        application: None,
    }
}

const STEPS: [Step; 9] = [
    Step::Return,
    Step::Resubmit,
    Step::Reject,
    Step::Issue,
    Step::Print,
    Step::Deliver,
    Step::Reissue,
    Step::Revoke,
    Step::Withdraw,
];

const STATES: [&str; 8] = [
    "applied",
    "returned",
    "rejected",
    "issued",
    "expired",
    "voided",
    "revoked",
    "withdrawn",
];

/// The whole rule, written out: every role × every state × every step, on a document in
/// the role's reach, with a complete input. A cell names the state a step leaves; a step
/// not listed is refused. A change to any cell fails here and must be made on purpose.
#[test]
fn the_step_rule_as_a_whole() {
    let facts = facts(holder(), 0);
    let mut table = Vec::new();
    for role in Role::ALL {
        let scope = Scope::new(1, role, code("340705"));
        let cells: Vec<String> = STATES
            .iter()
            .map(|state| {
                let d = doc(state);
                let allowed: Vec<String> = STEPS
                    .iter()
                    .filter_map(|step| {
                        decide(&d, &facts, *step, &full_input(), &scope, now())
                            .ok()
                            .map(|dec| format!("{step}→{}", dec.state.code()))
                    })
                    .collect();
                format!("{state}[{}]", allowed.join(" "))
            })
            .collect();
        table.push(format!("{}: {}", role.key(), cells.join(" ")));
    }
    assert_eq!(
        table,
        [
            "bureau: applied[] returned[] rejected[] issued[] expired[] voided[] revoked[] \
             withdrawn[]",
            "station: applied[return→returned reject→rejected issue→issued] returned[] \
             rejected[] issued[print→issued deliver→issued reissue→voided revoke→revoked] \
             expired[revoke→revoked] voided[] revoked[] withdrawn[]",
            "centre: applied[withdraw→withdrawn] returned[resubmit→applied \
             withdraw→withdrawn] rejected[] issued[print→issued deliver→issued] expired[] \
             voided[] revoked[] withdrawn[]",
            "committee_officer: applied[withdraw→withdrawn] returned[resubmit→applied \
             withdraw→withdrawn] rejected[] issued[] expired[] voided[] revoked[] withdrawn[]",
            "migrant_coordinator: applied[withdraw→withdrawn] returned[resubmit→applied \
             withdraw→withdrawn] rejected[] issued[] expired[] voided[] revoked[] withdrawn[]",
            "group_leader: applied[] returned[] rejected[] issued[] expired[] voided[] \
             revoked[] withdrawn[]",
            "system_admin: applied[] returned[] rejected[] issued[] expired[] voided[] \
             revoked[] withdrawn[]",
            "security_admin: applied[] returned[] rejected[] issued[] expired[] voided[] \
             revoked[] withdrawn[]",
            "audit_admin: applied[] returned[] rejected[] issued[] expired[] voided[] \
             revoked[] withdrawn[]",
        ]
    );
}

/// How each refusal reads: forbidden for the role, hidden out of reach, invalid for the
/// state or the input, and which field it is about.
#[test]
fn each_refusal_says_why() {
    let facts = facts(holder(), 0);
    let station = Scope::new(1, Role::Station, code("340705"));
    let officer = Scope::new(2, Role::CommitteeOfficer, code("340705001001"));
    let elsewhere = Scope::new(3, Role::Station, code("340706"));
    let bureau = Scope::new(4, Role::Bureau, code("340705"));
    let refusal = |d: &Certificate, step: Step, input: StepInput, scope: &Scope| match decide(
        d,
        &facts,
        step,
        &input,
        scope,
        now(),
    )
    .unwrap_err()
    {
        Refusal::Denied(what) => format!("denied: {what}"),
        Refusal::OutOfReach => "hidden".to_string(),
        Refusal::Invalid(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    };
    let cases = [
        refusal(&doc("applied"), Step::Issue, full_input(), &officer),
        refusal(&doc("applied"), Step::Issue, full_input(), &elsewhere),
        refusal(&doc("returned"), Step::Resubmit, full_input(), &bureau),
        refusal(&doc("applied"), Step::Apply, full_input(), &station),
        refusal(
            &doc("applied"),
            Step::Return,
            StepInput::default(),
            &station,
        ),
        refusal(
            &doc("applied"),
            Step::Reject,
            StepInput {
                reason: Some("长".repeat(501)),
                ..StepInput::default()
            },
            &station,
        ),
        refusal(&doc("applied"), Step::Print, full_input(), &station),
        refusal(&doc("revoked"), Step::Print, full_input(), &station),
        refusal(&doc("expired"), Step::Print, full_input(), &station),
        refusal(
            &doc("issued"),
            Step::Print,
            StepInput {
                copies: Some(11),
                ..StepInput::default()
            },
            &station,
        ),
        refusal(
            &doc("issued"),
            Step::Print,
            StepInput {
                copies: Some(0),
                ..StepInput::default()
            },
            &station,
        ),
    ];
    assert_eq!(
        cases,
        [
            "denied: 审核通过并发证",
            "hidden",
            "denied: 补充后重新提交",
            "step: 申请请用 apply_certificate",
            "reason: 退回补充需要写明原因",
            "reason: 原因不能超过 500 个字",
            "step: 此证件当前为“待审核”，不能打印",
            "step: 此证件当前为“已注销”，不能打印",
            "step: 此证件已过有效期，不能打印、送达或补发；请重新申请",
            "copies: 份数应为 1 到 10",
            "copies: 份数应为 1 到 10",
        ]
    );
    // Delivery waits for a print, and happens once.
    let mut unprinted = doc("issued");
    unprinted.copies_printed = 0;
    let mut delivered = doc("issued");
    delivered.delivered = true;
    assert_eq!(
        refusal(&unprinted, Step::Deliver, full_input(), &station),
        "step: 证件还没有打印，不能送达"
    );
    assert_eq!(
        refusal(&delivered, Step::Deliver, full_input(), &station),
        "step: 证件已经送达"
    );
    // A review that finds something missing names it.
    let mut nobody = holder();
    nobody.data.id_number = None;
    let missing = crate::certificate::review::tests::facts(nobody, 0);
    let err = decide(
        &doc("applied"),
        &missing,
        Step::Issue,
        &StepInput::default(),
        &station,
        now(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        invalid(
            "checks",
            "还不能批准：登记册中没有此人的身份证号，请先补录。请退回补充"
        )
    );
}

/// What an allowed step changes and records: the history's line, the audit's detail.
#[test]
fn each_step_records_what_it_did() {
    let facts = facts(holder(), 0);
    let station = Scope::new(1, Role::Station, code("340705"));
    let take = |d: &Certificate, step: Step, input: StepInput| {
        decide(d, &facts, step, &input, &station, now()).unwrap()
    };
    let issue = take(&doc("applied"), Step::Issue, StepInput::default());
    assert_eq!(
        issue.change,
        Change::Issue(Issuance {
            issued_at: now().at,
            issued_on: TODAY,
            valid_until: Some(date(2029, 11, 27)),
            processing_seconds: Some(3 * 86_400),
        })
    );
    assert_eq!(
        issue.note(Some("LD2026000009")).as_deref(),
        Some("证号 LD2026000009")
    );
    assert_eq!(issue.audit_detail, None, "no serial before the issue");

    let print = take(
        &doc("issued"),
        Step::Print,
        StepInput {
            copies: Some(2),
            ..StepInput::default()
        },
    );
    assert_eq!(print.change, Change::Print { copies: 2 });
    assert_eq!(print.note(None).as_deref(), Some("证号 LD2026000001，2 份"));
    assert_eq!(
        print.audit_detail.as_deref(),
        Some("serial=LD2026000001 copies=2")
    );
    let one = take(&doc("issued"), Step::Print, StepInput::default());
    assert_eq!(
        one.change,
        Change::Print { copies: 1 },
        "one copy unless asked"
    );

    let reissue = take(&doc("issued"), Step::Reissue, full_input());
    assert_eq!(reissue.state, CertificateState::Voided);
    let Change::Reissue {
        reason,
        replacement,
        replacement_note,
        replacement_audit_detail,
    } = &reissue.change
    else {
        panic!("{reissue:?}");
    };
    assert_eq!(reason.as_deref(), Some("材料需要核对"));
    assert_eq!(
        replacement.valid_until,
        doc("issued").valid_until,
        "a reissue replaces, it does not extend"
    );
    assert_eq!(replacement.processing_seconds, None);
    assert_eq!(replacement_note, "补发，原证号 LD2026000001 作废");
    assert_eq!(replacement_audit_detail, "reissue_of=7");
    assert_eq!(
        reissue.note(Some("LD2026000002")).as_deref(),
        Some("材料需要核对；新证号 LD2026000002")
    );
    assert_eq!(reissue.audit_detail.as_deref(), Some("serial=LD2026000001"));

    let revoke = take(
        &doc("expired"),
        Step::Revoke,
        StepInput {
            reason: Some("  登记错误 ".into()),
            ..StepInput::default()
        },
    );
    assert_eq!(
        revoke.change,
        Change::State {
            reason: Some("登记错误".into())
        },
        "the reason is kept trimmed"
    );
    assert_eq!(revoke.note(None).as_deref(), Some("登记错误"));

    // A resubmission's line is the corrected application's note, checked for its kind.
    let officer = Scope::new(2, Role::CommitteeOfficer, code("340705001001"));
    let resubmit = |app: Application| {
        decide(
            &doc("returned"),
            &facts,
            Step::Resubmit,
            &StepInput {
                application: Some(app),
                ..StepInput::default()
            },
            &officer,
            now(),
        )
    };
    let ok = resubmit(Application {
        destination: Some("江苏省南京市".into()),
        expected_date: Some(date(2027, 1, 1)),
        note: Some("已补充去向".into()),
        ..Application::default()
    })
    .unwrap();
    assert_eq!(ok.note(None).as_deref(), Some("已补充去向"));
    let Change::Resubmit {
        application: Some(app),
    } = &ok.change
    else {
        panic!("{ok:?}");
    };
    assert_eq!(
        app.expected_date, None,
        "the migrant certificate asks no date"
    );
    let err = resubmit(Application {
        destination: Some("远".repeat(101)),
        ..Application::default()
    })
    .unwrap_err();
    assert!(
        matches!(&err, Refusal::Invalid(e) if e[0].field == "destination"),
        "{err:?}"
    );
}

/// What the document page offers is what `decide` would allow, short of the input.
#[test]
fn the_page_offers_what_the_rule_allows() {
    let station = Scope::new(1, Role::Station, code("340705"));
    let centre = Scope::new(2, Role::Centre, code("340705001"));
    let offered = |d: &Certificate, scope: &Scope| -> Vec<&'static str> {
        STEPS
            .iter()
            .filter(|s| offers(d, **s, scope, TODAY))
            .map(|s| s.key())
            .collect()
    };
    assert_eq!(
        offered(&doc("applied"), &station),
        ["return", "reject", "issue"]
    );
    assert_eq!(
        offered(&doc("issued"), &station),
        ["print", "deliver", "reissue", "revoke"]
    );
    assert_eq!(offered(&doc("expired"), &station), ["revoke"]);
    assert_eq!(offered(&doc("issued"), &centre), ["print", "deliver"]);
    assert_eq!(offered(&doc("returned"), &centre), ["resubmit", "withdraw"]);
    assert_eq!(offered(&doc("applied"), &centre), ["withdraw"]);
    assert!(offered(&doc("withdrawn"), &centre).is_empty());
    let mut unprinted = doc("issued");
    unprinted.copies_printed = 0;
    assert_eq!(offered(&unprinted, &centre), ["print"]);

    assert_eq!(Queue::opening_for(&station), Queue::Review);
    assert_eq!(Queue::opening_for(&centre), Queue::Print);
    let coordinator = Scope::new(3, Role::MigrantCoordinator, code("340705"));
    assert_eq!(Queue::opening_for(&coordinator), Queue::Returned);
    // With the counts: the centre hands over when nothing waits for printing.
    let counts = |print: u64, deliver: u64| {
        [
            (Queue::Review, 3),
            (Queue::Print, print),
            (Queue::Deliver, deliver),
            (Queue::Returned, 1),
        ]
    };
    assert_eq!(Queue::opening(&centre, &counts(2, 5)), Queue::Print);
    assert_eq!(Queue::opening(&centre, &counts(0, 5)), Queue::Deliver);
    assert_eq!(Queue::opening(&centre, &counts(0, 0)), Queue::Print);
    assert_eq!(Queue::opening(&station, &counts(0, 5)), Queue::Review);
    assert_eq!(Queue::opening(&coordinator, &counts(0, 5)), Queue::Returned);
    assert_eq!(
        kinds_to_apply(&coordinator),
        [CertificateKind::MigrantCertificate]
    );
    assert!(kinds_to_apply(&station).is_empty());
}

#[test]
fn one_open_application_and_one_document_held_of_a_kind() {
    use CertificateState::*;
    let card = CertificateKind::ReproductiveHealthCard;
    let birth = CertificateKind::BirthRegistration;
    let kind_error = |r: Result<(), FieldError>| r.unwrap_err().message;
    assert_eq!(
        may_apply(card, &[(1, Rejected), (2, Voided), (3, Revoked)]),
        Ok(())
    );
    assert_eq!(
        kind_error(may_apply(card, &[(1, Rejected), (4, Returned)])),
        "此人已有一份未办结的生殖保健服务证申请（第 4 号），请在原申请上继续办理"
    );
    assert_eq!(
        kind_error(may_apply(card, &[(5, Issued)])),
        "此人已持有有效的生殖保健服务证（第 5 号）；遗失或损坏的请办理补发"
    );
    // A birth registration for each child; still one open application at a time.
    assert_eq!(may_apply(birth, &[(5, Issued), (6, Issued)]), Ok(()));
    assert!(may_apply(birth, &[(5, Issued), (7, Applied)]).is_err());
}

#[test]
fn a_birth_registration_needs_the_health_data_and_administrators_reach_nothing() {
    let mut d = doc("applied");
    d.kind = CertificateKind::BirthRegistration;
    let h = holder();
    let reach = |role: Role| reaches(&Scope::new(1, role, code("340705")), &d, &h.data);
    assert!(reach(Role::Station));
    assert!(!reach(Role::Bureau), "the bureau sees no pregnancy");
    assert!(!reach(Role::MigrantCoordinator));
    assert!(!reach(Role::SystemAdmin));
    let resident = person(
        Sex::Female,
        MaritalStatus::Unmarried,
        PopulationType::Resident,
    );
    let mut card = doc("applied");
    card.kind = CertificateKind::ReproductiveHealthCard;
    let coordinator = Scope::new(1, Role::MigrantCoordinator, code("340705"));
    assert!(!reaches(&coordinator, &card, &resident.data));
    assert!(reaches(&coordinator, &card, &holder().data));
}
