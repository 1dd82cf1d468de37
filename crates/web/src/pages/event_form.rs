//! One form per kind of event: the page first offers the kinds this account may record for
//! this person, then asks only what the chosen kind needs (a birth: the child's name, sex,
//! weight in grams, order, defects; a move: where to). Every problem comes back in one round;
//! a move out of the city or a death asks once to confirm, showing what will change; a saved
//! event says what was recorded.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use renkou_core::event::{self, EventField};
use renkou_core::person::FieldError;
use renkou_core::{
    Action, AreaLevel, ContraceptionMethod, EventKind, Person, PersonId, PregnancyOutcome, Sex,
};
use serde::Deserialize;

use super::confirm::{ConfirmPage, confirmed};
use super::form::{FormField, Input, SummaryLine, place_errors};
use super::persons::Choice;
use super::{Chrome, OrPage, PageError, PageResult, redirect_with_message, render};
use crate::AppState;
use crate::areas::AreaNames;
use crate::auth::{Caller, today};
use crate::error::AppError;
use crate::forms::event_from_fields;
use crate::i18n::Catalog;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/persons/{id}/events/new",
        get(event_form).post(event_submit),
    )
}

/// A kind of event the chooser offers.
struct KindLink {
    code: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "event_form.html")]
struct EventFormPage {
    chrome: Chrome,
    id: i64,
    name: String,
    /// The chosen kind, or None while choosing.
    kind: Option<KindLink>,
    kinds: Vec<KindLink>,
    fields: Vec<FormField>,
    summary: Vec<SummaryLine>,
    hint: Option<String>,
}

pub fn kind_label(t: Catalog, k: EventKind) -> String {
    t.code(k.name_zh(), k.name_en()).to_string()
}

/// The kinds this account may record for this person now.
fn offered(caller: &Caller, person: &Person) -> Vec<EventKind> {
    EventKind::ALL
        .iter()
        .copied()
        .filter(|k| caller.allows(Action::RecordEvent(*k)) && event::possible_for(*k, person))
        .collect()
}

fn choices_of<T: Copy>(
    t: Catalog,
    all: &[T],
    f: impl Fn(T) -> (&'static str, &'static str, &'static str),
) -> Vec<Choice> {
    all.iter()
        .map(|v| {
            let (code, zh, en) = f(*v);
            Choice {
                value: code.to_string(),
                label: t.code(zh, en).to_string(),
            }
        })
        .collect()
}

/// Where a move may lead: the account's committees and groups, and for a move out every
/// committee of the city (a family moving to another community).
fn destinations(names: &AreaNames, caller: &Caller, kind: EventKind) -> Vec<Choice> {
    let city = renkou_core::AreaCode::parse(&caller.account.area.as_str()[..6]).ok();
    let mut out: Vec<Choice> = Vec::new();
    let mut add = |a: &renkou_core::Area| {
        if !out.iter().any(|c| c.value == a.code.as_str()) {
            out.push(Choice {
                value: a.code.to_string(),
                label: format!("{}（{}）", names.label(&a.code), a.code),
            });
        }
    };
    for a in names.within(&caller.account.area) {
        if matches!(a.level(), AreaLevel::Committee | AreaLevel::Group) {
            add(a);
        }
    }
    if kind == EventKind::MoveOut
        && let Some(city) = city
    {
        for a in names.within(&city) {
            if a.level() == AreaLevel::Committee {
                add(a);
            }
        }
    }
    out
}

fn field_for(
    t: Catalog,
    names: &AreaNames,
    caller: &Caller,
    kind: EventKind,
    f: EventField,
    values: &BTreeMap<String, String>,
) -> FormField {
    let value = values.get(f.key).cloned().unwrap_or_default();
    let label = match (kind, f.key) {
        (EventKind::MoveOut, "note") => t.text("event_field.destination"),
        (EventKind::MoveOut, "to_area_code") => t.text("event_field.move_within"),
        (EventKind::Correction, "note") => t.text("event_field.correction_reason"),
        (_, key) => t.text(&format!("event_field.{key}")),
    };
    let (input, choices) = match f.key {
        "method" => (
            Input::Select,
            choices_of(t, ContraceptionMethod::ALL, |m| {
                (m.code(), m.name_zh(), m.name_en())
            }),
        ),
        "outcome" => (
            Input::Select,
            choices_of(t, PregnancyOutcome::ALL, |m| {
                (m.code(), m.name_zh(), m.name_en())
            }),
        ),
        "child_sex" => (
            Input::Select,
            choices_of(t, Sex::ALL, |m| (m.code(), m.name_zh(), m.name_en())),
        ),
        "birth_defect" => (
            Input::Select,
            vec![
                Choice {
                    value: "否".into(),
                    label: t.text("no").into(),
                },
                Choice {
                    value: "是".into(),
                    label: t.text("yes").into(),
                },
            ],
        ),
        "to_area_code" => (Input::Area, destinations(names, caller, kind)),
        "birth_weight_g" | "birth_order" => (Input::Number, Vec::new()),
        _ => (Input::Text, Vec::new()),
    };
    let mut field = FormField::new(f.key, label, input)
        .required(f.required)
        .value(value)
        .choices(choices);
    let hint = match (kind, f.key) {
        (_, "birth_weight_g") => Some("event_hint.birth_weight_g"),
        (_, "birth_order") => Some("event_hint.birth_order"),
        (_, "spouse_id_number") => Some("event_hint.spouse_id_number"),
        (EventKind::MoveOut, "note") => Some("event_hint.destination"),
        (EventKind::MoveOut, "to_area_code") => Some("event_hint.move_within"),
        (EventKind::Correction, "note") => Some("event_hint.correction_reason"),
        _ => None,
    };
    if let Some(h) = hint {
        field = field.hint(t.text(h));
    }
    if f.key == "note" {
        field = field.wide();
    }
    field
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    caller: &Caller,
    person: &Person,
    kind: Option<EventKind>,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> PageResult {
    let t = caller.t();
    let id = person.id.0;
    let offered = offered(caller, person);
    let kind = kind.filter(|k| offered.contains(k));
    let names = state.area_names().await.or_page(t)?;
    let mut fields = Vec::new();
    if let Some(k) = kind {
        let day = today(state.clock.now());
        fields.push(
            FormField::new("date", t.text("event_field.date"), Input::Date)
                .required(true)
                .value(values.get("date").cloned().unwrap_or_default())
                .date_placeholder(t)
                .hint(t.fill("event_hint.date", &[&day])),
        );
        for f in event::fields_of(k) {
            fields.push(field_for(t, &names, caller, k, *f, values));
        }
    }
    let summary = place_errors(&mut fields, errors, Some("date"));
    let here = format!("/persons/{id}/events/new");
    let mut res = render(EventFormPage {
        chrome: Chrome::new(caller, "/persons", &here),
        id,
        name: person.data.name.as_str().to_string(),
        kind: kind.map(|k| KindLink {
            code: k.code(),
            label: kind_label(t, k),
        }),
        kinds: offered
            .iter()
            .map(|k| KindLink {
                code: k.code(),
                label: kind_label(t, *k),
            })
            .collect(),
        fields,
        summary,
        hint: kind.map(|k| t.text(&format!("event_about.{}", k.code())).to_string()),
    });
    if !errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

#[derive(Deserialize)]
struct KindQuery {
    kind: Option<String>,
}

async fn event_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<KindQuery>,
) -> PageResult {
    let t = caller.t();
    let (person, _) = state
        .view_person(&caller.actor, PersonId(id))
        .await
        .or_page(t)?;
    let kind = q.kind.as_deref().and_then(|k| EventKind::parse(k).ok());
    page(&state, &caller, &person, kind, &BTreeMap::new(), &[]).await
}

/// Fields the kind needs that were left empty: found with the format errors, so that the
/// form shows both at once.
fn missing(kind: EventKind, values: &BTreeMap<String, String>, t: Catalog) -> Vec<FieldError> {
    event::fields_of(kind)
        .iter()
        .filter(|f| f.required && values.get(f.key).is_none_or(|v| v.trim().is_empty()))
        .map(|f| {
            FieldError::new(
                f.key,
                t.fill_one("form.required", t.text(&format!("event_field.{}", f.key))),
            )
        })
        .collect()
}

async fn event_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(mut values): Form<BTreeMap<String, String>>,
) -> PageResult {
    let t = caller.t();
    caller
        .check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))
        .or_page(t)?;
    let (person, _) = state
        .view_person(&caller.actor, PersonId(id))
        .await
        .or_page(t)?;
    let kind = values
        .get("event")
        .and_then(|k| EventKind::parse(k).ok())
        .filter(|k| offered(&caller, &person).contains(k));
    let Some(kind) = kind else {
        return page(&state, &caller, &person, None, &values, &[]).await;
    };
    // Only the kind's own fields are read: a value left in a hidden field of another kind
    // must not ride along.
    let own: Vec<&str> = event::fields_of(kind).iter().map(|f| f.key).collect();
    values.retain(|k, _| {
        own.contains(&k.as_str()) || matches!(k.as_str(), "csrf" | "event" | "date" | "confirmed")
    });
    let day = today(state.clock.now());
    let ev = match event_from_fields(&values) {
        Ok(ev) => ev,
        Err(mut errors) => {
            for e in missing(kind, &values, t) {
                if !errors.iter().any(|x| x.field == e.field) {
                    errors.push(e);
                }
            }
            return page(&state, &caller, &person, Some(kind), &values, &errors).await;
        }
    };
    if event::is_weighty(kind) && !confirmed(&values) {
        // What will change, as core's rule says; its refusals come back on the form.
        return match event::apply(&person, ev.clone(), None, 0, day) {
            Err(errors) => page(&state, &caller, &person, Some(kind), &values, &errors).await,
            Ok(outcome) => Ok(confirm_page(&caller, &person, kind, &ev, &outcome, &values)),
        };
    }
    let actor = caller.actor.clone();
    let (on, label) = (ev.occurred_on, kind_label(t, kind));
    match state
        .pool
        .run(move |s| s.record_event_as(&actor, PersonId(id), ev, day))
        .await
        .inspect(|_| state.summaries.clear())
    {
        Ok(_) => Ok(redirect_with_message(
            &format!("/persons/{id}"),
            t.fill("event.saved", &[&label, &on]),
        )),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                page(&state, &caller, &person, Some(kind), &values, &errors).await
            }
            other => Err(PageError(t, other)),
        },
    }
}

fn confirm_page(
    caller: &Caller,
    person: &Person,
    kind: EventKind,
    ev: &renkou_core::NewEvent,
    outcome: &event::Outcome,
    values: &BTreeMap<String, String>,
) -> Response {
    let t = caller.t();
    let id = person.id.0;
    let action = format!("/persons/{id}/events/new");
    let label = kind_label(t, kind);
    let mut page = ConfirmPage::new(
        Chrome::new(caller, "/persons", &action),
        t.fill("event.confirm_title", &[&label, &person.data.name.as_str()]),
        t.fill("event.confirm_intro", &[&label, &ev.occurred_on]),
        action.clone(),
    )
    .confirm_label(t.fill_one("event.confirm_yes", &label))
    .back(format!("/persons/{id}/events/new?kind={}", kind.code()))
    .hidden(values.iter())
    .danger();
    for c in event::changes_between(person, &outcome.person) {
        let name = match c.field.as_str() {
            "status" => t.text("field.status"),
            other => t.text(&format!("field.{other}")),
        };
        page = page.change(name, c.before, c.after);
    }
    page.render()
}
