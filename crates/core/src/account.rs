//! Staff accounts: usernames, the password policy, and the lockout rule. Hashing lives with the
//! web layer (it is compute, and the CLI shares it); the rules live here.

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::area::AreaCode;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("用户名需要3到32个字符")]
    Length,
    #[error("用户名只能包含小写字母、数字、点、下划线和连字符")]
    Characters,
}

impl Username {
    pub fn parse(input: &str) -> Result<Self, UsernameError> {
        let s = input.trim();
        if !(3..=32).contains(&s.chars().count()) {
            return Err(UsernameError::Length);
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        {
            return Err(UsernameError::Characters);
        }
        Ok(Username(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("密码至少需要8个字符")]
    TooShort,
    #[error("密码需要包含大写字母、小写字母、数字、符号中的至少三类")]
    TooFewKinds,
    #[error("密码不能包含用户名")]
    ContainsUsername,
}

/// The policy: at least 8 characters, of at least three kinds (upper, lower, digit, other), and
/// not the username.
pub fn check_password(password: &str, username: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let kinds = [
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| {
            !c.is_alphanumeric() || (c.is_alphabetic() && !c.is_uppercase() && !c.is_lowercase())
        }),
    ];
    if kinds.iter().filter(|k| **k).count() < 3 {
        return Err(PasswordError::TooFewKinds);
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(PasswordError::ContainsUsername);
    }
    Ok(())
}

/// Failures that count towards a lock, the window they must fall in, and how long it lasts.
pub const LOCK_AFTER_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
pub const LOCK_DURATION: SignedDuration = SignedDuration::from_mins(30);
/// A session (or API token) unused this long is over.
pub const SESSION_IDLE: SignedDuration = SignedDuration::from_mins(30);

/// An account as the store keeps it, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub username: Username,
    pub role: Role,
    pub area: AreaCode,
    pub disabled: bool,
    /// Set for a generated or reset password: the next login must choose a new one.
    pub must_change_password: bool,
    pub locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    /// A credential one administrator set, waiting for this role's approval before the
    /// account can sign in (see `account_admin`).
    pub awaiting_approval_by: Option<Role>,
}

impl Account {
    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

/// The lockout rule, on the failures the store counted: `failures` within the window ending
/// `now`, this one included. Returns when the lock ends, if this failure locks the account.
pub fn lock_after_failure(failures_in_window: u32, now: Timestamp) -> Option<Timestamp> {
    (failures_in_window >= LOCK_AFTER_FAILURES).then(|| now + LOCK_DURATION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy_names_what_is_missing() {
        assert_eq!(check_password("Ab1!", "wang"), Err(PasswordError::TooShort));
        assert_eq!(
            check_password("abcdefgh1", "wang"),
            Err(PasswordError::TooFewKinds)
        );
        assert_eq!(check_password("abcdefG1", "wang"), Ok(()));
        assert_eq!(check_password("abcdef-1", "wang"), Ok(()));
        assert_eq!(
            check_password("Wang.li2026", "wang.li"),
            Err(PasswordError::ContainsUsername)
        );
        // Chinese characters count as characters, and as a kind of their own.
        assert_eq!(check_password("人口服务abc1", "wang"), Ok(()));
    }

    #[test]
    fn usernames_are_plain() {
        assert!(Username::parse("li.ming-2").is_ok());
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse("Li Ming"), Err(UsernameError::Characters));
    }

    #[test]
    fn the_fifth_failure_locks_for_thirty_minutes() {
        let now: Timestamp = "2026-11-28T10:00:00Z".parse().unwrap();
        assert_eq!(lock_after_failure(4, now), None);
        assert_eq!(
            lock_after_failure(5, now),
            Some("2026-11-28T10:30:00Z".parse().unwrap())
        );
    }
}
