//! Who may change which account, and how (等保 三员分立: the system, security and audit
//! administrators each keep to their own duty, and none can become another or reach personal
//! data alone).
//!
//! The rule that makes it hold: a credential one administrator hands out (a new account's
//! password, a reset password) opens nothing until a second administrator approves it. The
//! system administrator makes staff accounts and resets their passwords; the security
//! administrator approves them, gives roles and unlocks. Administrators' own accounts are made
//! on the server (`renkou users add`); on the web an administrator's password is reset by one
//! of the other two and approved by the third (`ADMIN_PASSWORDS`), and never reset by the
//! system administrator.

use crate::access::{Role, Scope};
use crate::account::Account;
use crate::area::AreaCode;

/// What an administrator asks to do to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    /// A new staff account with this role.
    Add(Role),
    Disable,
    Enable,
    ResetPassword,
    /// Another role (the area comes with it).
    SetRole(Role),
    Unlock,
    /// Let a credential another administrator set be used.
    Approve,
}

/// The account a change is about: an existing one, or the one `Add` would make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTarget {
    /// None for an account not yet made.
    pub id: Option<i64>,
    pub role: Role,
    pub area: AreaCode,
    pub awaiting_approval_by: Option<Role>,
}

impl AccountTarget {
    pub fn of(account: &Account) -> Self {
        AccountTarget {
            id: Some(account.id),
            role: account.role,
            area: account.area.clone(),
            awaiting_approval_by: account.awaiting_approval_by,
        }
    }
}

/// Allowed: what the change leaves the account waiting for, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    /// The role whose approval the account now needs before it can sign in.
    pub awaiting_approval_by: Option<Role>,
}

/// An administrator's password: (whose, reset by, approved by). Each by the two others, so
/// that no administrator alone can take over another's account; the system administrator,
/// who makes the accounts, never resets an administrator's password (it only approves).
pub const ADMIN_PASSWORDS: [(Role, Role, Role); 3] = [
    (Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin),
    (Role::SecurityAdmin, Role::AuditAdmin, Role::SystemAdmin),
    (Role::AuditAdmin, Role::SecurityAdmin, Role::SystemAdmin),
];

/// Who resets an administrator's password, and who approves the reset.
fn admin_password_rule(target: Role) -> Option<(Role, Role)> {
    ADMIN_PASSWORDS
        .iter()
        .find(|(whose, _, _)| *whose == target)
        .map(|(_, by, approver)| (*by, *approver))
}

/// Decides a change, or says why not (the words an administrator reads).
pub fn decide(
    actor: &Scope,
    target: &AccountTarget,
    change: AccountChange,
) -> Result<Allowed, &'static str> {
    use AccountChange::*;
    let role = actor.role;
    if !role.is_administrator() {
        return Err("只有管理员可以管理账户");
    }
    if target.id == Some(actor.account_id) {
        return Err("不能在这里更改自己的账户；修改密码请用“修改密码”");
    }
    if !actor.covers_area(&target.area) {
        return Err("该账户不在本账户的管辖区域内");
    }
    let staff = !target.role.is_administrator();
    let done = Allowed {
        awaiting_approval_by: target.awaiting_approval_by,
    };
    match change {
        Add(new_role) => {
            if role != Role::SystemAdmin {
                return Err("账户由系统管理员创建");
            }
            if new_role.is_administrator() {
                return Err("管理员账户只能在服务器上用 renkou users add 创建");
            }
            // The system administrator knows the first password: it opens nothing until the
            // security administrator has approved the account and its role.
            Ok(Allowed {
                awaiting_approval_by: Some(Role::SecurityAdmin),
            })
        }
        Disable | Enable => {
            if role != Role::SystemAdmin {
                return Err("停用和启用账户是系统管理员的职责");
            }
            if !staff {
                return Err("管理员账户只能在服务器上停用或启用");
            }
            Ok(done)
        }
        ResetPassword if staff => {
            if role != Role::SystemAdmin {
                return Err("工作人员的密码由系统管理员重置");
            }
            Ok(Allowed {
                awaiting_approval_by: Some(Role::SecurityAdmin),
            })
        }
        ResetPassword => match admin_password_rule(target.role) {
            Some((by, approver)) if by == role => Ok(Allowed {
                awaiting_approval_by: Some(approver),
            }),
            Some((by, _)) => Err(match by {
                Role::AuditAdmin => "这个管理员的密码由审计管理员重置",
                Role::SystemAdmin => "这个管理员的密码由系统管理员重置",
                _ => "这个管理员的密码由安全管理员重置",
            }),
            None => Err("管理员账户只能在服务器上重置"),
        },
        SetRole(new_role) => {
            if role != Role::SecurityAdmin {
                return Err("角色由安全管理员授予");
            }
            if !staff || new_role.is_administrator() {
                return Err("管理员的角色不能在这里更改");
            }
            Ok(done)
        }
        Unlock => {
            if role != Role::SecurityAdmin {
                return Err("解锁是安全管理员的职责");
            }
            Ok(done)
        }
        Approve => match target.awaiting_approval_by {
            None => Err("该账户没有等待批准的事项"),
            Some(approver) if approver == role => Ok(Allowed {
                awaiting_approval_by: None,
            }),
            Some(_) => Err("该账户等待另一位管理员批准"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AreaCode {
        AreaCode::parse(s).unwrap()
    }

    fn target(role: Role, waiting: Option<Role>) -> AccountTarget {
        AccountTarget {
            id: Some(99),
            role,
            area: code("340705001"),
            awaiting_approval_by: waiting,
        }
    }

    /// The whole rule, written out: every administrator × every change × a staff account and
    /// each administrator's account. A change to any cell fails here and must be made on purpose.
    #[test]
    fn the_account_rule_as_a_whole() {
        use AccountChange::*;
        let changes = [
            (Disable, "disable"),
            (Enable, "enable"),
            (ResetPassword, "reset"),
            (SetRole(Role::Centre), "role"),
            (Unlock, "unlock"),
        ];
        let mut table = Vec::new();
        for admin in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            let actor = Scope::new(1, admin, code("340705"));
            for whose in [
                Role::Station,
                Role::SystemAdmin,
                Role::SecurityAdmin,
                Role::AuditAdmin,
            ] {
                let allowed: Vec<String> = changes
                    .iter()
                    .filter_map(|(c, name)| {
                        decide(&actor, &target(whose, None), *c).ok().map(|a| {
                            match a.awaiting_approval_by {
                                Some(r) => format!("{name}→{}", r.key()),
                                None => name.to_string(),
                            }
                        })
                    })
                    .collect();
                table.push(format!(
                    "{} on {}: {}",
                    admin.key(),
                    whose.key(),
                    allowed.join(" ")
                ));
            }
        }
        assert_eq!(
            table,
            [
                "system_admin on station: disable enable reset→security_admin",
                "system_admin on system_admin: ",
                "system_admin on security_admin: ",
                "system_admin on audit_admin: ",
                "security_admin on station: role unlock",
                "security_admin on system_admin: reset→audit_admin unlock",
                "security_admin on security_admin: unlock",
                "security_admin on audit_admin: reset→system_admin unlock",
                "audit_admin on station: ",
                "audit_admin on system_admin: ",
                "audit_admin on security_admin: reset→system_admin",
                "audit_admin on audit_admin: ",
            ]
        );
    }

    #[test]
    fn a_new_account_waits_for_the_security_administrator() {
        let sys = Scope::new(1, Role::SystemAdmin, code("340705"));
        let new = AccountTarget {
            id: None,
            role: Role::Station,
            area: code("340705"),
            awaiting_approval_by: None,
        };
        assert_eq!(
            decide(&sys, &new, AccountChange::Add(Role::Station)),
            Ok(Allowed {
                awaiting_approval_by: Some(Role::SecurityAdmin)
            })
        );
        for admin in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            assert!(decide(&sys, &new, AccountChange::Add(admin)).is_err());
        }
        let sec = Scope::new(2, Role::SecurityAdmin, code("340705"));
        assert!(decide(&sec, &new, AccountChange::Add(Role::Station)).is_err());
    }

    #[test]
    fn only_the_named_approver_approves_and_never_the_one_who_set_it() {
        let waiting = target(Role::Station, Some(Role::SecurityAdmin));
        for (admin, ok) in [
            (Role::SystemAdmin, false),
            (Role::SecurityAdmin, true),
            (Role::AuditAdmin, false),
        ] {
            let actor = Scope::new(1, admin, code("340705"));
            assert_eq!(
                decide(&actor, &waiting, AccountChange::Approve).is_ok(),
                ok,
                "{admin}"
            );
        }
        // For every administrator's password the resetter and the approver are two others,
        // and the system administrator resets none of them.
        for (whose, by, approver) in ADMIN_PASSWORDS {
            assert!(whose != by && whose != approver && by != approver);
            assert_ne!(by, Role::SystemAdmin);
        }
    }

    #[test]
    fn no_one_changes_their_own_account_or_one_outside_their_area() {
        let sec = Scope::new(99, Role::SecurityAdmin, code("340705"));
        assert!(decide(&sec, &target(Role::Station, None), AccountChange::Unlock).is_err());
        let elsewhere = Scope::new(1, Role::SecurityAdmin, code("340706"));
        assert!(
            decide(
                &elsewhere,
                &target(Role::Station, None),
                AccountChange::Unlock
            )
            .is_err()
        );
        let officer = Scope::new(1, Role::CommitteeOfficer, code("340705"));
        assert!(
            decide(
                &officer,
                &target(Role::Station, None),
                AccountChange::Unlock
            )
            .is_err()
        );
    }
}
