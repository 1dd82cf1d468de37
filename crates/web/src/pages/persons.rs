//! People lists: filters, search, keyset paging, masked numbers. The person form is
//! `person_form.rs`.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use renkou_core::{Action, MaritalStatus, PersonId, PopulationType, Sex};
use renkou_store::COUNT_CAP;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, today};
use crate::error::AppError;
use crate::forms::{ListQuery, PersonSummary};

pub fn routes() -> Router<AppState> {
    Router::new().route("/persons", get(list))
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
