//! `renkou demo`: a made-up but realistic city to try the register on: the synthetic city of
//! [`crate::population`] written to the register with its three years of history, one account
//! per role ([`accounts`]) and a few certificates in every state ([`certificates`]).

mod accounts;
mod certificates;

use anyhow::{Context, bail};
use jiff::civil::Date;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use renkou_core::PopulationType;
use renkou_store::{PersonFilter, Store};

use crate::population::{BY, CENTRES, City, People, record_plan};

pub use accounts::{DEMO_PASSWORD, demo_accounts};
pub use certificates::demo_certificates;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub areas: usize,
    pub centres: usize,
    pub committees: usize,
    pub groups: usize,
    /// Everyone written: the households, plus the children born in the event history.
    pub persons: u64,
    pub households: u64,
    /// Active migrants in and out once the history has been applied.
    pub migrants_in: u64,
    pub migrants_out: u64,
    /// Events recorded by the demo (not counting registrations and the spouse's mirrored ones).
    pub events: u64,
    pub births: u64,
}

/// Builds the demo city. `tick(n)` is called as people are written (n = how many since last
/// call), for a progress bar. The register must not hold any people yet.
pub fn build(
    store: &mut Store,
    persons: u64,
    seed: u64,
    today: Date,
    tick: &mut dyn FnMut(u64),
) -> anyhow::Result<DemoSummary> {
    Ok(build_counted(store, persons, seed, today, tick)?.0)
}

/// [`build`], also returning how many planned events the register refused.
fn build_counted(
    store: &mut Store,
    persons: u64,
    seed: u64,
    today: Date,
    tick: &mut dyn FnMut(u64),
) -> anyhow::Result<(DemoSummary, u64)> {
    let everyone = PersonFilter {
        all_statuses: true,
        ..PersonFilter::default()
    };
    if store.count_persons(&everyone)? > 0 {
        bail!("演示数据只能写入空的人口库：这个数据库里已经有人口记录");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let city = City::new(&mut rng);
    store
        .upsert_areas(&city.areas)
        .context("写入演示区划失败")?;

    let mut people = People::new(&city, rng, today, persons);
    let written = store
        .transaction(|tx| {
            let mut since = 0;
            let n = tx.add_many(&mut people, BY, today, &mut || {
                since += 1;
                if since == 1000 {
                    tick(since);
                    since = 0;
                }
            })?;
            tick(since);
            Ok(n)
        })
        .context("写入演示人口失败")?;

    let households = people.households();
    let plan = people.plan_events();
    let counts = store
        .transaction(|tx| record_plan(tx, &plan, &city, today))
        .context("登记演示事件失败")?;

    let count = |store: &mut Store, t| {
        store.count_persons(&PersonFilter {
            population_type: Some(t),
            ..PersonFilter::default()
        })
    };
    let summary = DemoSummary {
        areas: city.areas.len(),
        centres: CENTRES.len(),
        committees: city.committees.len(),
        groups: city.groups.len(),
        persons: written + counts.births,
        households,
        migrants_in: count(store, PopulationType::MigrantIn)?,
        migrants_out: count(store, PopulationType::MigrantOut)?,
        events: counts.events,
        births: counts.births,
    };
    Ok((summary, counts.refused))
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use renkou_core::{AreaLevel, EventKind, Person, PersonStatus, Relation, Sex};

    fn today() -> Date {
        jiff::civil::date(2026, 5, 20)
    }

    fn demo(persons: u64, seed: u64) -> (tempfile::TempDir, Store, DemoSummary, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        let mut store = Store::open(path.to_str().unwrap()).unwrap();
        let mut ticked = 0;
        let (summary, refused) =
            build_counted(&mut store, persons, seed, today(), &mut |n| ticked += n).unwrap();
        assert_eq!(ticked, persons, "the progress bar reaches the end");
        (dir, store, summary, refused)
    }

    fn everyone(store: &mut Store) -> Vec<Person> {
        let filter = PersonFilter {
            all_statuses: true,
            ..PersonFilter::default()
        };
        let mut all = Vec::new();
        store
            .each_person(&filter, &mut |p| {
                all.push(p);
                Ok(())
            })
            .unwrap();
        all
    }

    #[test]
    fn the_same_seed_builds_the_same_city() {
        let (_d1, mut a, sa, _) = demo(2_000, 7);
        let (_d2, mut b, sb, _) = demo(2_000, 7);
        let (_d3, mut c, sc, _) = demo(2_000, 8);
        assert_eq!(sa, sb);
        assert_eq!(everyone(&mut a), everyone(&mut b));
        assert_ne!(everyone(&mut a), everyone(&mut c));
        assert_ne!(sa, sc);
    }

    #[test]
    fn the_city_looks_like_a_city() {
        let (_dir, mut store, summary, refused) = demo(2_000, 1);
        let people = everyone(&mut store);
        assert_eq!(people.len() as u64, summary.persons);

        // Every area level is there, and everyone lives in a group of it.
        let areas = store.areas(None).unwrap();
        assert_eq!(areas.len(), summary.areas);
        for level in [
            AreaLevel::District,
            AreaLevel::Centre,
            AreaLevel::Committee,
            AreaLevel::Group,
        ] {
            assert!(areas.iter().any(|a| a.level() == level), "{level:?}");
        }
        assert_eq!(summary.centres, 4);
        assert_eq!(summary.committees, 12);
        assert!((48..=96).contains(&summary.groups));
        let groups: HashSet<_> = areas
            .iter()
            .filter(|a| a.level() == AreaLevel::Group)
            .map(|a| a.code.clone())
            .collect();
        assert!(people.iter().all(|p| groups.contains(&p.data.area_code)));

        // Everyone passes the register's own checks, and ID numbers are unique.
        for p in &people {
            assert_eq!(p.data.check(today()), vec![], "{:?}", p.data);
        }
        let ids: Vec<_> = people.iter().filter_map(|p| p.data.id_number).collect();
        assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len());
        let without_id = people.iter().filter(|p| p.data.id_number.is_none());
        assert!(without_id.clone().all(|p| p.data.age_on(today()) < 3));

        // About three in ten are migrants, most of them incoming.
        let active: Vec<_> = people
            .iter()
            .filter(|p| p.status == PersonStatus::Active)
            .collect();
        let share = (summary.migrants_in + summary.migrants_out) as f64 / active.len() as f64;
        assert!((0.2..=0.4).contains(&share), "migrant share {share}");
        assert!(summary.migrants_in > 2 * summary.migrants_out);

        // One head per household; an age pyramid with children and elderly.
        let heads = people
            .iter()
            .filter(|p| p.data.relation == Relation::Head)
            .count();
        assert_eq!(heads as u64, summary.households);
        let share_aged = |lo: i32, hi: i32| {
            let n = active
                .iter()
                .filter(|p| (lo..=hi).contains(&p.data.age_on(today())))
                .count();
            n as f64 / active.len() as f64
        };
        assert!(
            (0.08..0.25).contains(&share_aged(0, 14)),
            "{}",
            share_aged(0, 14)
        );
        assert!(
            (0.45..0.75).contains(&share_aged(15, 59)),
            "{}",
            share_aged(15, 59)
        );
        assert!(
            (0.12..0.35).contains(&share_aged(60, 120)),
            "{}",
            share_aged(60, 120)
        );

        // Births made children linked to their mothers, in the mother's household.
        let by_id: HashMap<_, _> = people.iter().map(|p| (p.id, p)).collect();
        let born: Vec<_> = people.iter().filter(|p| p.mother_id.is_some()).collect();
        assert_eq!(born.len() as u64, summary.births);
        assert!(summary.births > 0);
        for child in born {
            let mother = by_id[&child.mother_id.unwrap()];
            assert_eq!(mother.data.sex, Sex::Female);
            assert_eq!(mother.data.household_no, child.data.household_no);
        }

        // The history: marriages linked both ways, a few deaths, pregnancies under way.
        let married_in_demo = people.iter().filter(|p| p.spouse_id.is_some()).count();
        assert!(married_in_demo > 0 && married_in_demo % 2 == 0);
        for p in people.iter().filter(|p| p.spouse_id.is_some()) {
            let spouse = by_id[&p.spouse_id.unwrap()];
            assert_eq!(spouse.spouse_id, Some(p.id));
            assert_ne!(spouse.data.sex, p.data.sex);
            assert_ne!(
                spouse.data.household_no, p.data.household_no,
                "not siblings"
            );
        }
        assert!(people.iter().any(|p| p.status == PersonStatus::Dead));
        assert!(people.iter().any(|p| p.pregnant));
        assert!(people.iter().any(|p| p.contraception.is_some()));
        let per_event = summary.persons as f64 / summary.events as f64;
        assert!(
            (10.0..=30.0).contains(&per_event),
            "one event per {per_event} people"
        );
        assert!(
            refused * 50 <= summary.events,
            "{refused} of {} refused",
            summary.events
        );
    }

    #[test]
    fn events_are_dated_within_the_last_three_years() {
        let (_dir, mut store, _, _) = demo(1_000, 3);
        let start = today()
            .checked_sub(jiff::Span::new().days(3 * 36525 / 100))
            .unwrap();
        let mut kinds = HashSet::new();
        for p in everyone(&mut store) {
            for e in store.timeline(p.id).unwrap() {
                if e.kind != EventKind::Registered {
                    assert!(e.occurred_on >= start && e.occurred_on <= today());
                    kinds.insert(e.kind);
                }
            }
        }
        for kind in [
            EventKind::Marriage,
            EventKind::Pregnancy,
            EventKind::Birth,
            EventKind::ContraceptionStart,
            EventKind::Death,
        ] {
            assert!(kinds.contains(&kind), "{kind:?}");
        }
    }

    #[test]
    fn a_second_demo_into_the_same_register_is_refused() {
        let (_dir, mut store, _, _) = demo(100, 1);
        let err = build(&mut store, 100, 1, today(), &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("空的人口库"));
    }

    /// `cargo test -p renkou --release demo::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn timing() {
        for n in [50_000, 200_000] {
            let started = std::time::Instant::now();
            let (_dir, _store, summary, refused) = demo(n, 1);
            println!("{n}: {:?} {summary:?} refused {refused}", started.elapsed());
        }
    }
}
