//! The staff pages: server-rendered, Chinese first, working without JavaScript.

pub mod accounts;
pub mod areas;
pub mod audit;
pub mod certificates;
pub mod changes;
pub mod confirm;
pub mod event_form;
pub mod export;
pub mod form;
pub mod home;
pub mod import_templates;
pub mod login;
pub mod message;
pub mod person;
pub mod person_form;
pub mod persons;
pub mod stats;
pub mod stats_charts;
pub mod upload;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use renkou_core::Action;

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::i18n::Catalog;

pub use message::redirect_with_message;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(login::routes())
        .merge(home::routes())
        .merge(changes::routes())
        .merge(areas::routes())
        .merge(persons::routes())
        .merge(person::routes())
        .merge(person_form::routes())
        .merge(event_form::routes())
        .merge(upload::routes())
        .merge(import_templates::routes())
        .merge(export::routes())
        .merge(audit::routes())
        .merge(accounts::routes())
        .merge(certificates::routes())
        .merge(stats::routes())
}

/// One entry of the left navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// One step of the area breadcrumbs.
pub struct Crumb {
    pub code: String,
    pub name: String,
}

/// What every signed-in page shows around its content.
pub struct Chrome {
    pub t: Catalog,
    pub username: String,
    pub role: &'static str,
    pub area_code: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub crumbs: Vec<Crumb>,
    /// The current path, for the language switch to come back to.
    pub here: String,
    /// What the last save did, shown once at the top (`redirect_with_message`).
    pub message: Option<String>,
    /// The account's own area by name, for the top bar.
    pub area_name: String,
}

impl Chrome {
    pub fn new(caller: &Caller, active: &str, here: &str) -> Chrome {
        let t = caller.t();
        let mut nav = Vec::new();
        let mut add = |href: &'static str, key: &str, allowed: bool| {
            if allowed {
                nav.push(NavItem {
                    href,
                    label: t.text(key),
                    active: href == active,
                });
            }
        };
        add("/", "nav.home", !caller.account.role.is_administrator());
        add(
            "/persons",
            "nav.register",
            caller.allows(Action::ListPersons),
        );
        add(
            "/areas",
            "nav.areas",
            !caller.account.role.is_administrator() || caller.allows(Action::ManageAreas),
        );
        add(
            "/persons/new",
            "nav.new_person",
            caller.allows(Action::EditPerson),
        );
        add(
            "/certificates",
            "nav.certificates",
            caller.allows(Action::ViewCertificates),
        );
        add("/stats", "nav.stats", caller.allows(Action::ViewStatistics));
        add("/upload", "nav.upload", caller.allows(Action::ImportFile));
        add(
            "/accounts",
            "nav.accounts",
            caller.allows(Action::ManageAccounts) || caller.allows(Action::ManageSecurity),
        );
        add("/audit", "nav.audit", caller.allows(Action::ReadAudit));
        Chrome {
            t,
            username: caller.account.username.to_string(),
            role: t.text(&format!("role.{}", caller.account.role.key())),
            area_code: caller.account.area.to_string(),
            csrf: caller.csrf.clone(),
            nav,
            crumbs: Vec::new(),
            here: here.to_string(),
            message: caller.message.clone(),
            area_name: caller.area_name.clone(),
        }
    }

    /// Breadcrumbs of an area's path (from `Store::area_path`).
    pub fn with_path(mut self, path: Vec<renkou_core::Area>) -> Chrome {
        self.crumbs = path
            .into_iter()
            .map(|a| Crumb {
                code: a.code.to_string(),
                name: a.name,
            })
            .collect();
        self
    }
}

/// Renders a template into a response; a template error is an internal error page.
pub fn render(page: impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Catalog,
    status: u16,
    message: String,
}

/// An error as a page in the reader's language.
pub fn error_page(t: Catalog, e: AppError) -> Response {
    if let AppError::Internal(detail) = &e {
        tracing::error!(%detail, "internal error");
    }
    let status = e.status();
    let mut res = render(ErrorPage {
        t,
        status: status.as_u16(),
        message: e.message(t),
    });
    *res.status_mut() = status;
    res
}

/// A page handler's error: shown as a page.
pub struct PageError(pub Catalog, pub AppError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.0, self.1)
    }
}

pub type PageResult = Result<Response, PageError>;

/// Attaches the caller's language to an error.
pub trait OrPage<V> {
    fn or_page(self, t: Catalog) -> Result<V, PageError>;
}

impl<V, E: Into<AppError>> OrPage<V> for Result<V, E> {
    fn or_page(self, t: Catalog) -> Result<V, PageError> {
        self.map_err(|e| PageError(t, e.into()))
    }
}
