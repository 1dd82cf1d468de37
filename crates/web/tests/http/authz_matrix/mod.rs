//! The authorization matrix of issue 3: every role × every API endpoint × a record in the
//! account's own area, a sibling area, its parent and a child area.
//!
//! Expectations are derived from core's role table (`role_allows`) and area rule
//! (`Scope::covers`): allowed where both say so; a record out of reach answers 404 exactly like
//! an id that does not exist (no leak of existence); an action the role lacks answers 403. Every
//! denial leaves one audit row with result "denied". `pinned_cells` writes a few cells out by
//! hand, so a broken table cannot make the derived matrix pass vacuously.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use axum::http::StatusCode;
use renkou_core::access::role_allows;
use renkou_core::audit::AuditRow;
use renkou_core::{Action, EventKind, PersonData, Role, Scope};
use serde_json::{Value, json};

mod pinned;
mod world;

/// Where a record's area lies, seen from the account's area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rel {
    Own,
    Child,
    Parent,
    Sibling,
    /// Neither: a cousin area, another district.
    Elsewhere,
}

fn relation(account: &str, area: &str) -> Rel {
    let (acc, ar) = (code_of(account), code_of(area));
    if account == area {
        Rel::Own
    } else if ar.is_within(&acc) {
        Rel::Child
    } else if acc.is_within(&ar) {
        Rel::Parent
    } else {
        // A sibling, or an area below a sibling: same parent at the account's level.
        let parent_len = acc.parent().map_or(0, |p| p.as_str().len());
        let same_parent =
            area.len() >= account.len() && area[..parent_len] == account[..parent_len];
        if same_parent {
            Rel::Sibling
        } else {
            Rel::Elsewhere
        }
    }
}

/// What a cell of the matrix must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Allowed, with this status.
    Ok(StatusCode),
    /// The role lacks the action: 403 forbidden, audited.
    Forbidden,
    /// Out of reach: 404 not_found, the same body as a missing record, audited.
    Hidden,
    /// A new record out of reach: 422 invalid_input naming the field, audited.
    Refused,
}

/// The account's areas each role is tested at: its natural level, plus a committee (which has
/// children and siblings holding people) and a group (which has a parent holding people).
fn placements(role: Role) -> Vec<&'static str> {
    let natural = match role {
        Role::Centre => C1,
        Role::CommitteeOfficer | Role::MigrantCoordinator => K1,
        Role::GroupLeader => G1,
        _ => D1,
    };
    let mut areas = vec![natural];
    for extra in [K1, G1] {
        if !areas.contains(&extra) {
            areas.push(extra);
        }
    }
    areas
}

/// One role at one area on a fresh register: two women (a resident and an incoming migrant) in
/// every area people can live in, and one household spread over two committees.
struct World {
    app: TestApp,
    role: Role,
    area: &'static str,
    username: String,
    scope: Scope,
    token: String,
    people: Vec<Added>,
    /// (endpoint, relation) → statuses seen, for the summary and the non-vacuity checks. For
    /// the list, 200 means listed and 404 left out.
    seen: BTreeMap<(&'static str, Rel), BTreeSet<u16>>,
    /// The 404 body of a record that does not exist, per endpoint.
    missing: BTreeMap<&'static str, String>,
}

const NAMES: [&str; 14] = [
    "李秀兰",
    "张桂英",
    "王秀珍",
    "刘淑华",
    "陈玉兰",
    "杨丽",
    "赵静",
    "黄敏",
    "周芳",
    "吴霞",
    "徐燕",
    "孙娟",
    "马红",
    "朱琳",
];

fn pregnancy() -> Value {
    json!({"event": "pregnancy", "date": days_ago(30).to_string()})
}

fn move_out() -> Value {
    json!({"event": "move_out", "date": days_ago(1).to_string(), "note": "广东省深圳市"})
}

/// Runs the matrix for one role at each of its placements on SQLite, and at its natural
/// placement on PostgreSQL too when RENKOU_TEST_PG is set (the same queries, a third the time).
async fn matrix(role: Role) {
    for (i, area) in placements(role).into_iter().enumerate() {
        let mut backends = vec![Backend::sqlite()];
        if i == 0 {
            backends.extend(Backend::postgres());
        }
        for backend in backends {
            let world = World::new(backend, role, area).await.run().await;
            eprintln!("{}", world.summary());
            not_vacuous(&world);
        }
    }
}

/// The matrix did test something: each allowed action was allowed somewhere and hidden
/// somewhere else; each action the role lacks was refused.
fn not_vacuous(w: &World) {
    let statuses = |endpoint: &str| -> BTreeSet<u16> {
        w.seen
            .iter()
            .filter(|((e, _), _)| *e == endpoint)
            .flat_map(|(_, s)| s.iter().copied())
            .collect()
    };
    for (endpoint, action, ok) in [
        ("GET person", Action::ViewPerson, 200),
        ("PUT person", Action::EditPerson, 200),
        (
            "POST pregnancy",
            Action::RecordEvent(EventKind::Pregnancy),
            201,
        ),
        (
            "POST move_out",
            Action::RecordEvent(EventKind::MoveOut),
            201,
        ),
    ] {
        let seen = statuses(endpoint);
        if w.can(action) {
            assert!(
                seen.contains(&ok) && seen.contains(&404),
                "{}: {endpoint} was both allowed and hidden: {seen:?}",
                w.who()
            );
        } else {
            assert_eq!(seen, BTreeSet::from([403]), "{}: {endpoint}", w.who());
        }
    }
    let own_or_child = w.seen.iter().any(|((e, r), s)| {
        *e == "GET person" && matches!(r, Rel::Own | Rel::Child) && s.contains(&200)
    });
    let sibling = w
        .seen
        .iter()
        .any(|((e, r), s)| *e == "GET person" && *r == Rel::Sibling && s.contains(&404));
    if w.can(Action::ViewPerson) {
        assert!(
            own_or_child && sibling,
            "{}: own/child seen and siblings hidden",
            w.who()
        );
    }
}

#[tokio::test]
async fn bureau() {
    matrix(Role::Bureau).await;
}

#[tokio::test]
async fn station() {
    matrix(Role::Station).await;
}

#[tokio::test]
async fn centre() {
    matrix(Role::Centre).await;
}

#[tokio::test]
async fn committee_officer() {
    matrix(Role::CommitteeOfficer).await;
}

#[tokio::test]
async fn migrant_coordinator() {
    matrix(Role::MigrantCoordinator).await;
}

#[tokio::test]
async fn group_leader() {
    matrix(Role::GroupLeader).await;
}

#[tokio::test]
async fn system_admin() {
    matrix(Role::SystemAdmin).await;
}

#[tokio::test]
async fn security_admin() {
    matrix(Role::SecurityAdmin).await;
}

#[tokio::test]
async fn audit_admin() {
    matrix(Role::AuditAdmin).await;
}

/// A role added to core without a matrix test above fails here.
#[test]
fn every_role_has_a_matrix_test() {
    let tested = [
        Role::Bureau,
        Role::Station,
        Role::Centre,
        Role::CommitteeOfficer,
        Role::MigrantCoordinator,
        Role::GroupLeader,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
    ];
    assert_eq!(Role::ALL.len(), tested.len());
    for role in Role::ALL {
        assert!(tested.contains(&role), "{role} has no matrix test");
    }
}

#[test]
fn relations_are_read_from_the_codes() {
    assert_eq!(relation(K1, K1), Rel::Own);
    assert_eq!(relation(K1, G1), Rel::Child);
    assert_eq!(relation(G1, K1), Rel::Parent);
    assert_eq!(relation(K1, K2), Rel::Sibling);
    assert_eq!(relation(K1, K2G1), Rel::Sibling);
    assert_eq!(relation(G1, G2), Rel::Sibling);
    assert_eq!(relation(D1, D2K1), Rel::Sibling);
    assert_eq!(relation(K1, C2K1), Rel::Elsewhere);
    assert_eq!(relation(G1, K2), Rel::Elsewhere);
}
