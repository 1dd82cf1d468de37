//! Applying: the application form of a person's page, and what it posts.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use renkou_core::certificate::{self, Application, AskedField};
use renkou_core::person::FieldError;
use renkou_core::{CertificateKind, IdNumber, PersonId, PersonName, dates};
use serde::Deserialize;

use super::kind_name;
use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::AppError;
use crate::i18n::Catalog;
use crate::pages::persons::Choice;
use crate::pages::{Chrome, OrPage, PageError, PageResult, redirect_with_message, render};

pub(super) struct FormField {
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) value: String,
    pub(super) error: Option<String>,
    pub(super) kind: &'static str,
    /// The kinds that ask this field (space-separated codes), for the form's kind switch.
    pub(super) kinds: String,
    /// Not asked by the kind chosen: hidden until another kind is chosen.
    pub(super) hidden: bool,
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
    /// The review's checks that would fail on the register as it is, shown before submitting.
    warnings: Vec<String>,
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

pub(super) const APPLICATION_KEYS: &[(&str, &str)] = &[
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

pub(super) fn field_rows(
    t: Catalog,
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
                label: t.text(&format!("application.{key}")),
                value: values.get(*key).cloned().unwrap_or_default(),
                error: (!mine.is_empty()).then(|| mine.join("；")),
                kind: input,
                kinds: CertificateKind::ALL
                    .iter()
                    .filter(|k| asked(Some(**k), key))
                    .map(|k| k.code())
                    .collect::<Vec<_>>()
                    .join(" "),
                hidden: false,
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
    warnings: Vec<String>,
) -> Response {
    let t = caller.t();
    let kind = values
        .get("kind")
        .and_then(|k| CertificateKind::parse(k).ok());
    let kinds = certificate::kinds_to_apply(caller.scope())
        .into_iter()
        .map(|k| Choice {
            value: k.code().to_string(),
            label: kind_name(t, k).to_string(),
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
        // Every field, those the chosen kind does not ask hidden: app.js shows a kind's own
        // when the kind is switched; without JavaScript the server keeps only the kind's.
        fields: field_rows(t, None, values, errors)
            .into_iter()
            .map(|mut f| {
                f.hidden = kind.is_some_and(|k| !asked(Some(k), f.key));
                f
            })
            .collect(),
        errors: errors.len(),
        warnings,
    });
    if !errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct KindQuery {
    kind: Option<String>,
}

pub(super) async fn apply_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<KindQuery>,
) -> PageResult {
    let t = caller.t();
    if certificate::kinds_to_apply(caller.scope()).is_empty() {
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
    let warnings = warnings(&state, &caller, id, &values).await.or_page(t)?;
    Ok(apply_page(
        &caller,
        id,
        person.data.name.as_str().to_string(),
        &values,
        &[],
        warnings,
    ))
}

/// The checks the review would not pass for the kind chosen and what is typed so far: the
/// applicant hears at the window that the spouse must be named, or that a 流入 person applies
/// at home, instead of a return days later.
async fn warnings(
    state: &AppState,
    caller: &Caller,
    id: i64,
    values: &BTreeMap<String, String>,
) -> Result<Vec<String>, AppError> {
    let Some(kind) = values
        .get("kind")
        .and_then(|k| CertificateKind::parse(k).ok())
        .filter(|k| caller.allows(renkou_core::Action::ApplyCertificate(*k)))
    else {
        return Ok(Vec::new());
    };
    let day = today(state.clock.now());
    // What is typed and can be read; the rest is the form's own errors.
    let app = application_from_fields(values).unwrap_or_default();
    let app = app.clone().for_kind(kind, day).unwrap_or(app);
    let actor = caller.actor.clone();
    let checks = state
        .pool
        .run(move |s| s.application_checks(&actor, PersonId(id), kind, &app, day))
        .await?;
    Ok(checks
        .into_iter()
        .filter(|c| c.outcome == certificate::CheckOutcome::Missing)
        .map(|c| caller.t().message(&c.message))
        .collect())
}

pub(super) async fn apply_submit(
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
            return Ok(apply_page(&caller, id, name, &values, &errors, Vec::new()));
        }
        None => {
            let errors = [FieldError::new("kind", t.text("application.choose_kind"))];
            return Ok(apply_page(&caller, id, name, &values, &errors, Vec::new()));
        }
    };
    let app = match application_from_fields(&values) {
        Ok(a) => a,
        Err(errors) => return Ok(apply_page(&caller, id, name, &values, &errors, Vec::new())),
    };
    let day = today(state.clock.now());
    let actor = caller.actor.clone();
    match state
        .pool
        .run(move |s| s.apply_certificate(&actor, PersonId(id), kind, app, day))
        .await
    {
        Ok(c) => Ok(redirect_with_message(
            &format!("/certificates/{}", c.id),
            t.fill_one("certificate.done.apply", kind_name(t, c.kind)),
        )),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                let warnings = warnings(&state, &caller, id, &values).await.or_page(t)?;
                Ok(apply_page(&caller, id, name, &values, &errors, warnings))
            }
            other => Err(PageError(t, other)),
        },
    }
}
