//! Accounts, for the two administrators who manage them: the system administrator adds staff
//! accounts, disables them and resets passwords; the security administrator gives roles and
//! unlocks. Neither sees anyone's personal data, and every change is audited.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use renkou_core::account::{Account, Username};
use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::{Action, AreaCode, Role};
use renkou_store::NewAccount;
use serde::Deserialize;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, generated_password, hash_password};
use crate::error::{AppError, local_time};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list).post(add))
        .route("/accounts/{id}/{change}", post(change))
}

struct RoleChoice {
    key: &'static str,
    label: &'static str,
}

struct Shown {
    a: Account,
    role: &'static str,
    locked_until: Option<String>,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<Shown>,
    staff_roles: Vec<RoleChoice>,
    all_roles: Vec<RoleChoice>,
    can_manage: bool,
    can_secure: bool,
    message: Option<String>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    caller: &Caller,
    message: Option<String>,
    error: Option<String>,
) -> PageResult {
    let t = caller.t();
    let now = state.clock.now();
    let accounts = state.pool.run(|s| s.accounts()).await.or_page(t)?;
    let choice = |r: &Role| RoleChoice {
        key: r.key(),
        label: t.s(&format!("role.{}", r.key())),
    };
    let failed = error.is_some();
    let mut res = render(AccountsPage {
        chrome: Chrome::new(caller, "/accounts", "/accounts"),
        accounts: accounts
            .into_iter()
            .map(|a| Shown {
                role: t.s(&format!("role.{}", a.role.key())),
                locked_until: a.locked_until.filter(|u| *u > now).map(local_time),
                a,
            })
            .collect(),
        staff_roles: Role::ALL
            .iter()
            .filter(|r| !r.is_administrator())
            .map(choice)
            .collect(),
        all_roles: Role::ALL.iter().map(choice).collect(),
        can_manage: caller.allows(Action::ManageAccounts),
        can_secure: caller.allows(Action::ManageSecurity),
        message,
        error,
    });
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn require_admin(state: &AppState, caller: &Caller) -> Result<(), PageError> {
    if caller.allows(Action::ManageAccounts) {
        return Ok(());
    }
    caller
        .require(state, Action::ManageSecurity, "accounts")
        .await
        .or_page(caller.t())
}

async fn list(State(state): State<AppState>, caller: Caller) -> PageResult {
    require_admin(&state, &caller).await?;
    page(&state, &caller, None, None).await
}

#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    area: String,
}

async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<AddForm>,
) -> PageResult {
    let t = caller.t();
    caller.check_csrf(&form.csrf).or_page(t)?;
    caller
        .require(&state, Action::ManageAccounts, "accounts")
        .await
        .or_page(t)?;
    let parsed = (|| -> Result<(Username, Role, AreaCode), String> {
        let username = Username::parse(&form.username).map_err(|e| e.to_string())?;
        let role: Role = form
            .role
            .parse()
            .map_err(|e: renkou_core::access::UnknownRole| e.to_string())?;
        // Administrator roles are the security administrator's to give.
        if role.is_administrator() {
            return Err(t.s("accounts.admin_roles_by_security").to_string());
        }
        let area = AreaCode::parse(&form.area).map_err(|e| e.to_string())?;
        Ok((username, role, area))
    })();
    let (username, role, area) = match parsed {
        Ok(v) => v,
        Err(e) => return page(&state, &caller, None, Some(e)).await,
    };
    let password = generated_password();
    let hash = {
        let pw = password.clone();
        tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
            .or_page(t)?
    };
    let entry = caller
        .actor
        .entry(AuditAction::AccountAdd, "account", AuditResult::Ok)
        .detail(format!("role={} area={}", role.key(), area));
    let new = NewAccount {
        username: username.clone(),
        role,
        area,
        password_hash: hash,
        must_change_password: true,
    };
    match state.pool.run(move |s| s.add_account(new, entry)).await {
        Ok(_) => {
            let message = t.f("accounts.added", &[&username, &password]);
            page(&state, &caller, Some(message), None).await
        }
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                let msg = errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("；");
                page(&state, &caller, None, Some(msg)).await
            }
            other => Err(PageError(t, other)),
        },
    }
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    role: Option<String>,
    area: Option<String>,
}

async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, what)): Path<(i64, String)>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, PageError> {
    let t = caller.t();
    caller.check_csrf(&form.csrf).or_page(t)?;
    let needs = match what.as_str() {
        "disable" | "enable" | "reset-password" => Action::ManageAccounts,
        "role" | "unlock" => Action::ManageSecurity,
        _ => return Err(PageError(t, AppError::NotFound)),
    };
    caller.require(&state, needs, "account").await.or_page(t)?;
    if id == caller.account.id && what != "unlock" {
        return page(
            &state,
            &caller,
            None,
            Some(t.s("accounts.not_yourself").to_string()),
        )
        .await;
    }
    let mut message = t.s("accounts.changed").to_string();
    let actor = caller.actor.clone();
    let result = match what.as_str() {
        "disable" | "enable" => {
            let disable = what == "disable";
            let action = if disable {
                AuditAction::AccountDisable
            } else {
                AuditAction::AccountEnable
            };
            let entry = actor.entry(action, "account", AuditResult::Ok);
            state
                .pool
                .run(move |s| s.set_disabled(id, disable, entry))
                .await
        }
        "reset-password" => {
            let password = generated_password();
            let pw = password.clone();
            let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))
                .or_page(t)?;
            let entry = actor.entry(
                AuditAction::AccountResetPassword,
                "account",
                AuditResult::Ok,
            );
            message = t.f("accounts.reset", &[&password]);
            state
                .pool
                .run(move |s| s.set_password(id, &hash, true, entry))
                .await
        }
        "unlock" => {
            let entry = actor.entry(AuditAction::AccountUnlock, "account", AuditResult::Ok);
            state.pool.run(move |s| s.unlock(id, entry)).await
        }
        _ => {
            let role: Role = match form.role.as_deref().unwrap_or("").parse() {
                Ok(r) => r,
                Err(e) => return page(&state, &caller, None, Some(format!("{e}"))).await,
            };
            let area = match AreaCode::parse(form.area.as_deref().unwrap_or("")) {
                Ok(a) => a,
                Err(e) => return page(&state, &caller, None, Some(e.to_string())).await,
            };
            let entry = actor
                .entry(AuditAction::AccountRole, "account", AuditResult::Ok)
                .detail(format!("role={} area={}", role.key(), area));
            state
                .pool
                .run(move |s| s.set_role(id, role, &area, entry))
                .await
        }
    };
    // Whatever changed, sessions are checked against the database again.
    state.sessions.clear();
    match result {
        Ok(()) => page(&state, &caller, Some(message), None).await,
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                let msg = errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("；");
                page(&state, &caller, None, Some(msg)).await
            }
            other => Err(PageError(t, other)),
        },
    }
}
