//! People lists (filters, search, keyset paging, masked numbers) and the person form (add and
//! correct), which reads its fields exactly as an import row is read.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Form, Router};
use renkou_core::person::FieldError;
use renkou_core::record::PERSON_COLUMNS;
use renkou_core::{
    Action, Education, Ethnicity, MaritalStatus, PersonId, PopulationType, Relation, Sex,
};
use renkou_store::COUNT_CAP;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::AppError;
use crate::forms::{ListQuery, PersonSummary, fields_of, person_from_fields};
use crate::i18n::Catalog;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/persons", get(list))
        .route("/persons/new", get(new_form).post(create))
        .route("/persons/{id}/edit", get(edit_form).post(update))
}

/// A choice in a select box.
pub struct Choice {
    pub value: String,
    pub label: String,
}

macro_rules! choices {
    ($t:expr, $table:ty) => {
        <$table>::ALL
            .iter()
            .map(|v| Choice {
                value: v.code().to_string(),
                label: $t.code(v.name_zh(), v.name_en()).to_string(),
            })
            .collect::<Vec<Choice>>()
    };
}

struct Row {
    s: PersonSummary,
    sex: String,
    marital: String,
    population: String,
}

#[derive(Template)]
#[template(path = "persons.html")]
struct ListPage {
    chrome: Chrome,
    q: ListQuery,
    rows: Vec<Row>,
    count_text: String,
    next: Option<String>,
    export: Option<String>,
    can_add: bool,
    error: Option<String>,
    sexes: Vec<Choice>,
    maritals: Vec<Choice>,
    populations: Vec<Choice>,
}

impl ListPage {
    fn selected(&self, field: &Option<String>, value: &str) -> bool {
        field.as_deref() == Some(value)
    }
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let t = caller.t();
    let Query(q) = query.map_err(|e| PageError(t, AppError::BadRequest(e.body_text())))?;
    caller
        .require(&state, Action::ListPersons, "persons")
        .await
        .or_page(t)?;
    let day = today(state.clock.now());
    let mut error = None;
    let mut rows = Vec::new();
    let mut count = 0;
    let mut next = None;
    match q.filter(day) {
        Err(e) => error = Some(e.message),
        Ok(filter) => {
            let (limit, after, actor) = (q.limit(), q.after.map(PersonId), caller.actor.clone());
            let search = filter.search.clone();
            let (people, n) = state
                .pool
                .run(move |s| {
                    let people = s.persons_as(&actor, &filter, after, limit + 1)?;
                    let n = s.count_as(&actor, &filter)?;
                    Ok((people, n))
                })
                .await
                .or_page(t)?;
            state
                .audit_lookup(&caller.actor, search.as_ref(), &people)
                .await
                .or_page(t)?;
            count = n;
            if people.len() > limit as usize {
                next = people
                    .get(limit as usize - 1)
                    .map(|p| format!("/persons?{}", q.to_query(Some(p.id.0))));
            }
            rows = people
                .iter()
                .take(limit as usize)
                .map(|p| {
                    let s = PersonSummary::of(p, day);
                    Row {
                        sex: t
                            .code(p.data.sex.name_zh(), p.data.sex.name_en())
                            .to_string(),
                        marital: t
                            .code(
                                p.data.marital_status.name_zh(),
                                p.data.marital_status.name_en(),
                            )
                            .to_string(),
                        population: t
                            .code(
                                p.data.population_type.name_zh(),
                                p.data.population_type.name_en(),
                            )
                            .to_string(),
                        s,
                    }
                })
                .collect();
        }
    }
    let count_text = if count > COUNT_CAP {
        t.fill("persons.count_over", &[&COUNT_CAP])
    } else {
        t.fill("persons.count", &[&count])
    };
    let export = caller
        .allows(Action::Export)
        .then(|| format!("/persons/export?{}", q.to_query(None)));
    let mut chrome = Chrome::new(
        &caller,
        "/persons",
        &format!("/persons?{}", q.to_query(q.after)),
    );
    if let Some(code) = q
        .area
        .as_deref()
        .and_then(|a| renkou_core::AreaCode::parse(a).ok())
        .filter(|c| caller.scope().covers_area(c))
    {
        let path = state
            .pool
            .run(move |s| s.area_path(&code))
            .await
            .or_page(t)?;
        chrome = chrome.with_path(path);
    }
    let mut res = render(ListPage {
        chrome,
        rows,
        count_text,
        next,
        export,
        can_add: caller.allows(Action::EditPerson),
        error: error.clone(),
        sexes: choices!(t, Sex),
        maritals: choices!(t, MaritalStatus),
        populations: choices!(t, PopulationType),
        q,
    });
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// One field of the person form.
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub required: bool,
    pub value: String,
    pub error: Option<String>,
    /// A select's choices; a text input when empty.
    pub choices: Vec<Choice>,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct FormPage {
    chrome: Chrome,
    title: &'static str,
    action: String,
    fields: Vec<Field>,
    editing: bool,
    note: String,
    errors: usize,
}

fn form_fields(t: Catalog, values: &BTreeMap<String, String>, errors: &[FieldError]) -> Vec<Field> {
    PERSON_COLUMNS
        .iter()
        .map(|c| {
            let choices = match c.key {
                "sex" => choices!(t, Sex),
                "ethnicity" => choices!(t, Ethnicity),
                "marital_status" => choices!(t, MaritalStatus),
                "education" => choices!(t, Education),
                "relation" => choices!(t, Relation),
                "population_type" => choices!(t, PopulationType),
                _ => Vec::new(),
            };
            let kind = match c.key {
                "birth_date" | "arrival_date" | "leaving_date" => "date",
                "phone" => "tel",
                _ => "text",
            };
            let raw = values.get(c.key).cloned().unwrap_or_default();
            // A select shows the value's code, however it was written (name, code, English).
            let value = match c.key {
                "sex" => Sex::parse(&raw)
                    .map(|v| v.code().to_string())
                    .unwrap_or(raw),
                "ethnicity" => Ethnicity::parse(&raw)
                    .map(|v| v.code().to_string())
                    .unwrap_or(raw),
                "marital_status" => MaritalStatus::parse(&raw)
                    .map(|v| v.code().to_string())
                    .unwrap_or(raw),
                "education" => Education::parse(&raw)
                    .map(|v| v.code().to_string())
                    .unwrap_or(raw),
                "relation" => Relation::parse(&raw)
                    .map(|v| v.code().to_string())
                    .unwrap_or(raw),
                "population_type" => PopulationType::parse(&raw)
                    .map(|v| v.code().to_string())
                    .unwrap_or(raw),
                _ => raw,
            };
            Field {
                key: c.key,
                label: t.text(&format!("field.{}", c.key)),
                required: c.required,
                value,
                error: {
                    let mine: Vec<&str> = errors
                        .iter()
                        .filter(|e| {
                            e.field == c.key
                                || (e.field == "registered_place" && c.key == "registered_place")
                        })
                        .map(|e| e.message.as_str())
                        .collect();
                    (!mine.is_empty()).then(|| mine.join("；"))
                },
                choices,
                kind,
            }
        })
        .collect()
}

/// Errors that belong to no field of the form are shown above it, on the first field.
fn place_errors(fields: &mut [Field], errors: &[FieldError]) {
    let known: Vec<&str> = fields.iter().map(|f| f.key).collect();
    let stray: Vec<&str> = errors
        .iter()
        .filter(|e| !known.contains(&e.field))
        .map(|e| e.message.as_str())
        .collect();
    if !stray.is_empty()
        && let Some(first) = fields.first_mut()
    {
        let joined = stray.join("；");
        first.error = Some(match first.error.take() {
            Some(e) => format!("{e}；{joined}"),
            None => joined,
        });
    }
}

fn form_page(
    caller: &Caller,
    editing: Option<i64>,
    values: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> axum::response::Response {
    let t = caller.t();
    let mut fields = form_fields(t, values, errors);
    place_errors(&mut fields, errors);
    let (title, action) = match editing {
        Some(id) => (t.text("person.edit_title"), format!("/persons/{id}/edit")),
        None => (t.text("person.new_title"), "/persons/new".to_string()),
    };
    let mut res = render(FormPage {
        chrome: Chrome::new(
            caller,
            if editing.is_some() {
                "/persons"
            } else {
                "/persons/new"
            },
            &action,
        ),
        title,
        action,
        fields,
        editing: editing.is_some(),
        note: values.get("note").cloned().unwrap_or_default(),
        errors: errors.len(),
    });
    if !errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

async fn new_form(State(state): State<AppState>, caller: Caller) -> PageResult {
    caller
        .require(&state, Action::EditPerson, "person")
        .await
        .or_page(caller.t())?;
    // Sensible defaults: the account's own area, a resident.
    let mut values = BTreeMap::new();
    values.insert("area_code".to_string(), caller.account.area.to_string());
    values.insert("population_type".to_string(), "resident".to_string());
    values.insert("ethnicity".to_string(), "01".to_string());
    Ok(form_page(&caller, None, &values, &[]))
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
    Ok(form_page(&caller, Some(id), &fields_of(&person), &[]))
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
    values: BTreeMap<String, String>,
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
    let data = match person_from_fields(&values, day) {
        Ok(d) => d,
        Err(errors) => return Ok(form_page(caller, editing, &values, &errors)),
    };
    let note = values.get("note").cloned().filter(|n| !n.trim().is_empty());
    let actor = caller.actor.clone();
    let saved = state
        .pool
        .run(move |s| match editing {
            None => s.add_person_as(&actor, data, day).map(|id| id.0),
            Some(id) => s
                .update_person_as(&actor, PersonId(id), data, day, note)
                .map(|_| id),
        })
        .await
        .inspect(|_| state.summaries.clear());
    match saved {
        Ok(id) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => Ok(form_page(caller, editing, &values, &errors)),
            other => Err(PageError(t, other)),
        },
    }
}
