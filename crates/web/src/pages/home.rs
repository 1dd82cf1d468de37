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
    /// Certificates waiting, per work queue (for roles that handle them).
    queues: Vec<(&'static str, &'static str, u64)>,
}

/// Whose counts: the same area counted for a role that sees only migrants differs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SummaryKey {
    pub area: String,
    pub role: renkou_core::Role,
    pub day: jiff::civil::Date,
}

/// Home counts, kept for a few minutes: counting a whole city reads every person (about a
/// second at a million), and staff open the home page far more often than the counts change.
/// The page says when they were counted.
#[derive(Default)]
pub struct SummaryCache {
    entries:
        std::sync::Mutex<HashMap<SummaryKey, (std::time::Instant, jiff::Timestamp, AreaSummary)>>,
}

impl SummaryCache {
    pub const FRESH: std::time::Duration = std::time::Duration::from_secs(300);

    pub fn get(&self, key: &SummaryKey) -> Option<(AreaSummary, jiff::Timestamp)> {
        let entries = self.entries.lock().expect("summary cache lock");
        entries
            .get(key)
            .filter(|(made, _, _)| made.elapsed() < Self::FRESH)
            .map(|(_, at, s)| (s.clone(), *at))
    }

    pub fn put(&self, key: SummaryKey, summary: AreaSummary, at: jiff::Timestamp) {
        let mut entries = self.entries.lock().expect("summary cache lock");
        let made = std::time::Instant::now()
            - std::time::Duration::from_secs(
                jiff::Timestamp::now().duration_since(at).as_secs().max(0) as u64,
            );
        entries.insert(key, (made, at, summary));
    }

    /// After a change made through this server: counts are made again on the next visit.
    pub fn clear(&self) {
        self.entries.lock().expect("summary cache lock").clear();
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
    let cached = state.summaries.get(&key);
    let (summary, counted_at, areas, path, queues) = state
        .pool
        .run(move |s| {
            // Small counts of the documents waiting: always current.
            let queues = s.queue_counts(&actor)?;
            let (summary, at) = match cached {
                Some(hit) => hit,
                None => (s.summary_as(&actor, &area, day)?, jiff::Timestamp::now()),
            };
            let areas = s.areas_as(&actor.scope)?;
            let path = s.area_path(&area)?;
            Ok((summary, at, areas, path, queues))
        })
        .await
        .or_page(t)?;
    state.summaries.put(key, summary.clone(), counted_at);
    let names: HashMap<String, String> = areas
        .into_iter()
        .map(|a| (a.code.to_string(), a.name))
        .collect();
    let below = summary
        .below
        .iter()
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
        queues: queues
            .into_iter()
            .map(|(q, n)| (q.key(), t.text(&format!("queue.{}", q.key())), n))
            .collect(),
    }))
}

/// Keeps the counts of the large areas (a district's, a centre's) ready: every few minutes, for
/// each active account working at those levels, the home counts are made in the background so
/// that opening the home page never waits for a whole-city count.
pub fn warm_summaries(state: AppState) {
    tokio::spawn(async move {
        loop {
            let day = today(state.clock.now());
            let accounts = state.pool.run(|s| s.accounts()).await.unwrap_or_default();
            let mut seen = std::collections::HashSet::new();
            for a in accounts {
                let large = a.area.as_str().len() <= 9;
                if a.disabled || a.role.is_administrator() || !large {
                    continue;
                }
                let key = SummaryKey {
                    area: a.area.to_string(),
                    role: a.role,
                    day,
                };
                if !seen.insert(key.clone()) {
                    continue;
                }
                let actor = renkou_core::Actor {
                    scope: renkou_core::Scope::new(a.id, a.role, a.area.clone()),
                    username: a.username.to_string(),
                    source: "warm".into(),
                };
                let area = a.area.clone();
                if let Ok(summary) = state
                    .pool
                    .run(move |s| s.summary_as(&actor, &area, day))
                    .await
                {
                    state.summaries.put(key, summary, jiff::Timestamp::now());
                }
            }
            tokio::time::sleep(SummaryCache::FRESH - std::time::Duration::from_secs(60)).await;
        }
    });
}
