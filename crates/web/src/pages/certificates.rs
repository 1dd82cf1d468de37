//! The certificates' pages: the work queues, the application form, a document with the actions
//! its state and the caller's role allow, printing (a PDF), and the public verify page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use renkou_core::certificate::{
    Application, AskedField, CheckOutcome, Queue, Step, Validity, VerifyCode,
};
use renkou_core::person::FieldError;
use renkou_core::{
    Action, CertificateKind, CertificateState, IdNumber, PersonId, PersonName, dates,
};
use renkou_store::{CertificateView, MAX_COPIES, StepInput};
use serde::Deserialize;

use super::persons::Choice;
use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, Source, today};
use crate::error::{AppError, local_time};
use crate::i18n::{Lang, T};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/certificates", get(queues))
        .route("/certificates/{id}", get(document))
        .route("/certificates/{id}/step", post(take_step))
        .route("/certificates/{id}/print", post(print))
        .route(
            "/persons/{id}/certificates/new",
            get(apply_form).post(apply_submit),
        )
        .route("/verify", get(verify_form))
        // The address printed on the paper, where the code is typed in.
        .route("/verify/", get(verify_form))
        .route("/verify/{code}", get(verify))
}

/// A kind's name in the reader's language.
pub fn kind_name(t: T, k: CertificateKind) -> &'static str {
    t.code(k.name_zh(), k.name_en())
}

fn state_name(t: T, s: CertificateState) -> &'static str {
    t.code(s.name_zh(), s.name_en())
}

/// "3 天 4 小时": how long from application to issue.
pub fn duration_text(t: T, seconds: i64) -> String {
    let days = seconds / 86_400;
    let hours = (seconds % 86_400) / 3_600;
    let minutes = (seconds % 3_600) / 60;
    if days > 0 {
        t.f("certificate.duration_days", &[&days, &hours])
    } else {
        t.f("certificate.duration_hours", &[&hours, &minutes])
    }
}

// ---------------------------------------------------------------------------------------------
// The queues

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    queue: Option<String>,
    kind: Option<String>,
    after: Option<i64>,
}

struct Tab {
    key: &'static str,
    label: &'static str,
    count: Option<u64>,
    active: bool,
}

struct QueueRow {
    id: i64,
    kind: &'static str,
    holder: String,
    state: String,
    serial: String,
    applied_at: String,
    area_code: String,
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct QueuePage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    queue: &'static str,
    kinds: Vec<Choice>,
    kind: String,
    rows: Vec<QueueRow>,
    next: Option<i64>,
}

const PAGE: u32 = 50;

async fn queues(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let t = caller.t();
    caller
        .require(&state, Action::ViewCertificates, "certificates")
        .await
        .or_page(t)?;
    // Each role opens on the queue that waits for it.
    let default = if caller.allows(Action::ReviewCertificate) {
        Queue::Review
    } else if caller.allows(Action::PrintCertificate) {
        Queue::Print
    } else {
        Queue::Returned
    };
    let queue = q
        .queue
        .as_deref()
        .and_then(Queue::from_key)
        .unwrap_or(default);
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(|k| CertificateKind::parse(k).ok());
    let actor = caller.actor.clone();
    let after = q.after;
    let (items, counts) = state
        .pool
        .run(move |s| {
            let items = s.certificates_for(&actor, queue, kind, after, PAGE)?;
            let counts = s.queue_counts(&actor)?;
            Ok((items, counts))
        })
        .await
        .or_page(t)?;
    let tabs = Queue::ALL
        .into_iter()
        .map(|qq| Tab {
            key: qq.key(),
            label: t.s(&format!("queue.{}", qq.key())),
            count: counts.iter().find(|(k, _)| *k == qq).map(|(_, n)| *n),
            active: qq == queue,
        })
        .collect();
    let next = (items.len() as u32 == PAGE)
        .then(|| items.last().map(|i| i.certificate.id))
        .flatten();
    let day = today(state.clock.now());
    let rows = items
        .into_iter()
        .map(|i| {
            let c = &i.certificate;
            let state = match c.validity_on(day) {
                Some(Validity::Expired) => t.s("validity.expired").to_string(),
                _ => state_name(t, c.state).to_string(),
            };
            QueueRow {
                id: c.id,
                kind: kind_name(t, c.kind),
                holder: i.holder_name,
                state,
                serial: c.serial.clone().unwrap_or_default(),
                applied_at: local_time(c.applied_at),
                area_code: c.area_code.to_string(),
            }
        })
        .collect();
    let kinds = CertificateKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.code().to_string(),
            label: kind_name(t, *k).to_string(),
        })
        .collect();
    Ok(render(QueuePage {
        chrome: Chrome::new(&caller, "/certificates", "/certificates"),
        tabs,
        queue: queue.key(),
        kinds,
        kind: kind.map(|k| k.code().to_string()).unwrap_or_default(),
        rows,
        next,
    }))
}

// ---------------------------------------------------------------------------------------------
// Applying

struct FormField {
    key: &'static str,
    label: &'static str,
    value: String,
    error: Option<String>,
    kind: &'static str,
}

#[derive(Template)]
#[template(path = "certificate_form.html")]
struct ApplyPage {
    chrome: Chrome,
    person_id: i64,
    name: String,
    kinds: Vec<Choice>,
    kind: String,
    kind_error: Option<String>,
    fields: Vec<FormField>,
    errors: usize,
}

/// The application's fields as a form posts them; `kind` decides which are kept.
pub fn application_from_fields(
    values: &BTreeMap<String, String>,
) -> Result<Application, Vec<FieldError>> {
    let get = |k: &str| values.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut errors = Vec::new();
    let mut app = Application::default();
    if let Some(v) = get("spouse_name") {
        match PersonName::parse(v) {
            Ok(n) => app.spouse_name = Some(n),
            Err(e) => errors.push(FieldError::new("spouse_name", e)),
        }
    }
    if let Some(v) = get("spouse_id_number") {
        match IdNumber::parse(v) {
            Ok(n) => app.spouse_id_number = Some(n),
            Err(e) => errors.push(FieldError::new("spouse_id_number", e)),
        }
    }
    if let Some(v) = get("expected_date") {
        match dates::parse_date(v) {
            Ok(d) => app.expected_date = Some(d),
            Err(e) => errors.push(FieldError::new("expected_date", e)),
        }
    }
    app.destination = get("destination").map(str::to_string);
    app.note = get("note").map(str::to_string);
    if errors.is_empty() {
        Ok(app)
    } else {
        Err(errors)
    }
}

const APPLICATION_KEYS: &[(&str, &str)] = &[
    ("spouse_name", "text"),
    ("spouse_id_number", "text"),
    ("expected_date", "date"),
    ("destination", "text"),
    ("note", "textarea"),
];

fn asked(kind: Option<CertificateKind>, key: &str) -> bool {
    let Some(kind) = kind else {
        return true;
    };
    let asks = kind.spec().asks;
    match key {
        "spouse_name" | "spouse_id_number" => asks.contains(&AskedField::Spouse),
        "expected_date" => asks.contains(&AskedField::ExpectedDate),
        "destination" => asks.contains(&AskedField::Destination),
        _ => true,
    }
}

fn field_rows(
    t: T,
    kind: Option<CertificateKind>,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> Vec<FormField> {
    APPLICATION_KEYS
        .iter()
        .filter(|(key, _)| asked(kind, key))
        .map(|(key, input)| {
            let mine: Vec<&str> = errors
                .iter()
                .filter(|e| e.field == *key)
                .map(|e| e.message.as_str())
                .collect();
            FormField {
                key,
                label: t.s(&format!("application.{key}")),
                value: values.get(*key).cloned().unwrap_or_default(),
                error: (!mine.is_empty()).then(|| mine.join("；")),
                kind: input,
            }
        })
        .collect()
}

fn apply_page(
    caller: &Caller,
    person_id: i64,
    name: String,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> Response {
    let t = caller.t();
    let kind = values
        .get("kind")
        .and_then(|k| CertificateKind::parse(k).ok());
    let kinds = CertificateKind::ALL
        .iter()
        .filter(|k| caller.allows(Action::ApplyCertificate(**k)))
        .map(|k| Choice {
            value: k.code().to_string(),
            label: kind_name(t, *k).to_string(),
        })
        .collect();
    let kind_errors: Vec<&str> = errors
        .iter()
        .filter(|e| !APPLICATION_KEYS.iter().any(|(k, _)| *k == e.field) || e.field == "kind")
        .map(|e| e.message.as_str())
        .collect();
    let mut res = render(ApplyPage {
        chrome: Chrome::new(
            caller,
            "/certificates",
            &format!("/persons/{person_id}/certificates/new"),
        ),
        person_id,
        name,
        kinds,
        kind: kind.map(|k| k.code().to_string()).unwrap_or_default(),
        kind_error: (!kind_errors.is_empty()).then(|| kind_errors.join("；")),
        fields: field_rows(t, None, values, errors),
        errors: errors.len(),
    });
    if !errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

#[derive(Debug, Default, Deserialize)]
struct KindQuery {
    kind: Option<String>,
}

async fn apply_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<KindQuery>,
) -> PageResult {
    let t = caller.t();
    if !CertificateKind::ALL
        .iter()
        .any(|k| caller.allows(Action::ApplyCertificate(*k)))
    {
        return Err(PageError(t, AppError::Forbidden));
    }
    let (person, _) = state
        .view_person(&caller.actor, PersonId(id))
        .await
        .or_page(t)?;
    let mut values = BTreeMap::new();
    if let Some(k) = q.kind {
        values.insert("kind".to_string(), k);
    }
    if let Some(dest) = &person.data.origin_or_destination {
        values.insert("destination".to_string(), dest.clone());
    }
    Ok(apply_page(
        &caller,
        id,
        person.data.name.as_str().to_string(),
        &values,
        &[],
    ))
}

async fn apply_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(values): Form<BTreeMap<String, String>>,
) -> PageResult {
    let t = caller.t();
    caller
        .check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))
        .or_page(t)?;
    let name = values.get("person_name").cloned().unwrap_or_default();
    let kind = match values.get("kind").map(|k| CertificateKind::parse(k)) {
        Some(Ok(k)) => k,
        Some(Err(e)) => {
            let errors = [FieldError::new("kind", e)];
            return Ok(apply_page(&caller, id, name, &values, &errors));
        }
        None => {
            let errors = [FieldError::new("kind", t.s("application.choose_kind"))];
            return Ok(apply_page(&caller, id, name, &values, &errors));
        }
    };
    let app = match application_from_fields(&values) {
        Ok(a) => a,
        Err(errors) => return Ok(apply_page(&caller, id, name, &values, &errors)),
    };
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    match state
        .pool
        .run(move |s| s.apply_certificate(&actor, PersonId(id), kind, app, day))
        .await
    {
        Ok(c) => Ok(Redirect::to(&format!("/certificates/{}", c.id)).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => Ok(apply_page(&caller, id, name, &values, &errors)),
            other => Err(PageError(t, other)),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// One document

struct Line {
    label: String,
    value: String,
}

struct CheckRow {
    outcome: &'static str,
    message: String,
}

struct StepRow {
    at: String,
    step: &'static str,
    by: String,
    note: String,
}

#[derive(Template)]
#[template(path = "certificate.html")]
struct DocumentPage {
    chrome: Chrome,
    id: i64,
    kind: &'static str,
    state: String,
    holder_id: i64,
    holder_name: String,
    lines: Vec<Line>,
    checks: Vec<CheckRow>,
    approvable: bool,
    steps: Vec<StepRow>,
    can_review: bool,
    can_resubmit: bool,
    resubmit_fields: Vec<FormField>,
    can_print: bool,
    can_deliver: bool,
    can_reissue_revoke: bool,
    verify_code: String,
    max_copies: u32,
    error: Option<String>,
}

async fn document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let t = caller.t();
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    let view = state
        .pool
        .run(move |s| s.certificate_for(&actor, id, day))
        .await
        .or_page(t)?;
    Ok(document_page(&caller, &view, day, None, &[]))
}

fn document_page(
    caller: &Caller,
    view: &CertificateView,
    day: jiff::civil::Date,
    error: Option<String>,
    field_errors: &[FieldError],
) -> Response {
    let t = caller.t();
    let c = &view.certificate;
    let validity = c.validity_on(day);
    let state = match validity {
        Some(Validity::Expired) => t.s("validity.expired").to_string(),
        _ => state_name(t, c.state).to_string(),
    };
    let mut lines = vec![Line {
        label: t.s("field.id_number").to_string(),
        value: view
            .holder
            .data
            .id_number
            .as_ref()
            .map(|i| i.masked())
            .unwrap_or_else(|| "—".into()),
    }];
    let mut add = |key: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            lines.push(Line {
                label: t.s(key).to_string(),
                value: v,
            });
        }
    };
    let a = &c.application;
    add(
        "application.spouse_name",
        a.spouse_name.as_ref().map(|n| n.as_str().to_string()),
    );
    add(
        "application.spouse_id_number",
        a.spouse_id_number.as_ref().map(|i| i.masked()),
    );
    add(
        "application.expected_date",
        a.expected_date.map(|d| d.to_string()),
    );
    add("application.destination", a.destination.clone());
    add("application.note", a.note.clone());
    add("certificate.serial", c.serial.clone());
    add("certificate.issued_on", c.issued_on.map(|d| d.to_string()));
    if c.issued_on.is_some() {
        add(
            "certificate.valid_until",
            Some(
                c.valid_until
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| t.s("certificate.no_expiry").to_string()),
            ),
        );
    }
    add(
        "certificate.processing",
        c.processing_seconds.map(|s| duration_text(t, s)),
    );
    add(
        "certificate.copies_printed",
        (c.copies_printed > 0).then(|| c.copies_printed.to_string()),
    );
    add(
        "certificate.delivered",
        c.delivered.then(|| t.s("yes").to_string()),
    );
    add("certificate.reason", c.reason.clone());
    add("certificate.replaces", view.replaces_serial.clone());
    let checks: Vec<CheckRow> = view
        .checks
        .iter()
        .map(|ch| CheckRow {
            outcome: match ch.outcome {
                CheckOutcome::Passed => "passed",
                CheckOutcome::Note => "note",
                CheckOutcome::Missing => "missing",
            },
            message: ch.message.clone(),
        })
        .collect();
    let issued_valid = validity == Some(Validity::Valid);
    let mut values = BTreeMap::new();
    if let Some(n) = &a.spouse_name {
        values.insert("spouse_name".to_string(), n.as_str().to_string());
    }
    if let Some(i) = &a.spouse_id_number {
        values.insert("spouse_id_number".to_string(), i.as_str().to_string());
    }
    if let Some(d) = a.expected_date {
        values.insert("expected_date".to_string(), d.to_string());
    }
    if let Some(d) = &a.destination {
        values.insert("destination".to_string(), d.clone());
    }
    let mut res = render(DocumentPage {
        chrome: Chrome::new(caller, "/certificates", &format!("/certificates/{}", c.id)),
        id: c.id,
        kind: kind_name(t, c.kind),
        state,
        holder_id: view.holder.id.0,
        holder_name: view.holder.data.name.as_str().to_string(),
        lines,
        approvable: renkou_core::certificate::approvable(&view.checks),
        checks,
        steps: view
            .steps
            .iter()
            .map(|s| StepRow {
                at: local_time(s.at),
                step: step_name(t, s.step),
                by: s.username.clone(),
                note: s.note.clone().unwrap_or_default(),
            })
            .collect(),
        can_review: c.state == CertificateState::Applied
            && caller.allows(Action::ReviewCertificate),
        can_resubmit: c.state == CertificateState::Returned
            && caller.allows(Action::ApplyCertificate(c.kind)),
        resubmit_fields: field_rows(t, Some(c.kind), &values, field_errors),
        can_print: issued_valid && caller.allows(Action::PrintCertificate),
        can_deliver: issued_valid
            && c.copies_printed > 0
            && !c.delivered
            && caller.allows(Action::PrintCertificate),
        can_reissue_revoke: issued_valid && caller.allows(Action::ReissueOrRevokeCertificate),
        verify_code: c
            .verify_code
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_default(),
        max_copies: MAX_COPIES,
        error,
    });
    if !field_errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

pub fn step_name(t: T, s: Step) -> &'static str {
    t.s(&format!("step.{}", s.key()))
}

async fn take_step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(values): Form<BTreeMap<String, String>>,
) -> PageResult {
    let t = caller.t();
    caller
        .check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))
        .or_page(t)?;
    let step = values
        .get("step")
        .and_then(|s| Step::from_key(s))
        .filter(|s| *s != Step::Apply && *s != Step::Print)
        .ok_or_else(|| AppError::BadRequest(t.s("certificate.unknown_step").into()))
        .or_page(t)?;
    let application = if step == Step::Resubmit {
        match application_from_fields(&values) {
            Ok(a) => Some(a),
            Err(errors) => return reshow(&state, &caller, id, None, &errors).await,
        }
    } else {
        None
    };
    let input = StepInput {
        reason: values.get("reason").cloned(),
        copies: None,
        application,
    };
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    match state
        .pool
        .run(move |s| s.certificate_step(&actor, id, step, input, day))
        .await
    {
        // A reissue leads to the new document.
        Ok(c) => Ok(Redirect::to(&format!("/certificates/{}", c.id)).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                let message = messages(&errors);
                let shown: Vec<FieldError> = errors
                    .into_iter()
                    .filter(|e| APPLICATION_KEYS.iter().any(|(k, _)| *k == e.field))
                    .collect();
                reshow(&state, &caller, id, Some(message), &shown).await
            }
            other => Err(PageError(t, other)),
        },
    }
}

/// Every problem in one line, for the top of the document page.
fn messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("；")
}

/// The document again, with what went wrong at the top (and beside the fields).
async fn reshow(
    state: &AppState,
    caller: &Caller,
    id: i64,
    error: Option<String>,
    field_errors: &[FieldError],
) -> PageResult {
    let t = caller.t();
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    let view = state
        .pool
        .run(move |s| s.certificate_for(&actor, id, day))
        .await
        .or_page(t)?;
    let error = error.or_else(|| Some(t.s("error.invalid_input").to_string()));
    let mut res = document_page(caller, &view, day, error, field_errors);
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Printing

async fn print(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(values): Form<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let t = caller.t();
    caller
        .check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))
        .or_page(t)?;
    let copies = values
        .get("copies")
        .map(|c| c.trim().parse::<u32>())
        .unwrap_or(Ok(1))
        .unwrap_or(0);
    match crate::printing::print(&state, &caller.actor, id, copies).await {
        Ok((serial, pdf)) => Ok(crate::printing::pdf_response(&serial, pdf)),
        Err(AppError::Invalid(errors)) => {
            let message = messages(&errors);
            reshow(&state, &caller, id, Some(message), &[]).await
        }
        Err(e) => Err(PageError(t, e)),
    }
}

// ---------------------------------------------------------------------------------------------
// The public verify page

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    t: T,
    code: String,
    /// None: nothing asked yet; Some(None): no such document.
    found: Option<Option<VerifyResult>>,
    throttled: bool,
}

struct VerifyResult {
    validity: &'static str,
    status: &'static str,
    kind: &'static str,
    serial: String,
    name: String,
    issued_on: String,
    valid_until: String,
}

#[derive(Debug, Default, Deserialize)]
struct CodeQuery {
    code: Option<String>,
}

async fn verify_form(Query(q): Query<CodeQuery>, headers: HeaderMap) -> Response {
    match q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let code: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            Redirect::to(&format!("/verify/{code}")).into_response()
        }
        None => render(VerifyPage {
            t: T::new(lang_of(&headers)),
            code: String::new(),
            found: None,
            throttled: false,
        }),
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_cookie(crate::auth::cookie_in(headers, crate::auth::LANG_COOKIE))
}

/// Anyone may check a paper: valid, expired, revoked or void, and just enough to match it
/// (kind, serial, a masked name, dates). Rate limited per source, and overall.
async fn verify(
    State(state): State<AppState>,
    Source(from): Source,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let t = T::new(lang_of(&headers));
    if !state.verify_throttle.allow(&from, "verify") {
        let mut res = render(VerifyPage {
            t,
            code: code.clone(),
            found: None,
            throttled: true,
        });
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return res;
    }
    let day = today(state.clock.now());
    let found = match VerifyCode::parse(&code) {
        Some(c) => state
            .pool
            .run(move |s| s.verify_certificate(&c, day))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "verify lookup failed");
                None
            }),
        None => None,
    };
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let found = found.map(|d| VerifyResult {
        validity: d.validity.key(),
        status: t.s(&format!("validity.{}", d.validity.key())),
        kind: kind_name(t, d.kind),
        serial: d.serial,
        name: d.masked_name,
        issued_on: d.issued_on.to_string(),
        valid_until: d
            .valid_until
            .map(|v| v.to_string())
            .unwrap_or_else(|| t.s("certificate.no_expiry").to_string()),
    });
    let mut res = render(VerifyPage {
        t,
        code,
        found: Some(found),
        throttled: false,
    });
    *res.status_mut() = status;
    res
}
