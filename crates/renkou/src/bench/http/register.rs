//! The register the benchmark runs on: the demo city, the benchmark's own account, and the
//! random people its requests ask for.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use renkou_core::audit::AuditAction;
use renkou_core::{AreaLevel, PersonId, PersonStatus, Role, Scope};
use renkou_store::{NewAccount, PersonFilter, Store};

use super::super::group_digits;
use super::USERNAME;
use super::scenario::Sampled;

/// Builds the demo city of `persons` people unless the register already holds people; returns
/// how many it holds.
pub(super) fn ensure_people(store: &mut Store, url: &str, persons: u64, seed: u64) -> Result<u64> {
    let everyone = PersonFilter {
        all_statuses: true,
        ..Default::default()
    };
    let held = store.count_persons(&everyone)?;
    if held > 0 {
        println!(
            "using {url}: {} people already on the register",
            group_digits(held)
        );
        return Ok(held);
    }
    println!(
        "building the demo city of {} people into {url} (not measured) …",
        group_digits(persons)
    );
    let started = Instant::now();
    let mut bar = crate::progress::Bar::new();
    use renkou_core::import::Progress;
    bar.phase("生成", Some(persons));
    crate::demo::build(store, persons, seed, crate::today(), &mut |n| {
        bar.advance(n)
    })?;
    bar.finish();
    let held = store.count_persons(&everyone)?;
    println!(
        "  {} people in {:.1} s",
        group_digits(held),
        started.elapsed().as_secs_f64()
    );
    Ok(held)
}

/// The bureau account at the city level, with a fresh password for this run (which also ends
/// any session left from an earlier run). Returns its scope and the password.
pub(super) fn ensure_account(store: &mut Store) -> Result<(Scope, String)> {
    let areas = store.areas(None)?;
    let city = areas
        .iter()
        .find(|a| a.level() == AreaLevel::District)
        .map(|a| a.code.clone())
        .context("the register has no district: no area for the bench account")?;
    let password = renkou_web::generated_password();
    let hash = renkou_web::hash_password(&password);
    let audit = |action| crate::cli_audit(action, "account").detail("bench http");
    let id = match store.account_for_login(USERNAME)? {
        Some((account, _)) => {
            if account.role != Role::Bureau || account.area != city {
                store.set_role(
                    account.id,
                    Role::Bureau,
                    &city,
                    audit(AuditAction::AccountRole),
                )?;
            }
            if account.disabled {
                store.set_disabled(account.id, false, audit(AuditAction::AccountEnable))?;
            }
            if account.locked_until.is_some() {
                store.unlock(account.id, audit(AuditAction::AccountUnlock))?;
            }
            store.set_password(
                account.id,
                &hash,
                false,
                audit(AuditAction::AccountResetPassword),
            )?;
            account.id
        }
        None => {
            let username = renkou_core::account::Username::parse(USERNAME)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            store
                .add_account(
                    NewAccount {
                        username,
                        role: Role::Bureau,
                        area: city.clone(),
                        password_hash: hash,
                        must_change_password: false,
                    },
                    audit(AuditAction::AccountAdd),
                )?
                .id
        }
    };
    println!("account {USERNAME}: role bureau (市人口计生局) at {city}, the whole city in scope");
    Ok((Scope::new(id, Role::Bureau, city), password))
}

/// `n` random people the account may open and find by ID number: active, with an ID number,
/// in scope. Drawn by random internal id (ids are dense: 1..=count), so the requests touch
/// the whole register as real use would, not a warm corner of it.
pub(super) fn sample(
    store: &mut Store,
    scope: &Scope,
    n: usize,
    seed: u64,
) -> Result<Vec<Sampled>> {
    let everyone = PersonFilter {
        all_statuses: true,
        ..Default::default()
    };
    let max_id = store.count_persons(&everyone)? as i64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6874_7470);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    let mut tries = 0usize;
    while out.len() < n {
        tries += 1;
        if tries > n * 50 + 1000 {
            bail!(
                "found only {} people to sample among {max_id} ids",
                out.len()
            );
        }
        let id = rng.random_range(1..=max_id.max(1));
        if !seen.insert(id) {
            continue;
        }
        let Some(p) = store.person(PersonId(id))? else {
            continue;
        };
        let Some(id_number) = &p.data.id_number else {
            continue;
        };
        if p.status != PersonStatus::Active
            || !scope.covers(&p.data)
            || !p.data.area_code.is_within(&scope.area)
        {
            continue;
        }
        out.push(Sampled {
            id,
            id_number: id_number.to_string(),
        });
    }
    Ok(out)
}
