//! The home page: the counts of the account's area and of each area below it.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use renkou_store::AreaSummary;

use super::{Chrome, OrPage, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, today};

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    area_name: String,
    summary: AreaSummary,
    below: Vec<(String, String, u64)>,
    counted_at: String,
    /// What waits for this account, counted and linked: the to-do list that opens the page.
    todo: Vec<Todo>,
    /// The people this role works with include residents (a migrant coordinator's do not).
    sees_residents: bool,
}

/// One line of the home page's to-do list.
pub struct Todo {
    pub href: String,
    pub label: String,
    pub count: u64,
    /// Something gone wrong (a late report, a failed import), not just work waiting.
    pub warn: bool,
}

/// This month's changes and, of them, the late reports.
type ChangeCounts = (u64, u64);

/// Whose counts: the same area counted for a role that sees only migrants differs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SummaryKey {
    pub area: String,
    pub role: renkou_core::Role,
    pub day: jiff::civil::Date,
}

/// This month's changes and late reports of an area, kept for a few minutes: counting them
/// reads the month's events of the whole area. (The home counts themselves are read from the
/// statistics' counters, always current.)
#[derive(Default)]
pub struct SummaryCache {
    changes: std::sync::Mutex<HashMap<SummaryKey, (std::time::Instant, ChangeCounts)>>,
}

impl SummaryCache {
    pub const FRESH: std::time::Duration = std::time::Duration::from_secs(300);

    pub fn get_changes(&self, key: &SummaryKey) -> Option<(u64, u64)> {
        let changes = self.changes.lock().expect("summary cache lock");
        changes
            .get(key)
            .filter(|(made, _)| made.elapsed() < Self::FRESH)
            .map(|(_, counts)| *counts)
    }

    pub fn put_changes(&self, key: SummaryKey, counts: (u64, u64)) {
        let mut changes = self.changes.lock().expect("summary cache lock");
        changes.insert(key, (std::time::Instant::now(), counts));
    }

    /// After a change made through this server: counted again on the next visit.
    pub fn clear(&self) {
        self.changes.lock().expect("summary cache lock").clear();
    }
}

async fn home(State(state): State<AppState>, caller: Caller) -> PageResult {
    let t = caller.t();
    // Administrators have no people: their home is their own work.
    if caller.account.role.is_administrator() {
        let to = match caller.account.role {
            renkou_core::Role::AuditAdmin => "/audit",
            _ => "/accounts",
        };
        return Ok(Redirect::to(to).into_response());
    }
    let actor = caller.actor.clone();
    let area = caller.account.area.clone();
    let day = today(state.clock.now());
    let key = SummaryKey {
        area: area.to_string(),
        role: caller.account.role,
        day,
    };
    let cached_changes = state.summaries.get_changes(&key);
    let (from, to) = super::changes::month_bounds(super::changes::month_of(day));
    let (summary, counted_at, areas, path, queues, changes) = state
        .pool
        .run(move |s| {
            // Small counts of the documents waiting: always current.
            let queues = s.queue_counts(&actor)?;
            let (summary, at) = (s.summary_as(&actor, &area, day)?, jiff::Timestamp::now());
            let changes = match cached_changes {
                Some(hit) => hit,
                None => {
                    let month = s.changes_as(&actor, from, to, false)?;
                    let late = month
                        .iter()
                        .filter(|c| super::changes::is_late(&c.event))
                        .count();
                    (month.len() as u64, late as u64)
                }
            };
            let areas = s.areas_as(&actor.scope)?;
            let path = s.area_path(&area)?;
            Ok((summary, at, areas, path, queues, changes))
        })
        .await
        .or_page(t)?;
    if cached_changes.is_none() {
        state.summaries.put_changes(key, changes);
    }
    let names: HashMap<String, String> = areas
        .into_iter()
        .map(|a| (a.code.to_string(), a.name))
        .collect();
    // The area's own code among "below" counts the people registered at its own level: it is
    // not an area below itself.
    let below = summary
        .below
        .iter()
        .filter(|(code, _)| code != caller.account.area.as_str())
        .map(|(code, n)| {
            (
                code.clone(),
                names.get(code).cloned().unwrap_or_else(|| code.clone()),
                *n,
            )
        })
        .collect();
    let area_name = names
        .get(caller.account.area.as_str())
        .cloned()
        .unwrap_or_default();
    let chrome = Chrome::new(&caller, "/", "/").with_path(path);
    Ok(render(HomePage {
        chrome,
        area_name,
        summary,
        below,
        counted_at: t.fill("home.counted_at", &[&crate::error::local_time(counted_at)]),
        todo: todo(&state, &caller, queues, changes),
        sees_residents: caller
            .account
            .role
            .population()
            .is_none_or(|p| p.contains(&renkou_core::PopulationType::Resident)),
    }))
}

/// The account's to-do list: the documents waiting in each of its queues, the month's changes
/// and late reports of its area, and its imports that failed.
fn todo(
    state: &AppState,
    caller: &Caller,
    queues: Vec<(renkou_core::certificate::Queue, u64)>,
    (changes, late): (u64, u64),
) -> Vec<Todo> {
    let t = caller.t();
    let mut list: Vec<Todo> = queues
        .into_iter()
        .map(|(q, n)| Todo {
            href: format!("/certificates?queue={}", q.key()),
            label: t.text(&format!("queue.{}", q.key())).to_string(),
            count: n,
            warn: false,
        })
        .collect();
    list.push(Todo {
        href: "/changes?late=1".into(),
        label: t.text("home.late_reports").to_string(),
        count: late,
        warn: late > 0,
    });
    if caller.allows(renkou_core::Action::ImportFile) {
        let failed = state
            .files
            .jobs_of(caller.account.id)
            .iter()
            .filter(|(_, j)| j.error.is_some())
            .count() as u64;
        list.push(Todo {
            href: "/upload".into(),
            label: t.text("home.failed_imports").to_string(),
            count: failed,
            warn: failed > 0,
        });
    }
    list.push(Todo {
        href: "/changes".into(),
        label: t.text("home.month_changes").to_string(),
        count: changes,
        warn: false,
    });
    list
}
