//! The demo city's staff: one account per role, all with the same published password.

use anyhow::{Context, Result};
use renkou_core::audit::AuditAction;
use renkou_core::{AreaCode, AreaLevel, Role};
use renkou_store::{NewAccount, Store};
use renkou_web::hash_password;

use crate::cli_audit;
use crate::users::username;

/// The demo's one password for every account: printed at start, for trying the app only.
pub const DEMO_PASSWORD: &str = "Renkou-demo-2026";

/// One account per role, each in the area its work belongs to: the city for the bureau, the
/// station and the administrators; the first centre, committee and group for the rest.
pub fn demo_accounts(store: &mut Store) -> Result<Vec<(String, Role, AreaCode)>> {
    let areas = store.areas(None)?;
    let first = |level: AreaLevel| {
        areas
            .iter()
            .find(|a| a.level() == level)
            .map(|a| a.code.clone())
            .context("演示城市缺少区划")
    };
    let city = first(AreaLevel::District)?;
    let plan = [
        ("bureau", Role::Bureau, city.clone()),
        ("station", Role::Station, city.clone()),
        ("centre", Role::Centre, first(AreaLevel::Centre)?),
        (
            "officer",
            Role::CommitteeOfficer,
            first(AreaLevel::Committee)?,
        ),
        (
            "migrant",
            Role::MigrantCoordinator,
            first(AreaLevel::Committee)?,
        ),
        ("leader", Role::GroupLeader, first(AreaLevel::Group)?),
        ("sysadmin", Role::SystemAdmin, city.clone()),
        ("secadmin", Role::SecurityAdmin, city.clone()),
        ("auditor", Role::AuditAdmin, city),
    ];
    let hash = hash_password(DEMO_PASSWORD);
    let mut made = Vec::new();
    for (name, role, area) in plan {
        store.add_account(
            NewAccount {
                username: username(name)?,
                role,
                area: area.clone(),
                password_hash: hash.clone(),
                must_change_password: false,
            },
            cli_audit(AuditAction::AccountAdd, "account")
                .detail(format!("role={} area={area} demo", role.key())),
        )?;
        made.push((name.to_string(), role, area));
    }
    Ok(made)
}
