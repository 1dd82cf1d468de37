//! Who may do what, and where: the roles of the plan's network, the one table of what each may
//! do, and the [`Scope`] an account carries on every read and write.
//!
//! The table is the only place access is decided. The web layer asks `scope.allows(action)`;
//! the store asks `scope.covers(person)`; neither re-implements the rule.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::area::AreaCode;
use crate::codes::{CertificateKind, EventKind, PopulationType};
use crate::person::PersonData;

/// The positions of the plan's network (DOMAIN.md, "Who uses it") and three separated
/// administrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Bureau,
    Station,
    Centre,
    CommitteeOfficer,
    MigrantCoordinator,
    GroupLeader,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
}

impl Role {
    pub const ALL: [Role; 9] = [
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

    pub fn key(self) -> &'static str {
        match self {
            Role::Bureau => "bureau",
            Role::Station => "station",
            Role::Centre => "centre",
            Role::CommitteeOfficer => "committee_officer",
            Role::MigrantCoordinator => "migrant_coordinator",
            Role::GroupLeader => "group_leader",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Bureau => "市人口计生局",
            Role::Station => "服务管理站",
            Role::Centre => "社区服务中心",
            Role::CommitteeOfficer => "居委会人口信息员",
            Role::MigrantCoordinator => "流动人口协管员",
            Role::GroupLeader => "居民小组长",
            Role::SystemAdmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
        }
    }

    /// The administrators see no personal data at all; their work is the system itself.
    pub fn is_administrator(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin
        )
    }

    /// The people this role works with. A migrant coordinator's work is the migrants.
    pub fn population(self) -> Option<&'static [PopulationType]> {
        match self {
            Role::MigrantCoordinator => {
                Some(&[PopulationType::MigrantIn, PopulationType::MigrantOut])
            }
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "没有角色“{0}”；可用的角色：bureau, station, centre, committee_officer, migrant_coordinator, group_leader, system_admin, security_admin, audit_admin"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.key() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// Everything an account can ask to do. Reads of the register come in three depths: a masked
/// list, the full record (an audited view), and the health fields within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Lists and counts, with ID numbers and phones masked.
    ListPersons,
    /// One person's whole record, ID number and phone included.
    ViewPerson,
    /// Pregnancy and contraception: the record's health fields and health events.
    ViewHealth,
    /// Add a person or correct a person's data.
    EditPerson,
    /// Record an event of this kind on someone's timeline.
    RecordEvent(EventKind),
    ImportFile,
    Export,
    ManageAccounts,
    ManageAreas,
    /// Roles of accounts, unlocking, password and session policies.
    ManageSecurity,
    ReadAudit,
    /// Take an application for this kind of document (a centre's window, a committee).
    ApplyCertificate(CertificateKind),
    /// The area's documents: queues, applications, issued documents.
    ViewCertificates,
    /// Review an application: approve and issue, send back, reject.
    ReviewCertificate,
    /// Print an issued document and hand it over.
    PrintCertificate,
    /// Reissue a lost or damaged document, or revoke one.
    ReissueOrRevokeCertificate,
    /// The statistical report of the account's area (aggregates, no names).
    ViewStatistics,
    /// Close (上报) or reopen a month's report: the station's.
    CloseStatistics,
}

impl Action {
    /// Every action the table decides, for tests and the API's listing of permissions.
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Action::ListPersons,
            Action::ViewPerson,
            Action::ViewHealth,
            Action::EditPerson,
        ];
        all.extend(EventKind::ALL.iter().map(|k| Action::RecordEvent(*k)));
        all.extend([
            Action::ImportFile,
            Action::Export,
            Action::ManageAccounts,
            Action::ManageAreas,
            Action::ManageSecurity,
            Action::ReadAudit,
        ]);
        all.extend(
            CertificateKind::ALL
                .iter()
                .map(|k| Action::ApplyCertificate(*k)),
        );
        all.extend([
            Action::ViewCertificates,
            Action::ReviewCertificate,
            Action::PrintCertificate,
            Action::ReissueOrRevokeCertificate,
            Action::ViewStatistics,
            Action::CloseStatistics,
        ]);
        all
    }
}

/// The events a group leader reports (the plan: marriage, pregnancy, birth, contraception).
const GROUP_LEADER_EVENTS: &[EventKind] = &[
    EventKind::Marriage,
    EventKind::Divorce,
    EventKind::Remarriage,
    EventKind::Pregnancy,
    EventKind::PregnancyOutcome,
    EventKind::Birth,
    EventKind::ContraceptionStart,
    EventKind::ContraceptionChange,
    EventKind::ContraceptionStop,
];

/// The events of a migrant's basic and residence data.
const MIGRANT_EVENTS: &[EventKind] =
    &[EventKind::MoveIn, EventKind::MoveOut, EventKind::Correction];

/// THE role table. Each arm is one row of DOMAIN.md's "Who does what".
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    // Who takes applications of a kind is part of the kind's own data.
    if let ApplyCertificate(kind) = action {
        return kind.applicants().contains(&role);
    }
    match role {
        // The city's leadership and its station read the register and its figures; the
        // station's certificate work (a later issue) needs the marital and health facts.
        // The station reviews, issues, prints, reissues and revokes the certificates.
        Role::Bureau => matches!(
            action,
            ListPersons | ViewPerson | Export | ViewCertificates | ViewStatistics
        ),
        Role::Station => matches!(
            action,
            ListPersons
                | ViewPerson
                | ViewHealth
                | Export
                | ViewCertificates
                | ReviewCertificate
                | PrintCertificate
                | ReissueOrRevokeCertificate
                | ViewStatistics
                | CloseStatistics
        ),
        // The service windows and the committees keep the register.
        // The centre's window also prints and hands over what the station issued.
        Role::Centre | Role::CommitteeOfficer => match action {
            ListPersons | ViewPerson | ViewHealth | EditPerson | ImportFile | Export
            | ViewCertificates | ViewStatistics => true,
            PrintCertificate => role == Role::Centre,
            RecordEvent(kind) => kind != EventKind::Registered,
            _ => false,
        },
        // Migrants' basic and residence data; no health data.
        Role::MigrantCoordinator => match action {
            ListPersons | ViewPerson | EditPerson | ViewCertificates => true,
            RecordEvent(kind) => MIGRANT_EVENTS.contains(&kind),
            _ => false,
        },
        // Reports the changes of the group's people: sees the health facts those reports are
        // about, corrects nothing, imports and exports nothing.
        Role::GroupLeader => match action {
            ListPersons | ViewPerson | ViewHealth => true,
            RecordEvent(kind) => GROUP_LEADER_EVENTS.contains(&kind),
            _ => false,
        },
        Role::SystemAdmin => matches!(action, ManageAccounts | ManageAreas),
        Role::SecurityAdmin => matches!(action, ManageSecurity),
        Role::AuditAdmin => matches!(action, ReadAudit),
    }
}

/// An account's reach: its role and its area. Everything it reads or changes passes through
/// `allows` (what) and `covers` (where, and whom).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account_id: i64,
    pub role: Role,
    pub area: AreaCode,
}

impl Scope {
    pub fn new(account_id: i64, role: Role, area: AreaCode) -> Self {
        Scope {
            account_id,
            role,
            area,
        }
    }

    pub fn allows(&self, action: Action) -> bool {
        role_allows(self.role, action)
    }

    /// The account's area or one below it.
    pub fn covers_area(&self, area: &AreaCode) -> bool {
        area.is_within(&self.area)
    }

    /// Whether the account's work needs pregnancy and contraception (ViewHealth).
    pub fn sees_health(&self) -> bool {
        self.allows(Action::ViewHealth)
    }

    /// A whole record as this account may see it: without the pregnancy and contraception
    /// facts and events unless its work needs them.
    pub fn redact(
        &self,
        mut person: crate::Person,
        events: Vec<crate::Event>,
    ) -> (crate::Person, Vec<crate::Event>) {
        if self.sees_health() {
            return (person, events);
        }
        person.pregnant = false;
        person.contraception = None;
        let events = events.into_iter().filter(|e| !e.kind.is_health()).collect();
        (person, events)
    }

    /// Whether this person is among the account's people: in its area, of its population.
    /// Administrators have no people.
    pub fn covers(&self, person: &PersonData) -> bool {
        !self.role.is_administrator()
            && self.covers_area(person.managing_area())
            && self
                .role
                .population()
                .is_none_or(|types| types.contains(&person.population_type))
    }
}

/// Someone acting through the web app or the API: the account's scope, its username, and where
/// the request came from. Every audited operation takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub scope: Scope,
    pub username: String,
    pub source: String,
}

impl Actor {
    /// An audit row by this actor.
    pub fn entry(
        &self,
        action: crate::audit::AuditAction,
        object_kind: &str,
        result: crate::audit::AuditResult,
    ) -> crate::audit::AuditEntry {
        crate::audit::AuditEntry::new(action, object_kind, result)
            .by(self.scope.account_id, &self.username)
            .from_source(self.source.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_keys_round_trip_and_unknown_roles_are_named() {
        for role in Role::ALL {
            assert_eq!(role.key().parse::<Role>().unwrap(), role);
        }
        let err = "admin".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("admin"));
    }

    /// The whole table, written out: a change to any cell fails here and must be made on purpose.
    #[test]
    fn the_role_table_as_a_whole() {
        use Action::*;
        let plain = |role: Role| -> Vec<&'static str> {
            [
                (ListPersons, "list"),
                (ViewPerson, "view"),
                (ViewHealth, "health"),
                (EditPerson, "edit"),
                (ImportFile, "import"),
                (Export, "export"),
                (ManageAccounts, "accounts"),
                (ManageAreas, "areas"),
                (ManageSecurity, "security"),
                (ReadAudit, "audit"),
                (ViewCertificates, "certificates"),
                (ReviewCertificate, "review"),
                (PrintCertificate, "print"),
                (ReissueOrRevokeCertificate, "reissue_revoke"),
                (ViewStatistics, "stats"),
                (CloseStatistics, "stats_close"),
            ]
            .into_iter()
            .filter(|(a, _)| role_allows(role, *a))
            .map(|(_, n)| n)
            .collect()
        };
        let events = |role: Role| -> Vec<EventKind> {
            EventKind::ALL
                .iter()
                .copied()
                .filter(|k| role_allows(role, RecordEvent(*k)))
                .collect()
        };
        let applies = |role: Role| -> Vec<CertificateKind> {
            CertificateKind::ALL
                .iter()
                .copied()
                .filter(|k| role_allows(role, ApplyCertificate(*k)))
                .collect()
        };
        assert_eq!(
            plain(Role::Bureau),
            ["list", "view", "export", "certificates", "stats"]
        );
        assert_eq!(
            plain(Role::Station),
            [
                "list",
                "view",
                "health",
                "export",
                "certificates",
                "review",
                "print",
                "reissue_revoke",
                "stats",
                "stats_close"
            ]
        );
        assert_eq!(
            plain(Role::Centre),
            [
                "list",
                "view",
                "health",
                "edit",
                "import",
                "export",
                "certificates",
                "print",
                "stats"
            ]
        );
        assert_eq!(
            plain(Role::CommitteeOfficer),
            [
                "list",
                "view",
                "health",
                "edit",
                "import",
                "export",
                "certificates",
                "stats"
            ]
        );
        for role in [Role::Centre, Role::CommitteeOfficer] {
            assert_eq!(applies(role), CertificateKind::ALL);
            let all_but_registration: Vec<EventKind> = EventKind::ALL
                .iter()
                .copied()
                .filter(|k| *k != EventKind::Registered)
                .collect();
            assert_eq!(events(role), all_but_registration);
        }
        assert_eq!(
            plain(Role::MigrantCoordinator),
            ["list", "view", "edit", "certificates"]
        );
        assert_eq!(
            applies(Role::MigrantCoordinator),
            [CertificateKind::MigrantCertificate]
        );
        for role in [
            Role::Bureau,
            Role::Station,
            Role::GroupLeader,
            Role::SystemAdmin,
            Role::SecurityAdmin,
            Role::AuditAdmin,
        ] {
            assert!(applies(role).is_empty(), "{role} takes no applications");
        }
        assert_eq!(events(Role::MigrantCoordinator), MIGRANT_EVENTS);
        assert_eq!(plain(Role::GroupLeader), ["list", "view", "health"]);
        assert_eq!(events(Role::GroupLeader), GROUP_LEADER_EVENTS);
        assert_eq!(plain(Role::SystemAdmin), ["accounts", "areas"]);
        assert_eq!(plain(Role::SecurityAdmin), ["security"]);
        assert_eq!(plain(Role::AuditAdmin), ["audit"]);
        for role in [
            Role::Bureau,
            Role::Station,
            Role::SystemAdmin,
            Role::SecurityAdmin,
            Role::AuditAdmin,
        ] {
            assert!(events(role).is_empty(), "{role} records no events");
        }
    }

    #[test]
    fn administrators_do_no_one_elses_job() {
        for admin in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            let mine: Vec<Action> = Action::all()
                .into_iter()
                .filter(|a| role_allows(admin, *a))
                .collect();
            for other in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
                if other != admin {
                    assert!(
                        mine.iter().all(|a| !role_allows(other, *a)),
                        "{admin} and {other} share a duty"
                    );
                }
            }
            assert!(!role_allows(admin, Action::ListPersons));
        }
    }
}
