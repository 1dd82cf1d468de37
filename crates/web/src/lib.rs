//! The staff web app and the JSON API. Pages are rendered on the server and work without
//! JavaScript; the API lives under /api/v1 with its OpenAPI document at /api/openapi.json.
//!
//! Handlers never write SQL and never decide access themselves: they pass the caller's
//! [`renkou_core::Actor`] to the store, which checks it against core's role table.

pub mod api;
pub mod api_certificates;
pub mod api_stats;
pub mod areas;
pub mod audit_writer;
pub mod auth;
pub mod error;
pub mod forms;
pub mod i18n;
pub mod pages;
pub mod pool;
pub mod printing;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use tokio::sync::Semaphore;

pub use auth::{Clock, generated_password, hash_password, verify_password};
pub use pool::Pool;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: Arc<Pool>,
    pub throttle: Arc<auth::Throttle>,
    /// Password hashes computed at once: no more than the machine has cores.
    pub hashing: Arc<Semaphore>,
    pub clock: Arc<Clock>,
    /// Mark cookies Secure (behind HTTPS); they are whenever the public address is https.
    pub secure_cookies: bool,
    /// Where uploaded files and rejected-row reports wait to be downloaded.
    pub files: Arc<pages::upload::Files>,
    /// Audit rows of views, written in batches.
    pub audit: Arc<audit_writer::AuditWriter>,
    /// Recently checked sessions, so a request does not always ask the database.
    pub sessions: Arc<auth::SessionCache>,
    /// Home counts made in the last few minutes.
    pub summaries: Arc<pages::home::SummaryCache>,
    /// The certificate printer, set up on first use.
    pub printer: Arc<printing::PrinterSlot>,
    /// The address printed on certificates for the verify page (`--public-url`); without it
    /// nothing is printed (a request's Host header is the client's to forge).
    pub public_url: Option<String>,
    /// The public verify page: per source, and for everyone together.
    pub verify_throttle: Arc<auth::Throttle>,
    /// Usernames no account has, locked like real ones.
    pub unknown_names: Arc<auth::UnknownNames>,
    /// Area names by code, for every page that shows or picks an area.
    pub area_cache: Arc<areas::AreaNamesCache>,
}

impl AppState {
    /// A whole record for a view: read, then its audit row committed (with any others waiting),
    /// and only then returned. Out of reach reads as not found, and that refusal is audited too.
    pub async fn view_person(
        &self,
        actor: &renkou_core::Actor,
        id: renkou_core::PersonId,
    ) -> Result<(renkou_core::Person, Vec<renkou_core::Event>), error::AppError> {
        let a = actor.clone();
        let pending = self.pool.run(move |s| s.prepare_view(&a, id)).await?;
        self.audit.write(pending.audit).await?;
        Ok(pending.record?)
    }

    /// Whether cookies carry Secure: asked for, or implied by an https public address.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
    }

    /// A list searched by a whole ID number tells whether that person is on the register: a
    /// lookup, audited like a view (found or not, by internal id only).
    pub async fn audit_lookup(
        &self,
        actor: &renkou_core::Actor,
        search: Option<&renkou_store::PersonSearch>,
        found: &[renkou_core::Person],
    ) -> Result<(), error::AppError> {
        if !matches!(search, Some(renkou_store::PersonSearch::IdNumber(_))) {
            return Ok(());
        }
        let mut entry = actor
            .entry(
                renkou_core::audit::AuditAction::PersonLookup,
                "person",
                renkou_core::audit::AuditResult::Ok,
            )
            .detail(format!("found={}", found.len()));
        if let Some(p) = found.first() {
            entry = entry.object(p.id.0);
        }
        self.audit.write(entry).await
    }

    /// Area names by code (`areas::AreaNames`).
    pub async fn area_names(&self) -> Result<Arc<areas::AreaNames>, error::AppError> {
        self.area_cache.get(&self.pool).await
    }

    pub fn new(pool: Arc<Pool>) -> AppState {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        AppState {
            pool: pool.clone(),
            throttle: Arc::new(auth::Throttle::new(Duration::from_secs(60), 30, 10)),
            hashing: Arc::new(Semaphore::new(cores)),
            clock: Arc::new(Clock::default()),
            secure_cookies: false,
            files: Arc::new(pages::upload::Files::default()),
            audit: Arc::new(audit_writer::AuditWriter::new(pool.clone())),
            sessions: Arc::new(auth::SessionCache::default()),
            summaries: Arc::new(pages::home::SummaryCache::default()),
            printer: Arc::new(printing::PrinterSlot::default()),
            public_url: None,
            // 20 checks a minute from one address; 3,000 for everyone together, which only
            // some 150 addresses at their own limit could use up.
            verify_throttle: Arc::new(auth::Throttle::new(Duration::from_secs(60), 20, 3_000)),
            unknown_names: Arc::new(auth::UnknownNames::default()),
            area_cache: Arc::new(areas::AreaNamesCache::default()),
        }
    }
}

/// The whole app: pages, API, static assets.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(api_certificates::routes())
        .merge(api_stats::routes())
        .route("/static/app.css", axum::routing::get(stylesheet))
        .route("/static/app.js", axum::routing::get(script))
        .layer(axum::middleware::from_fn(
            pages::message::clear_shown_message,
        ))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// A handler that panicked: the client gets an answer (500), the log gets the panic, and the
/// server goes on. Nothing of the request is echoed.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request handler panicked");
    let mut res = error::ApiError(error::AppError::Internal("panic".into())).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.js"),
    )
}

/// Pages of personal data are not cached, framed or sniffed.
async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let static_asset = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    if !static_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Serves until Ctrl-C or SIGTERM (how service managers stop a server), then finishes the
/// requests under way.
pub async fn serve(state: AppState, bind: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let files = state.files.clone();
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(Duration::from_secs(3600));
        loop {
            hourly.tick().await;
            files.sweep();
        }
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await
}

async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt;

    /// A handler that panics still answers: 500 with the API's error body, and the connection
    /// is not dropped.
    #[tokio::test]
    async fn a_panicking_handler_answers_500() {
        let app = axum::Router::new()
            .route(
                "/boom",
                get(|| async {
                    let bug: Vec<u8> = Vec::new();
                    std::hint::black_box(&bug)[3].to_string()
                }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                super::panicked,
            ));
        let res = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .expect("an answer");
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "internal_error");
        assert!(!String::from_utf8_lossy(&body).contains("index out of bounds"));
    }
}
