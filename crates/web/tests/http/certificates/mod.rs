//! The certificates of issue 4 as the people using them notice: who may apply for which
//! document, who reviews, issues, prints, delivers, reissues and revokes it (every role, in its
//! own area and a sibling's), the review's explanations, the pages, the printed PDF as its text
//! reads, and the public verify page with its rate limit.
//!
//! The role × step matrix takes its expectations from core's role table (`role_allows`) and
//! area rule (`Scope::covers`); `pinned_cells` writes a few of them out by hand so that a broken
//! table cannot make the derived matrix pass vacuously.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use axum::http::{StatusCode, header};
use jiff::SignedDuration;
use renkou_core::access::role_allows;
use renkou_core::account::Account;
use renkou_core::audit::AuditRow;
use renkou_core::certificate::{Application, Certificate, Step};
use renkou_core::{Action, Actor, CertificateKind, PersonData, PersonName, Role, Scope};
use renkou_store::{AuditFilter, StepInput};
use serde_json::{Value, json};

mod access;
mod confirmations;
mod matrix;
mod pages;
mod print;
mod queues;
mod review;
mod verify;
mod warnings;

const RH: CertificateKind = CertificateKind::ReproductiveHealthCard;
const BR: CertificateKind = CertificateKind::BirthRegistration;
const MIGRANT: CertificateKind = CertificateKind::MigrantCertificate;

/// A certificate id no test creates.
const MISSING_ID: i64 = 9_999_999;

// ---------------------------------------------------------------------------------------------
// Setting up, directly on the store: what a test is not about.

/// An account acting on the store directly, for setup.
fn actor(account: &Account) -> Actor {
    Actor {
        scope: TestApp::scope_of(account),
        username: account.username.as_str().to_string(),
        source: "test-setup".to_string(),
    }
}

/// A woman who may hold this kind of document: for a birth registration married (her husband
/// is not on this register), for the migrant certificate registered here and gone to work
/// elsewhere (流出), so that a migrant coordinator serves her too.
fn holder_spec(app: &TestApp, kind: CertificateKind, name: &str, area: &str) -> PersonSpec {
    let spec = app.woman(name, area);
    match kind {
        CertificateKind::ReproductiveHealthCard => spec,
        CertificateKind::BirthRegistration => spec.married(),
        CertificateKind::MigrantCertificate => spec
            .set("population_type", "migrant_out")
            .set("leaving_date", "2025-06-01")
            .set("origin_or_destination", "广东省深圳市"),
    }
}

/// A complete application of this kind (a birth registration names the spouse).
fn application(kind: CertificateKind) -> Application {
    let mut app = Application::default();
    match kind {
        CertificateKind::BirthRegistration => {
            app.spouse_name = Some(PersonName::parse("张伟").unwrap());
        }
        CertificateKind::MigrantCertificate => app.destination = Some("广东省深圳市".into()),
        CertificateKind::ReproductiveHealthCard => {}
    }
    app
}

/// The same application as the API takes it.
fn apply_body(person_id: i64, kind: CertificateKind) -> Value {
    let mut body = json!({"person_id": person_id, "kind": kind.code()});
    match kind {
        CertificateKind::BirthRegistration => body["spouse_name"] = json!("张伟"),
        CertificateKind::MigrantCertificate => body["destination"] = json!("广东省深圳市"),
        CertificateKind::ReproductiveHealthCard => {}
    }
    body
}

fn setup_apply(app: &TestApp, who: &Actor, person: &Added, kind: CertificateKind) -> i64 {
    let (a, id) = (who.clone(), person.id);
    app.with_db(move |s| s.apply_certificate(&a, id, kind, application(kind), today()))
        .unwrap_or_else(|e| panic!("setup: {} applies for {kind:?}: {e}", who.username))
        .id
}

fn setup_step(app: &TestApp, who: &Actor, id: i64, step: Step, input: StepInput) -> Certificate {
    let a = who.clone();
    app.with_db(move |s| s.certificate_step(&a, id, step, input, today()))
        .unwrap_or_else(|e| panic!("setup: {} takes step {step} on {id}: {e}", who.username))
}

fn reason(text: &str) -> StepInput {
    StepInput {
        reason: Some(text.to_string()),
        ..StepInput::default()
    }
}

fn printed(copies: u32) -> StepInput {
    StepInput {
        copies: Some(copies),
        ..StepInput::default()
    }
}

fn doc_path(id: i64) -> String {
    format!("/api/v1/certificates/{id}")
}

fn steps_path(id: i64) -> String {
    format!("/api/v1/certificates/{id}/steps")
}

fn print_path(id: i64) -> String {
    format!("/api/v1/certificates/{id}/print")
}

fn step_body(step: &str) -> Value {
    if Step::from_key(step).is_some_and(Step::needs_reason) {
        json!({"step": step, "reason": "测试：材料需要核对"})
    } else {
        json!({"step": step})
    }
}

/// Denied rows written after `mark`.
fn denied_after(app: &TestApp, mark: i64) -> Vec<AuditRow> {
    app.audit_after(mark)
        .into_iter()
        .filter(|r| r.result == "denied")
        .collect()
}

/// Whether an account reaches a document of this kind held by this person: the person is among
/// its people, and a birth registration (it tells of a pregnancy) needs the health data.
fn reaches(scope: &Scope, kind: CertificateKind, holder: &PersonData) -> bool {
    scope.covers(holder)
        && (kind != CertificateKind::BirthRegistration || scope.allows(Action::ViewHealth))
}

async fn all_listed(app: &TestApp, token: &str) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/certificates?queue=all&limit=200&after={a}"),
            None => "/api/v1/certificates?queue=all&limit=200".to_string(),
        };
        let res = app.send(get(&path).bearer(token)).await;
        assert_eq!(res.status, StatusCode::OK, "{res}");
        let page = res.json();
        for item in page["items"].as_array().expect("items") {
            ids.insert(item["id"].as_i64().expect("an id"));
        }
        match page["next_after"].as_i64() {
            Some(a) => after = Some(a),
            None => return ids,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Printing.

/// The text of a PDF as `pdftotext` reads it.
fn pdf_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paper.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = match std::process::Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "pdftotext is needed to read the printed certificates: install poppler-utils \
             (Debian/Ubuntu: apt-get install -y poppler-utils)"
        ),
        Err(e) => panic!("pdftotext: {e}"),
    };
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// The text without its spaces and line breaks (a paper lays names out in cells).
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn content_type(res: &Resp) -> &str {
    res.headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
