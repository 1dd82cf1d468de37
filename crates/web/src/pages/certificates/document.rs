//! One document: its page with the steps its state and the caller's role allow (as core's
//! rules offer them), taking a step, and printing it (a PDF).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkou_core::certificate::{self, CheckOutcome, Step, Validity};
use renkou_core::person::FieldError;
use renkou_store::{CertificateView, MAX_COPIES, StepInput};

use super::apply::{APPLICATION_KEYS, FormField, application_from_fields, field_rows};
use super::confirm_step::{confirm_page, done_message, is_weighty};
use super::{duration_text, kind_name, state_name, step_name};
use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::{AppError, local_time};
use crate::pages::confirm::confirmed;
use crate::pages::{Chrome, OrPage, PageError, PageResult, redirect_with_message, render};

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
    can_withdraw: bool,
    verify_code: String,
    max_copies: u32,
    error: Option<String>,
}

pub(super) async fn document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let t = caller.t();
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    let view = state
        .pool
        .run(move |s| s.certificate_as(&actor, id, day))
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
        Some(Validity::Expired) => t.text("validity.expired").to_string(),
        _ => state_name(t, c.state).to_string(),
    };
    let mut lines = vec![Line {
        label: t.text("field.id_number").to_string(),
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
                label: t.text(key).to_string(),
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
                    .unwrap_or_else(|| t.text("certificate.no_expiry").to_string()),
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
        c.delivered.then(|| t.text("yes").to_string()),
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
    // The steps offered are those core's rules allow this caller on this document.
    let offers = |step: Step| certificate::offers(c, step, caller.scope(), day);
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
        approvable: certificate::approvable(&view.checks),
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
        can_review: offers(Step::Issue),
        can_resubmit: offers(Step::Resubmit),
        resubmit_fields: field_rows(t, Some(c.kind), &values, field_errors),
        can_print: offers(Step::Print),
        can_deliver: offers(Step::Deliver),
        can_reissue_revoke: offers(Step::Reissue),
        can_withdraw: offers(Step::Withdraw),
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

pub(super) async fn take_step(
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
        .ok_or_else(|| AppError::BadRequest(t.text("certificate.unknown_step").into()))
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
    if is_weighty(step) && !confirmed(&values) {
        return ask_first(&state, &caller, id, step, &input, &values).await;
    }
    let actor = caller.actor.clone();
    match state
        .pool
        .run(move |s| s.certificate_step(&actor, id, step, input, day))
        .await
    {
        // A reissue leads to the new document.
        Ok(c) => Ok(redirect_with_message(
            &format!("/certificates/{}", c.id),
            done_message(t, step, &c),
        )),
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

/// The confirmation of an issue, a revocation or a reissue; what core refuses before the
/// document is read (a reason missing), and an issue the checks do not allow, come back on the
/// document instead, so nobody confirms a step that will be refused.
async fn ask_first(
    state: &AppState,
    caller: &Caller,
    id: i64,
    step: Step,
    input: &StepInput,
    values: &BTreeMap<String, String>,
) -> PageResult {
    let t = caller.t();
    match certificate::admit(caller.scope(), step, input) {
        Ok(_) => {}
        Err(certificate::Refusal::Invalid(errors)) => {
            return reshow(state, caller, id, Some(messages(&errors)), &[]).await;
        }
        // Not this role's step: the store refuses it whatever the document, and audits that.
        Err(_) => {
            let (actor, input) = (caller.actor.clone(), input.clone());
            let day = today(state.clock.now());
            let refused = state
                .pool
                .run(move |s| s.certificate_step(&actor, id, step, input, day))
                .await
                .err()
                .map(AppError::from)
                .unwrap_or(AppError::Forbidden);
            return Err(PageError(t, refused));
        }
    }
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    let view = state
        .pool
        .run(move |s| s.certificate_as(&actor, id, day))
        .await
        .or_page(t)?;
    let c = &view.certificate;
    if !certificate::offers(c, step, caller.scope(), day) {
        let said = t.fill(
            "certificate.cannot_step",
            &[&state_name(t, c.state), &step_name(t, step)],
        );
        return reshow(state, caller, id, Some(said), &[]).await;
    }
    if step == Step::Issue && !certificate::approvable(&view.checks) {
        let missing: Vec<&str> = view
            .checks
            .iter()
            .filter(|c| c.outcome == CheckOutcome::Missing)
            .map(|c| c.message.as_str())
            .collect();
        let said = t.fill_one("certificate.not_approvable", missing.join("；"));
        return reshow(state, caller, id, Some(said), &[]).await;
    }
    Ok(confirm_page(caller, &view, step, values, day))
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
        .run(move |s| s.certificate_as(&actor, id, day))
        .await
        .or_page(t)?;
    let error = error.or_else(|| Some(t.text("error.invalid_input").to_string()));
    let mut res = document_page(caller, &view, day, error, field_errors);
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Printing

pub(super) async fn print(
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
