//! People lists: filters, search, sorting, page numbers, masked numbers, area names. The
//! person form is `person_form.rs`.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use renkou_core::{Action, MaritalStatus, PopulationType, Sex};

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
    area: String,
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
    pager: Pager,
    headers: Vec<Header>,
    sorts: Vec<Choice>,
    sort: String,
    sees_health: bool,
    export: Option<String>,
    can_add: bool,
    error: Option<String>,
    sexes: Vec<Choice>,
    maritals: Vec<Choice>,
    populations: Vec<Choice>,
    /// The areas the list can be narrowed to, by name.
    areas: Vec<Choice>,
}

/// A column header that sorts the list: its link and, when the list is in its order, which way.
struct Header {
    key: &'static str,
    label: String,
    href: String,
    aria_sort: Option<&'static str>,
}

/// Page numbers: the neighbours of the current page, the first and the last, and a jump box.
#[derive(Default)]
struct Pager {
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    /// (number, link); None is a gap ("…").
    numbers: Vec<Option<(u32, String)>>,
    /// The other filters, kept by the jump box as hidden fields.
    hidden: Vec<(String, String)>,
}

fn pager(q: &ListQuery, count: u64, limit: u32) -> Pager {
    let pages = count
        .div_ceil(u64::from(limit))
        .clamp(1, u64::from(u32::MAX)) as u32;
    let page = q.page().min(pages);
    let link = |n: u32| format!("/persons?{}", q.with(Some(n), None));
    let mut numbers = Vec::new();
    let mut last = 0;
    for n in 1..=pages {
        if n == 1 || n == pages || n.abs_diff(page) <= 2 {
            if n > last + 1 {
                numbers.push(None);
            }
            numbers.push(Some((n, link(n))));
            last = n;
        } else if n > page + 2 {
            // Jump straight to the last page rather than walking a million numbers.
            if pages > last + 1 {
                numbers.push(None);
            }
            numbers.push(Some((pages, link(pages))));
            break;
        }
    }
    let mut keep = q.clone();
    keep.page = None;
    keep.after = None;
    let hidden = serde_urlencoded::to_string(&keep)
        .ok()
        .and_then(|text| serde_urlencoded::from_str::<Vec<(String, String)>>(&text).ok())
        .unwrap_or_default();
    Pager {
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        numbers,
        hidden,
    }
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
    // Rows and the area filter both name areas: one read of the cached table.
    let names = state.area_names().await.or_page(t)?;
    let sees_health = caller.scope().sees_health();
    let mut error = None;
    let mut rows = Vec::new();
    let mut count = 0;
    let asked = q
        .filter(day)
        .and_then(|f| q.order().map(|o| (f, o)))
        .and_then(|(f, o)| {
            if f.pregnant && !sees_health {
                Err(renkou_core::person::FieldError::new(
                    "pregnant",
                    t.text("persons.pregnant_denied"),
                ))
            } else {
                Ok((f, o))
            }
        });
    match asked {
        Err(e) => error = Some(e.message),
        Ok((filter, order)) => {
            let (limit, page, actor) = (q.limit(), q.page(), caller.actor.clone());
            let search = filter.search.clone();
            let (people, n) = state
                .pool
                .run(move |s| {
                    let n = s.count_as(&actor, &filter)?;
                    // Past the last page: the last page.
                    let pages = n.div_ceil(u64::from(limit)).max(1);
                    let offset = (u64::from(page).min(pages) - 1) * u64::from(limit);
                    let people = s.persons_page_as(&actor, &filter, order, offset, limit)?;
                    Ok((people, n))
                })
                .await
                .or_page(t)?;
            state
                .audit_lookup(&caller.actor, search.as_ref(), &people)
                .await
                .or_page(t)?;
            count = n;
            rows = people
                .iter()
                .map(|p| {
                    let s = PersonSummary::of(p, day);
                    Row {
                        area: names.label(&p.data.area_code),
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
    let count_text = t.fill("persons.count", &[&count]);
    let pager = pager(&q, count, q.limit());
    let sort = q.sort.clone().unwrap_or_else(|| "area".into());
    let headers = headers(&q, &sort, t);
    let sorts = SORTS
        .iter()
        .map(|(value, key)| Choice {
            value: value.to_string(),
            label: t.text(key).to_string(),
        })
        .collect();
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
    let areas = area_filter_choices(&names, &caller.account.area, q.area.as_deref());
    let mut res = render(ListPage {
        chrome,
        areas,
        rows,
        count_text,
        pager,
        headers,
        sorts,
        sort,
        sees_health,
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

/// The orders the sort box offers: (value of `sort`, catalog key).
const SORTS: [(&str, &str); 8] = [
    ("area", "sort.area"),
    ("-area", "sort.area_desc"),
    ("name", "sort.name"),
    ("-name", "sort.name_desc"),
    ("age", "sort.age"),
    ("-age", "sort.age_desc"),
    ("-updated", "sort.updated_desc"),
    ("updated", "sort.updated"),
];

/// The sortable headers: name, age, area. A click sorts by the column, a second click reverses.
fn headers(q: &ListQuery, sort: &str, t: crate::i18n::Catalog) -> Vec<Header> {
    [
        ("name", "field.name"),
        ("age", "persons.age"),
        ("area", "persons.area_name"),
    ]
    .into_iter()
    .map(|(key, label)| {
        let desc = format!("-{key}");
        let (aria_sort, next) = if sort == key {
            (Some("ascending"), desc.as_str())
        } else if sort == desc {
            (Some("descending"), key)
        } else {
            (None, key)
        };
        Header {
            key,
            label: t.text(label).to_string(),
            href: format!("/persons?{}", q.with(None, Some(next))),
            aria_sort,
        }
    })
    .collect()
}

/// The areas a list can be narrowed to: two levels below the account's own (a centre's
/// committees and their groups; a district's centres and committees), by name. Deeper areas
/// are reached through the breadcrumb; an area asked for by a link is kept in the choice.
fn area_filter_choices(
    names: &crate::areas::AreaNames,
    own: &renkou_core::AreaCode,
    asked: Option<&str>,
) -> Vec<Choice> {
    let depth = own.as_str().len() + 6;
    let mut out: Vec<Choice> = names
        .within(own)
        .filter(|a| a.code != *own && a.code.as_str().len() <= depth)
        .map(|a| Choice {
            value: a.code.to_string(),
            label: format!("{}（{}）", names.label(&a.code), a.code),
        })
        .collect();
    if let Some(code) = asked.filter(|c| !c.is_empty())
        && !out.iter().any(|c| c.value == code)
    {
        out.insert(
            0,
            Choice {
                value: code.to_string(),
                label: names.label_of(code),
            },
        );
    }
    out
}
