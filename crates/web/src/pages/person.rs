//! A person's page (the whole record: an audited view) and the household. The event forms are
//! `event_form.rs`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use renkou_core::record::PERSON_COLUMNS;
use renkou_core::{Action, CertificateKind, Event, EventKind, Person, PersonId, Sex};

use super::certificates::{kind_name, step_name};
use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::{AppError, local_time};
use crate::forms::{PersonSummary, shown_fields};
use crate::i18n::Catalog;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/persons/{id}", get(record))
        .route("/households/{household_no}", get(household))
}

struct Shown {
    label: &'static str,
    value: String,
}

struct TimelineRow {
    kind: String,
    occurred_on: String,
    recorded_at: String,
    recorded_by: String,
    detail: String,
    late_days: i64,
}

#[derive(Template)]
#[template(path = "person.html")]
struct RecordPage {
    chrome: Chrome,
    id: i64,
    name: String,
    fields: Vec<Shown>,
    status: String,
    health: Option<Vec<Shown>>,
    spouse_id: Option<i64>,
    mother_id: Option<i64>,
    household_no: String,
    household: Vec<PersonSummary>,
    timeline: Vec<TimelineRow>,
    can_edit: bool,
    can_record: bool,
    with_documents: bool,
    certificates: Vec<DocumentRow>,
    can_apply: bool,
}

struct DocumentRow {
    id: i64,
    kind: &'static str,
    state: String,
    serial: String,
}

fn describe(t: Catalog, e: &Event) -> String {
    let d = &e.detail;
    let mut parts = Vec::new();
    if let Some(n) = &d.spouse_name {
        parts.push(format!("{}：{n}", t.text("person.spouse")));
    }
    if let Some(m) = d.method {
        parts.push(t.code(m.name_zh(), m.name_en()).to_string());
    }
    if let Some(o) = d.outcome {
        parts.push(t.code(o.name_zh(), o.name_en()).to_string());
    }
    if let Some(c) = &d.child {
        let mut s = c.name.clone().unwrap_or_default();
        if let Some(sex) = c.sex {
            s.push_str(&format!(" {}", t.code(sex.name_zh(), sex.name_en())));
        }
        if let Some(w) = c.birth_weight_g {
            s.push_str(&format!(" {w}g"));
        }
        parts.push(s.trim().to_string());
    }
    if let Some(a) = &d.to_area_code {
        parts.push(format!("→ {a}"));
    }
    for c in &d.changes {
        let label = PERSON_COLUMNS
            .iter()
            .find(|col| col.key == c.field)
            .map(|col| t.text(&format!("field.{}", col.key)))
            .unwrap_or_else(|| match c.field.as_str() {
                "status" => t.text("field.status"),
                other => other,
            });
        parts.push(format!("{label}: {} → {}", c.before, c.after));
    }
    if let Some(n) = &d.note {
        parts.push(n.clone());
    }
    parts.join("；")
}

fn kind_label(t: Catalog, k: EventKind) -> String {
    t.code(k.name_zh(), k.name_en()).to_string()
}

async fn record(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> PageResult {
    let t = caller.t();
    let (person, events) = state
        .view_person(&caller.actor, PersonId(id))
        .await
        .or_page(t)?;
    let actor = caller.actor.clone();
    let household_no = person.data.household_no.as_str().to_string();
    let with_documents = caller.allows(Action::ViewCertificates);
    let pid = person.id;
    let (household, (documents, steps)) = state
        .pool
        .run(move |s| {
            let household = s.household_as(&actor, &household_no)?;
            // The record is already an audited view; its documents are part of it.
            let documents = if with_documents {
                s.certificates_of(pid)?
            } else {
                Default::default()
            };
            Ok((household, documents))
        })
        .await
        .or_page(t)?;
    let day = today(state.clock.now());
    // The record comes without health facts for a role that may not see them; the page leaves
    // out their section and the birth registration that tells of a pregnancy.
    let health_ok = caller.scope().sees_health();
    let values = shown_fields(t, &person);
    let fields = PERSON_COLUMNS
        .iter()
        .map(|c| Shown {
            label: t.text(&format!("field.{}", c.key)),
            value: values.get(c.key).cloned().unwrap_or_default(),
        })
        .collect();
    let health = health_ok.then(|| {
        let mut shown = Vec::new();
        // Pregnancy is a woman's record; contraception can be either's.
        if person.data.sex == Sex::Female {
            shown.push(Shown {
                label: t.text("health.pregnant"),
                value: t
                    .text(if person.pregnant { "yes" } else { "no" })
                    .to_string(),
            });
        }
        shown.push(Shown {
            label: t.text("health.contraception"),
            value: person
                .contraception
                .map(|c| t.code(c.name_zh(), c.name_en()).to_string())
                .unwrap_or_else(|| "—".into()),
        });
        shown
    });
    // A birth registration tells of a pregnancy: health data.
    let documents: Vec<_> = documents
        .into_iter()
        .filter(|c| health_ok || c.kind != CertificateKind::BirthRegistration)
        .collect();
    let mut timeline: Vec<TimelineRow> = events
        .iter()
        .map(|e| TimelineRow {
            kind: kind_label(t, e.kind),
            occurred_on: e.occurred_on.to_string(),
            recorded_at: local_time(e.recorded_at),
            recorded_by: e.recorded_by.clone(),
            detail: describe(t, e),
            late_days: recorded_late(e),
        })
        .collect();
    // Each step of a document is on the holder's timeline too, on the day it was taken.
    for step in &steps {
        let Some(doc) = documents.iter().find(|c| c.id == step.certificate_id) else {
            continue;
        };
        timeline.push(TimelineRow {
            kind: format!("{}·{}", kind_name(t, doc.kind), step_name(t, step.step)),
            occurred_on: today(step.at).to_string(),
            recorded_at: local_time(step.at),
            recorded_by: step.username.clone(),
            detail: step.note.clone().unwrap_or_default(),
            late_days: 0,
        });
    }
    timeline.sort_by(|a, b| a.occurred_on.cmp(&b.occurred_on));
    let certificates = documents
        .iter()
        .map(|c| DocumentRow {
            id: c.id,
            kind: kind_name(t, c.kind),
            state: match c.validity_on(day) {
                Some(renkou_core::certificate::Validity::Expired) => {
                    t.text("validity.expired").to_string()
                }
                _ => t.code(c.state.name_zh(), c.state.name_en()).to_string(),
            },
            serial: c.serial.clone().unwrap_or_default(),
        })
        .collect();
    let can_record = EventKind::ALL
        .iter()
        .any(|k| *k != EventKind::Registered && caller.allows(Action::RecordEvent(*k)));
    let chrome = Chrome::new(&caller, "/persons", &format!("/persons/{id}"));
    Ok(render(RecordPage {
        chrome,
        id,
        name: person.data.name.as_str().to_string(),
        fields,
        status: t
            .text(&format!("status.{}", person.status.key()))
            .to_string(),
        health,
        spouse_id: person.spouse_id.map(|s| s.0),
        mother_id: person.mother_id.map(|m| m.0),
        household_no: person.data.household_no.as_str().to_string(),
        household: household
            .iter()
            .filter(|p| p.id != person.id)
            .map(|p| PersonSummary::of(p, day))
            .collect(),
        timeline,
        can_edit: caller.allows(Action::EditPerson),
        can_record,
        with_documents,
        certificates,
        can_apply: CertificateKind::ALL
            .iter()
            .any(|k| caller.allows(Action::ApplyCertificate(*k))),
    }))
}

/// Days between when it happened and when it was recorded: the timeliness the plan asks for.
fn recorded_late(e: &Event) -> i64 {
    let recorded = e
        .recorded_at
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .date();
    (recorded - e.occurred_on)
        .total(jiff::Unit::Day)
        .map(|d| d as i64)
        .unwrap_or(0)
        .max(0)
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    chrome: Chrome,
    household_no: String,
    members: Vec<(PersonSummary, String)>,
}

async fn household(
    State(state): State<AppState>,
    caller: Caller,
    Path(household_no): Path<String>,
) -> PageResult {
    let t = caller.t();
    let actor = caller.actor.clone();
    let no = household_no.clone();
    let members = state
        .pool
        .run(move |s| s.household_as(&actor, &no))
        .await
        .or_page(t)?;
    if members.is_empty() {
        return Err(PageError(t, AppError::NotFound));
    }
    let day = today(state.clock.now());
    Ok(render(HouseholdPage {
        chrome: Chrome::new(&caller, "/persons", &format!("/households/{household_no}")),
        household_no,
        members: members
            .iter()
            .map(|p: &Person| {
                (
                    PersonSummary::of(p, day),
                    t.code(p.data.relation.name_zh(), p.data.relation.name_en())
                        .to_string(),
                )
            })
            .collect(),
    }))
}
