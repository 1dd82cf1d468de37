//! Staff accounts, login failures and sessions. Every change here is audited in its own
//! transaction: the caller passes the audit entry and it is written with the change.

use jiff::Timestamp;
use renkou_core::account::{Account, FAILURE_WINDOW, SESSION_IDLE, Username, lock_after_failure};
use renkou_core::account_admin::{self, AccountChange, AccountTarget};
use renkou_core::audit::{AuditAction, AuditEntry, AuditResult};
use renkou_core::{Actor, AreaCode, Role};

use crate::db::{Db, SqlValue};
use crate::{Result, Store, StoreError, Tx};

/// A new account: the password arrives already hashed (argon2id, by the caller).
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Username,
    pub role: Role,
    pub area: AreaCode,
    pub password_hash: String,
    pub must_change_password: bool,
}

/// A browser session or an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    fn key(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }
}

/// A live session: whose, and the token its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub last_seen_at: Timestamp,
}

const ACCOUNT_COLUMNS: &str = "id, username, role, area_code, disabled, must_change_password, \
    locked_until, created_at, awaiting_approval_by, password_hash";

/// Times compared in SQL are written with a fixed width (microseconds, always six digits), so
/// text order is time order.
pub(crate) fn stamp(t: Timestamp) -> String {
    format!(
        "{}.{:06}Z",
        t.strftime("%Y-%m-%dT%H:%M:%S"),
        t.subsec_microsecond()
    )
}

fn ts(v: &SqlValue) -> Option<Timestamp> {
    v.text().and_then(|t| t.parse().ok())
}

fn account_from(row: &[SqlValue]) -> Result<(Account, String)> {
    let bad = |what: &str| StoreError::Database(format!("账户表中的{what}无效"));
    let account = Account {
        id: row[0].int().ok_or_else(|| bad("id"))?,
        username: Username::parse(&row[1].text().unwrap_or_default()).map_err(|_| bad("用户名"))?,
        role: row[2]
            .text()
            .unwrap_or_default()
            .parse()
            .map_err(|_| bad("角色"))?,
        area: AreaCode::parse(&row[3].text().unwrap_or_default()).map_err(|_| bad("区划"))?,
        disabled: row[4].bool(),
        must_change_password: row[5].bool(),
        locked_until: ts(&row[6]),
        created_at: ts(&row[7]).ok_or_else(|| bad("创建时间"))?,
        awaiting_approval_by: match row[8].text() {
            Some(r) => Some(r.parse().map_err(|_| bad("待批准角色"))?),
            None => None,
        },
    };
    Ok((account, row[9].text().unwrap_or_default()))
}

fn account_where(
    db: &mut dyn Db,
    column: &str,
    value: SqlValue,
) -> Result<Option<(Account, String)>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = ?1");
    db.query(&sql, &[value])?
        .first()
        .map(|r| account_from(r))
        .transpose()
}

impl Tx<'_> {
    fn account_where(
        &mut self,
        column: &str,
        value: SqlValue,
    ) -> Result<Option<(Account, String)>> {
        account_where(self.db, column, value)
    }

    fn end_sessions_of(&mut self, account_id: i64) -> Result<()> {
        self.db.exec(
            "DELETE FROM sessions WHERE account_id = ?1",
            &[account_id.into()],
        )?;
        Ok(())
    }

    /// One change to an account's row, and the sessions it ends (a disabled account, a new
    /// password, a new scope). `awaiting` is the approval a reset password waits for.
    fn edit_account(&mut self, id: i64, edit: &AccountEdit, awaiting: Option<Role>) -> Result<()> {
        let changed = match edit {
            AccountEdit::Disable | AccountEdit::Enable => self.db.exec(
                "UPDATE accounts SET disabled = ?1 WHERE id = ?2",
                &[matches!(edit, AccountEdit::Disable).into(), id.into()],
            )?,
            AccountEdit::ResetPassword(hash) => self.db.exec(
                "UPDATE accounts SET password_hash = ?1, must_change_password = ?2, \
                 awaiting_approval_by = ?3 WHERE id = ?4",
                &[
                    hash.as_str().into(),
                    true.into(),
                    awaiting.map(|r| r.key().to_string()).into(),
                    id.into(),
                ],
            )?,
            AccountEdit::SetRole(role, area) => {
                self.check_area(area, "area")?;
                self.db.exec(
                    "UPDATE accounts SET role = ?1, area_code = ?2 WHERE id = ?3",
                    &[role.key().into(), area.as_str().into(), id.into()],
                )?
            }
            AccountEdit::Unlock => {
                self.db.exec(
                    "DELETE FROM login_failures WHERE account_id = ?1",
                    &[id.into()],
                )?;
                self.db.exec(
                    "UPDATE accounts SET locked_until = NULL WHERE id = ?1",
                    &[id.into()],
                )?
            }
            AccountEdit::Approve => self.db.exec(
                "UPDATE accounts SET awaiting_approval_by = NULL WHERE id = ?1",
                &[id.into()],
            )?,
        };
        if changed == 0 {
            return Err(StoreError::NotFound(format!("账户 {id}")));
        }
        if matches!(
            edit,
            AccountEdit::Disable | AccountEdit::ResetPassword(_) | AccountEdit::SetRole(..)
        ) {
            self.end_sessions_of(id)?;
        }
        Ok(())
    }
}

/// What an administrator does to an existing account on the web, with what it needs.
#[derive(Debug, Clone)]
pub enum AccountEdit {
    Disable,
    Enable,
    /// The new password, already hashed.
    ResetPassword(String),
    SetRole(Role, AreaCode),
    Unlock,
    Approve,
}

impl AccountEdit {
    fn change(&self) -> AccountChange {
        match self {
            AccountEdit::Disable => AccountChange::Disable,
            AccountEdit::Enable => AccountChange::Enable,
            AccountEdit::ResetPassword(_) => AccountChange::ResetPassword,
            AccountEdit::SetRole(role, _) => AccountChange::SetRole(*role),
            AccountEdit::Unlock => AccountChange::Unlock,
            AccountEdit::Approve => AccountChange::Approve,
        }
    }

    fn action(&self) -> AuditAction {
        match self {
            AccountEdit::Disable => AuditAction::AccountDisable,
            AccountEdit::Enable => AuditAction::AccountEnable,
            AccountEdit::ResetPassword(_) => AuditAction::AccountResetPassword,
            AccountEdit::SetRole(..) => AuditAction::AccountRole,
            AccountEdit::Unlock => AuditAction::AccountUnlock,
            AccountEdit::Approve => AuditAction::AccountApprove,
        }
    }
}

impl Store {
    /// A refusal of core's account rule, audited in a transaction of its own.
    fn refuse_account_change(
        &mut self,
        actor: &Actor,
        action: AuditAction,
        id: Option<i64>,
        reason: &str,
    ) -> StoreError {
        let mut entry = actor.entry(action, "account", AuditResult::Denied);
        if let Some(id) = id {
            entry = entry.object(id);
        }
        match self.audit(entry) {
            Ok(()) => StoreError::Denied(reason.to_string()),
            Err(e) => e,
        }
    }

    /// A staff account made by an administrator on the web. Core's account rule decides; the
    /// account then waits for the security administrator's approval.
    pub fn add_account_as(&mut self, actor: &Actor, new: NewAccount) -> Result<Account> {
        let target = AccountTarget {
            id: None,
            role: new.role,
            area: new.area.clone(),
            awaiting_approval_by: None,
        };
        let allowed =
            match account_admin::decide(&actor.scope, &target, AccountChange::Add(new.role)) {
                Ok(a) => a,
                Err(why) => {
                    return Err(self.refuse_account_change(
                        actor,
                        AuditAction::AccountAdd,
                        None,
                        why,
                    ));
                }
            };
        let audit = actor
            .entry(AuditAction::AccountAdd, "account", AuditResult::Ok)
            .detail(format!("role={} area={}", new.role.key(), new.area));
        self.insert_account(new, allowed.awaiting_approval_by, audit)
    }

    /// An administrator's change to an account on the web: decided by core's account rule,
    /// carried out with its audit row in one transaction, or refused and audited as refused.
    pub fn change_account(&mut self, actor: &Actor, id: i64, edit: AccountEdit) -> Result<Account> {
        let action = edit.action();
        let Some((account, _)) = account_where(self.db.as_mut(), "id", id.into())? else {
            self.refuse_account_change(actor, action, Some(id), "没有这个账户");
            return Err(StoreError::NotFound(format!("账户 {id}")));
        };
        let mut decided =
            account_admin::decide(&actor.scope, &AccountTarget::of(&account), edit.change());
        if let AccountEdit::SetRole(_, area) = &edit
            && !actor.scope.covers_area(area)
        {
            decided = Err("新的区划不在本账户的管辖区域内");
        }
        let allowed = match decided {
            Ok(a) => a,
            Err(why) => return Err(self.refuse_account_change(actor, action, Some(id), why)),
        };
        let mut audit = actor.entry(action, "account", AuditResult::Ok).object(id);
        if let AccountEdit::SetRole(role, area) = &edit {
            audit = audit.detail(format!("role={} area={area}", role.key()));
        }
        self.transaction(|tx| {
            tx.edit_account(id, &edit, allowed.awaiting_approval_by)?;
            tx.audit(audit)?;
            Ok(tx.account_where("id", id.into())?.expect("still there").0)
        })
    }

    /// An account made at the server's command line (by whoever runs the server): the way
    /// administrators' own accounts are made, and nothing waits for approval.
    pub fn add_account(&mut self, new: NewAccount, audit: AuditEntry) -> Result<Account> {
        self.insert_account(new, None, audit)
    }

    fn insert_account(
        &mut self,
        new: NewAccount,
        awaiting_approval_by: Option<Role>,
        audit: AuditEntry,
    ) -> Result<Account> {
        self.transaction(|tx| {
            if tx
                .account_where("username", new.username.as_str().into())?
                .is_some()
            {
                return Err(StoreError::rejected(
                    "username",
                    format!("用户名 {} 已被使用", new.username),
                ));
            }
            tx.check_area(&new.area, "area")?;
            let rows = tx.db.query(
                "INSERT INTO accounts (username, role, area_code, password_hash, must_change_password, \
                 created_at, awaiting_approval_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                &[
                    new.username.as_str().into(),
                    new.role.key().into(),
                    new.area.as_str().into(),
                    new.password_hash.clone().into(),
                    new.must_change_password.into(),
                    crate::now().to_string().into(),
                    awaiting_approval_by.map(|r| r.key().to_string()).into(),
                ],
            )?;
            let id = rows[0][0].int().unwrap_or_default();
            tx.audit(audit.object(id))?;
            Ok(tx.account_where("id", id.into())?.expect("just inserted").0)
        })
    }

    pub fn accounts(&mut self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY username");
        self.db
            .query(&sql, &[])?
            .iter()
            .map(|r| account_from(r).map(|(a, _)| a))
            .collect()
    }

    pub fn account(&mut self, id: i64) -> Result<Option<Account>> {
        Ok(account_where(self.db.as_mut(), "id", id.into())?.map(|(a, _)| a))
    }

    /// The account and its password hash, for a login.
    pub fn account_for_login(&mut self, username: &str) -> Result<Option<(Account, String)>> {
        account_where(self.db.as_mut(), "username", username.into())
    }

    /// Sets a new password hash; every session of the account ends.
    pub fn set_password(
        &mut self,
        id: i64,
        password_hash: &str,
        must_change: bool,
        audit: AuditEntry,
    ) -> Result<()> {
        self.transaction(|tx| {
            let n = tx.db.exec(
                "UPDATE accounts SET password_hash = ?1, must_change_password = ?2 WHERE id = ?3",
                &[password_hash.into(), must_change.into(), id.into()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("账户 {id}")));
            }
            tx.end_sessions_of(id)?;
            tx.audit(audit.object(id))
        })
    }

    /// Disables or enables an account at the command line; disabling ends its sessions.
    pub fn set_disabled(&mut self, id: i64, disabled: bool, audit: AuditEntry) -> Result<()> {
        let edit = if disabled {
            AccountEdit::Disable
        } else {
            AccountEdit::Enable
        };
        self.transaction(|tx| {
            tx.edit_account(id, &edit, None)?;
            tx.audit(audit.object(id))
        })
    }

    /// Gives an account another role or area; its sessions end, so the new scope applies now.
    pub fn set_role(
        &mut self,
        id: i64,
        role: Role,
        area: &AreaCode,
        audit: AuditEntry,
    ) -> Result<()> {
        let edit = AccountEdit::SetRole(role, area.clone());
        self.transaction(|tx| {
            tx.edit_account(id, &edit, None)?;
            tx.audit(audit.object(id))
        })
    }

    pub fn unlock(&mut self, id: i64, audit: AuditEntry) -> Result<()> {
        self.transaction(|tx| {
            tx.edit_account(id, &AccountEdit::Unlock, None)?;
            tx.audit(audit.object(id))
        })
    }

    /// Counts a failed login (or a wrong current password) and locks the account on the fifth
    /// within the window; a locked account's sessions end. Returns the end of the lock when
    /// this failure caused one. The audit row goes in the same transaction.
    pub fn login_failed(
        &mut self,
        account_id: i64,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<Option<Timestamp>> {
        self.transaction(|tx| {
            tx.db.exec(
                "INSERT INTO login_failures (account_id, at) VALUES (?1, ?2)",
                &[account_id.into(), stamp(now).into()],
            )?;
            let since = stamp(now - FAILURE_WINDOW);
            let rows = tx.db.query(
                "SELECT count(*) FROM login_failures WHERE account_id = ?1 AND at > ?2",
                &[account_id.into(), since.into()],
            )?;
            let failures = rows[0][0].int().unwrap_or_default() as u32;
            let lock = lock_after_failure(failures, now);
            if let Some(until) = lock {
                tx.db.exec(
                    "UPDATE accounts SET locked_until = ?1 WHERE id = ?2",
                    &[until.to_string().into(), account_id.into()],
                )?;
                tx.db.exec(
                    "DELETE FROM login_failures WHERE account_id = ?1",
                    &[account_id.into()],
                )?;
                tx.end_sessions_of(account_id)?;
            }
            let audit = match lock {
                Some(until) => audit.detail(format!("locked_until={until}")),
                None => audit.detail(format!("failures={failures}")),
            };
            tx.audit(audit)?;
            Ok(lock)
        })
    }

    /// Starts a session for a successful login (or a token request): the failures so far are
    /// forgotten, and only the SHA-256 of the secret is stored.
    pub fn start_session(
        &mut self,
        account_id: i64,
        kind: SessionKind,
        token_hash: &str,
        csrf_token: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<()> {
        self.transaction(|tx| {
            tx.db.exec(
                "DELETE FROM login_failures WHERE account_id = ?1",
                &[account_id.into()],
            )?;
            // Sessions idle past their time are removed as new ones start.
            let stale = stamp(now - SESSION_IDLE);
            tx.db.exec(
                "DELETE FROM sessions WHERE last_seen_at < ?1",
                &[stale.into()],
            )?;
            tx.db.exec(
                "INSERT INTO sessions (token_hash, account_id, kind, csrf_token, created_at, last_seen_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                &[
                    token_hash.into(),
                    account_id.into(),
                    kind.key().into(),
                    csrf_token.into(),
                    stamp(now).into(),
                ],
            )?;
            tx.audit(audit)
        })
    }

    /// The live session for a token's hash, or None when there is none, it has been idle too
    /// long (it is removed), or its account is disabled.
    pub fn session(&mut self, token_hash: &str, now: Timestamp) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT s.kind, s.csrf_token, s.last_seen_at, {} FROM sessions s \
             JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?1",
            ACCOUNT_COLUMNS
                .split(", ")
                .map(|c| format!("a.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = self.db.query(&sql, &[token_hash.into()])?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let last_seen = ts(&row[2]).unwrap_or(Timestamp::UNIX_EPOCH);
        let (account, _) = account_from(&row[3..])?;
        if now - SESSION_IDLE > last_seen
            || account.disabled
            || account.awaiting_approval_by.is_some()
        {
            self.db.exec(
                "DELETE FROM sessions WHERE token_hash = ?1",
                &[token_hash.into()],
            )?;
            return Ok(None);
        }
        // Writing on every request would serialise readers on the write lock; a minute's
        // precision is plenty for a 30-minute idle limit.
        if now.duration_since(last_seen).as_secs() >= 60 {
            self.db.exec(
                "UPDATE sessions SET last_seen_at = ?1 WHERE token_hash = ?2",
                &[stamp(now).into(), token_hash.into()],
            )?;
        }
        let kind = if row[0].text().as_deref() == Some("api") {
            SessionKind::Api
        } else {
            SessionKind::Browser
        };
        Ok(Some(Session {
            account,
            kind,
            csrf_token: row[1].text().unwrap_or_default(),
            last_seen_at: last_seen,
        }))
    }

    /// Ends a session (logout): its cookie or token no longer works.
    pub fn end_session(&mut self, token_hash: &str, audit: AuditEntry) -> Result<()> {
        self.transaction(|tx| {
            tx.db.exec(
                "DELETE FROM sessions WHERE token_hash = ?1",
                &[token_hash.into()],
            )?;
            tx.audit(audit)
        })
    }
}
