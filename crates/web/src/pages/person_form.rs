//! The person form (add and correct), which reads its fields exactly as an import row is read.
//! The area is picked by name; a new household gets its number from the register; a correction
//! says why; a saved form says what was saved.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use renkou_core::person::FieldError;
use renkou_core::record::PERSON_COLUMNS;
use renkou_core::{
    Action, AreaLevel, Education, Ethnicity, MaritalStatus, PersonId, PopulationType, Relation, Sex,
};
use renkou_store::{PersonFilter, PersonSearch, StoreError};
use serde::{Deserialize, Serialize};

use super::form::{FormField, Input, SummaryLine, place_errors};
use super::persons::Choice;
use super::{Chrome, OrPage, PageError, PageResult, redirect_with_message, render};
use crate::AppState;
use crate::areas::AreaNames;
use crate::auth::{Caller, today};
use crate::error::AppError;
use crate::forms::{fields_of, person_from_fields};
use crate::i18n::Catalog;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/persons/new", get(new_form).post(create))
        .route("/persons/{id}/edit", get(edit_form).post(update))
        .route("/households/lookup", get(household_lookup))
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct FormPage {
    chrome: Chrome,
    title: &'static str,
    action: String,
    fields: Vec<FormField>,
    summary: Vec<SummaryLine>,
    editing: bool,
    new_household: bool,
    /// The record an ID number already belongs to, when the account may open it.
    existing: Option<i64>,
}

fn code_choices<T: Copy>(
    t: Catalog,
    all: &[T],
    code: impl Fn(T) -> &'static str,
    zh: impl Fn(T) -> &'static str,
    en: impl Fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: code(*v).to_string(),
            label: t.code(zh(*v), en(*v)).to_string(),
        })
        .collect()
}

macro_rules! table {
    ($t:expr, $table:ty) => {
        code_choices(
            $t,
            <$table>::ALL,
            |v| v.code(),
            |v| v.name_zh(),
            |v| v.name_en(),
        )
    };
}

/// The areas a person of this account can live in, by name: its committees and groups.
pub fn area_choices(names: &AreaNames, caller: &Caller, keep: &str) -> Vec<Choice> {
    let mut out: Vec<Choice> = names
        .within(&caller.account.area)
        .filter(|a| matches!(a.level(), AreaLevel::Committee | AreaLevel::Group))
        .map(|a| Choice {
            value: a.code.to_string(),
            label: format!("{}（{}）", names.label(&a.code), a.code),
        })
        .collect();
    // A record being corrected keeps its area even when the table no longer lists it.
    if !keep.is_empty() && !out.iter().any(|c| c.value == keep) {
        out.insert(
            0,
            Choice {
                value: keep.to_string(),
                label: names.label_of(keep),
            },
        );
    }
    out
}

fn form_fields(
    t: Catalog,
    names: &AreaNames,
    caller: &Caller,
    values: &BTreeMap<String, String>,
) -> Vec<FormField> {
    PERSON_COLUMNS
        .iter()
        .map(|c| {
            let raw = values.get(c.key).cloned().unwrap_or_default();
            let label = t.text(&format!("field.{}", c.key));
            let (input, choices, value) = match c.key {
                "sex" => (
                    Input::Select,
                    table!(t, Sex),
                    Sex::parse(&raw)
                        .map(|v| v.code().to_string())
                        .unwrap_or(raw),
                ),
                "ethnicity" => (
                    Input::Select,
                    table!(t, Ethnicity),
                    Ethnicity::parse(&raw)
                        .map(|v| v.code().to_string())
                        .unwrap_or(raw),
                ),
                "marital_status" => (
                    Input::Select,
                    table!(t, MaritalStatus),
                    MaritalStatus::parse(&raw)
                        .map(|v| v.code().to_string())
                        .unwrap_or(raw),
                ),
                "education" => (
                    Input::Select,
                    table!(t, Education),
                    Education::parse(&raw)
                        .map(|v| v.code().to_string())
                        .unwrap_or(raw),
                ),
                "relation" => (
                    Input::Select,
                    table!(t, Relation),
                    Relation::parse(&raw)
                        .map(|v| v.code().to_string())
                        .unwrap_or(raw),
                ),
                "population_type" => (
                    Input::Select,
                    table!(t, PopulationType),
                    PopulationType::parse(&raw)
                        .map(|v| v.code().to_string())
                        .unwrap_or(raw),
                ),
                "area_code" => (Input::Area, area_choices(names, caller, &raw), raw),
                "birth_date" | "arrival_date" | "leaving_date" => (Input::Date, Vec::new(), raw),
                "phone" => (Input::Tel, Vec::new(), raw),
                _ => (Input::Text, Vec::new(), raw),
            };
            let mut f = FormField::new(c.key, label, input)
                .required(c.required)
                .value(value)
                .choices(choices);
            if input == Input::Date {
                f = f.date_placeholder(t);
            }
            match c.key {
                "household_no" => f = f.hint(t.text("person.household_hint")),
                "id_number" => f = f.hint(t.text("person.id_number_hint")),
                "area_code" => f = f.hint(t.text("person.area_hint")),
                _ => {}
            }
            f
        })
        .collect()
}

async fn form_page(
    state: &AppState,
    caller: &Caller,
    editing: Option<i64>,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
    existing: Option<i64>,
) -> PageResult {
    let t = caller.t();
    let names = state.area_names().await.or_page(t)?;
    let new_household = editing.is_none() && values.get("new_household").is_some_and(|v| v == "1");
    let mut fields = form_fields(t, &names, caller, values);
    if new_household {
        // The register numbers it on saving; an error about the number cannot be the user's.
        if let Some(f) = fields.iter_mut().find(|f| f.key == "household_no") {
            f.value.clear();
            f.required = false;
        }
    }
    if editing.is_some() {
        fields.push(
            FormField::new("note", t.text("person.correction_note"), Input::Text)
                .required(true)
                .value(values.get("note").cloned().unwrap_or_default())
                .hint(t.text("person.correction_hint"))
                .wide(),
        );
    }
    let summary = place_errors(&mut fields, errors, None);
    let (title, action) = match editing {
        Some(id) => (t.text("person.edit_title"), format!("/persons/{id}/edit")),
        None => (t.text("person.new_title"), "/persons/new".to_string()),
    };
    let active = if editing.is_some() {
        "/persons"
    } else {
        "/persons/new"
    };
    let mut res = render(FormPage {
        chrome: Chrome::new(caller, active, &action),
        title,
        action,
        fields,
        summary,
        editing: editing.is_some(),
        new_household,
        existing,
    });
    if !errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn new_form(State(state): State<AppState>, caller: Caller) -> PageResult {
    caller
        .require(&state, Action::EditPerson, "person")
        .await
        .or_page(caller.t())?;
    // Sensible defaults: the account's own area when people live in it (a committee's or a
    // group's), else the clerk picks one; a resident; a new household.
    let mut values = BTreeMap::new();
    if matches!(
        caller.account.area.level(),
        AreaLevel::Committee | AreaLevel::Group
    ) {
        values.insert("area_code".to_string(), caller.account.area.to_string());
    }
    values.insert("population_type".to_string(), "resident".to_string());
    values.insert("ethnicity".to_string(), "01".to_string());
    values.insert("new_household".to_string(), "1".to_string());
    form_page(&state, &caller, None, &values, &[], None).await
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(values): Form<BTreeMap<String, String>>,
) -> PageResult {
    save(&state, &caller, None, values).await
}

async fn edit_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> PageResult {
    let t = caller.t();
    caller
        .require(&state, Action::EditPerson, "person")
        .await
        .or_page(t)?;
    // The form shows the whole record: an audited view like the record page.
    let (person, _) = state
        .view_person(&caller.actor, PersonId(id))
        .await
        .or_page(t)?;
    form_page(&state, &caller, Some(id), &fields_of(&person), &[], None).await
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(values): Form<BTreeMap<String, String>>,
) -> PageResult {
    save(&state, &caller, Some(id), values).await
}

/// Adds a person (`editing` None) or corrects one: the same checks, the same form on error.
async fn save(
    state: &AppState,
    caller: &Caller,
    editing: Option<i64>,
    mut values: BTreeMap<String, String>,
) -> PageResult {
    let t = caller.t();
    caller
        .check_csrf(values.get("csrf").map(String::as_str).unwrap_or(""))
        .or_page(t)?;
    caller
        .require(state, Action::EditPerson, "person")
        .await
        .or_page(t)?;
    let day = today(state.clock.now());
    let new_household = editing.is_none() && values.get("new_household").is_some_and(|v| v == "1");
    let mut read = values.clone();
    if new_household {
        // A stand-in so the row reads; the store replaces it with the next number.
        read.insert("household_no".into(), "NEW".into());
    }
    let mut errors = Vec::new();
    let data = match person_from_fields(&read, day) {
        Ok(d) => Some(d),
        Err(e) => {
            errors = e;
            None
        }
    };
    let note = values.get("note").cloned().filter(|n| !n.trim().is_empty());
    if editing.is_some()
        && let Err(e) = renkou_core::person::correction_reason(note.as_deref())
    {
        errors.push(e);
    }
    let Some(data) = data.filter(|_| errors.is_empty()) else {
        return form_page(state, caller, editing, &values, &errors, None).await;
    };
    let id_number = data.id_number;
    let actor = caller.actor.clone();
    let saved = state
        .pool
        .run(move |s| match editing {
            None if new_household => s
                .add_person_in_new_household_as(&actor, data, day)
                .map(|(id, no)| (id.0, Some(no))),
            None => s.add_person_as(&actor, data, day).map(|id| (id.0, None)),
            Some(id) => s
                .update_person_as(&actor, PersonId(id), data, day, note)
                .map(|_| (id, None)),
        })
        .await
        .inspect(|_| state.summaries.clear());
    match saved {
        Ok((id, household)) => {
            let message = match (editing, household) {
                (Some(_), _) => t.text("person.saved_correction").to_string(),
                (None, Some(no)) => t.fill("person.saved_new_household", &[&no.as_str()]),
                (None, None) => t.text("person.saved_new").to_string(),
            };
            Ok(redirect_with_message(&format!("/persons/{id}"), message))
        }
        Err(StoreError::DuplicateIdNumber(masked)) => {
            // "已在登记中": lead the clerk to the record, when it is theirs to open.
            let existing = match id_number {
                Some(n) => {
                    let actor = caller.actor.clone();
                    let filter = PersonFilter {
                        search: Some(PersonSearch::IdNumber(n)),
                        all_statuses: true,
                        ..PersonFilter::default()
                    };
                    state
                        .pool
                        .run(move |s| s.persons_as(&actor, &filter, None, 1))
                        .await
                        .ok()
                        .and_then(|found| found.first().map(|p| p.id.0))
                }
                None => None,
            };
            let errors = vec![FieldError::new(
                "id_number",
                format!("身份证号 {masked} 已在登记中"),
            )];
            values.remove("confirmed");
            form_page(state, caller, editing, &values, &errors, existing).await
        }
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                form_page(state, caller, editing, &values, &errors, None).await
            }
            other => Err(PageError(t, other)),
        },
    }
}

#[derive(Deserialize)]
struct LookupQuery {
    q: Option<String>,
}

/// One household a search found, for the form's "join an existing household".
#[derive(Serialize)]
struct HouseholdHit {
    household_no: String,
    /// "户主 王芳 · 幸福社区居委会 第一居民小组"
    label: String,
    area_code: String,
}

/// Households found by a member's name, ID number or phone, or by the number itself: the
/// person form's search for "加入已有户". Scoped and masked like the people list.
async fn household_lookup(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<LookupQuery>,
) -> Result<Response, PageError> {
    let t = caller.t();
    let text = q.q.unwrap_or_default().trim().to_string();
    if text.chars().count() < 2 {
        return Ok(Json(Vec::<HouseholdHit>::new()).into_response());
    }
    let names = state.area_names().await.or_page(t)?;
    let actor = caller.actor.clone();
    let by_number = text.starts_with(['H', 'h']) && text.len() > 1;
    let found = state
        .pool
        .run(move |s| {
            if by_number {
                s.household_as(&actor, &text.to_uppercase())
            } else {
                let filter = PersonFilter {
                    search: PersonSearch::parse(&text),
                    ..PersonFilter::default()
                };
                s.persons_as(&actor, &filter, None, 20)
            }
        })
        .await
        .or_page(t)?;
    let mut hits: Vec<HouseholdHit> = Vec::new();
    for p in found {
        let no = p.data.household_no.as_str().to_string();
        if hits.iter().any(|h| h.household_no == no) {
            continue;
        }
        hits.push(HouseholdHit {
            label: format!(
                "{} · {} {} · {}",
                no,
                t.code(p.data.relation.name_zh(), p.data.relation.name_en()),
                p.data.name.as_str(),
                names.label(&p.data.area_code)
            ),
            household_no: no,
            area_code: p.data.area_code.to_string(),
        });
    }
    Ok(Json(hits).into_response())
}
