//! Accounts, for the administrators: the system administrator adds staff accounts, disables
//! them and resets passwords; the security administrator approves what the system
//! administrator handed out, gives roles and unlocks; an administrator's reset password is
//! approved by the third (core's `account_admin`). None sees anyone's personal data. The page
//! only translates: the store's door decides by core's rule and audits allowed or refused.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use renkou_core::account::{Account, Username};
use renkou_core::{Action, AreaCode, Role};
use renkou_store::{AccountEdit, NewAccount};
use serde::Deserialize;

use super::{Chrome, OrPage, PageError, PageResult, render};
use crate::AppState;
use crate::auth::{Caller, generated_password, hash_password};
use crate::error::{AppError, local_date, local_time};

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
    /// When the account was made: its date in Beijing time.
    created: String,
    /// The account's area by name.
    area_name: String,
    /// "等待安全管理员批准"
    awaiting: Option<String>,
    /// What the caller may do to this account, by core's rule: only that is offered.
    can: Vec<&'static str>,
}

impl Shown {
    fn can(&self, what: &str) -> bool {
        self.can.contains(&what)
    }
}

/// The changes core's account rule allows the caller on this account, by their form's name.
fn offered(caller: &Caller, a: &Account) -> Vec<&'static str> {
    use renkou_core::account_admin::{AccountChange, AccountTarget, decide};
    let target = AccountTarget::of(a);
    [
        (AccountChange::Disable, "disable"),
        (AccountChange::Enable, "enable"),
        (AccountChange::ResetPassword, "reset-password"),
        (AccountChange::SetRole(Role::Centre), "role"),
        (AccountChange::Unlock, "unlock"),
        (AccountChange::Approve, "approve"),
    ]
    .into_iter()
    .filter(|(c, _)| decide(caller.scope(), &target, *c).is_ok())
    .map(|(_, name)| name)
    .collect()
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<Shown>,
    staff_roles: Vec<RoleChoice>,
    all_roles: Vec<RoleChoice>,
    can_manage: bool,
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
    let names = state.area_names().await.or_page(t)?;
    let choice = |r: &Role| RoleChoice {
        key: r.key(),
        label: t.text(&format!("role.{}", r.key())),
    };
    let failed = error.is_some();
    let mut res = render(AccountsPage {
        chrome: Chrome::new(caller, "/accounts", "/accounts"),
        accounts: accounts
            .into_iter()
            .map(|a| Shown {
                role: t.text(&format!("role.{}", a.role.key())),
                locked_until: a.locked_until.filter(|u| *u > now).map(local_time),
                created: local_date(a.created_at),
                area_name: names.label(&a.area),
                awaiting: a.awaiting_approval_by.map(|r| {
                    t.fill(
                        "accounts.awaiting",
                        &[&t.text(&format!("role.{}", r.key()))],
                    )
                }),
                can: offered(caller, &a),
                a,
            })
            .collect(),
        staff_roles: Role::ALL
            .iter()
            .filter(|r| !r.is_administrator())
            .map(choice)
            .collect(),
        all_roles: Role::ALL
            .iter()
            .filter(|r| !r.is_administrator())
            .map(choice)
            .collect(),
        can_manage: caller.allows(Action::ManageAccounts),
        message,
        error,
    });
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// Every administrator sees the accounts (no personal data in them); what each may do to
/// them is core's rule, applied by the store.
async fn require_admin(state: &AppState, caller: &Caller) -> Result<(), PageError> {
    if caller.account.role.is_administrator() {
        return Ok(());
    }
    caller
        .require(state, Action::ManageAccounts, "accounts")
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

/// The page again with what the store said: a refusal of the account rule or a field's error
/// is the administrator's to read; anything else is an error page.
async fn answer(
    state: &AppState,
    caller: &Caller,
    result: renkou_store::Result<()>,
    message: String,
) -> PageResult {
    let t = caller.t();
    // Whatever changed, sessions are checked against the database again.
    state.sessions.clear();
    let refusal = match result {
        Ok(()) => return page(state, caller, Some(message), None).await,
        Err(renkou_store::StoreError::Denied(why)) => why,
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("；"),
            other => return Err(PageError(t, other)),
        },
    };
    let mut res = page(state, caller, None, Some(refusal)).await?;
    *res.status_mut() = StatusCode::FORBIDDEN;
    Ok(res)
}

async fn hashed(t: crate::i18n::Catalog, password: &str) -> Result<String, PageError> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
        .or_page(t)
}

async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Form(form): Form<AddForm>,
) -> PageResult {
    let t = caller.t();
    caller.check_csrf(&form.csrf).or_page(t)?;
    let parsed = (|| -> Result<(Username, Role, AreaCode), String> {
        let username = Username::parse(&form.username).map_err(|e| e.to_string())?;
        let role: Role = form
            .role
            .parse()
            .map_err(|e: renkou_core::access::UnknownRole| e.to_string())?;
        let area = AreaCode::parse(&form.area).map_err(|e| e.to_string())?;
        Ok((username, role, area))
    })();
    let (username, role, area) = match parsed {
        Ok(v) => v,
        Err(e) => return page(&state, &caller, None, Some(e)).await,
    };
    let password = generated_password();
    let new = NewAccount {
        username: username.clone(),
        role,
        area,
        password_hash: hashed(t, &password).await?,
        must_change_password: true,
    };
    let actor = caller.actor.clone();
    let result = state
        .pool
        .run(move |s| s.add_account_as(&actor, new).map(drop))
        .await;
    let message = t.fill("accounts.added", &[&username, &password]);
    answer(&state, &caller, result, message).await
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
    let mut message = t.text("accounts.changed").to_string();
    let edit = match what.as_str() {
        "disable" => AccountEdit::Disable,
        "enable" => AccountEdit::Enable,
        "unlock" => AccountEdit::Unlock,
        "approve" => AccountEdit::Approve,
        "reset-password" => {
            let password = generated_password();
            message = t.fill("accounts.reset", &[&password]);
            AccountEdit::ResetPassword(hashed(t, &password).await?)
        }
        "role" => {
            let role: Role = match form.role.as_deref().unwrap_or("").parse() {
                Ok(r) => r,
                Err(e) => return page(&state, &caller, None, Some(format!("{e}"))).await,
            };
            match AreaCode::parse(form.area.as_deref().unwrap_or("")) {
                Ok(area) => AccountEdit::SetRole(role, area),
                Err(e) => return page(&state, &caller, None, Some(e.to_string())).await,
            }
        }
        _ => return Err(PageError(t, AppError::NotFound)),
    };
    let actor = caller.actor.clone();
    let result = state
        .pool
        .run(move |s| s.change_account(&actor, id, edit).map(drop))
        .await;
    answer(&state, &caller, result, message).await
}
