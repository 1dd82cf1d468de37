//! The application and the review: what an application adds to the register's data, and the
//! checks the review makes against the register. None of them counts children against a limit.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::codes::{CertificateKind, PopulationType};
use crate::dates::age_on;
use crate::id_number::IdNumber;
use crate::person::{FieldError, Person, PersonName, PersonStatus};

use super::AskedField;

/// What the application adds to the register's data. Only the fields the kind asks are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spouse_name: Option<PersonName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spouse_id_number: Option<IdNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// The window's note for the reviewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Application {
    /// Drops what the kind does not ask (collect nothing the work does not need) and checks
    /// what is left.
    pub fn for_kind(mut self, kind: CertificateKind, today: Date) -> Result<Self, Vec<FieldError>> {
        let asks = kind.spec().asks;
        if !asks.contains(&AskedField::Spouse) {
            self.spouse_name = None;
            self.spouse_id_number = None;
        }
        if !asks.contains(&AskedField::ExpectedDate) {
            self.expected_date = None;
        }
        if !asks.contains(&AskedField::Destination) {
            self.destination = None;
        }
        let mut errors = Vec::new();
        if let Some(d) = self.expected_date
            && d < today
        {
            errors.push(FieldError::new(
                "expected_date",
                format!("预产期{d}早于今天；孩子已出生的，请先登记出生事件"),
            ));
        }
        if self.spouse_id_number.is_some() && self.spouse_name.is_none() {
            errors.push(FieldError::new(
                "spouse_name",
                "填写了配偶身份证号，请同时填写配偶姓名",
            ));
        }
        for (field, text, max) in [
            ("destination", &self.destination, 100),
            ("note", &self.note, 500),
        ] {
            if let Some(t) = text
                && t.chars().count() > max
            {
                errors.push(FieldError::new(field, format!("不能超过 {max} 个字")));
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// What the register says about the holder, gathered by the store for the review.
#[derive(Debug, Clone)]
pub struct RegisterFacts {
    pub person: Person,
    /// The linked spouse, when on this register.
    pub spouse: Option<Person>,
    /// Whether a marriage (or remarriage) event is on the timeline.
    pub marriage_recorded: bool,
    /// Children on the register whose mother or father link is this person or the spouse.
    pub children: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    Passed,
    /// Worth the reviewer's attention; does not stop the approval.
    Note,
    /// The application cannot be approved until this is put right (usually in the register).
    Missing,
}

/// One check of the review, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub key: &'static str,
    pub outcome: CheckOutcome,
    pub message: String,
}

impl Check {
    fn new(key: &'static str, outcome: CheckOutcome, message: impl Into<String>) -> Self {
        Check {
            key,
            outcome,
            message: message.into(),
        }
    }
}

/// The review's checks against the register. Approval needs no check `Missing`.
pub fn review_checks(
    kind: CertificateKind,
    facts: &RegisterFacts,
    app: &Application,
    today: Date,
) -> Vec<Check> {
    use CheckOutcome::*;
    let p = &facts.person;
    let mut checks = Vec::new();

    checks.push(match (&p.data.id_number, p.status) {
        (_, PersonStatus::Dead) => Check::new("identity", Missing, "登记册中此人已死亡"),
        (_, PersonStatus::MovedAway) => Check::new("identity", Missing, "登记册中此人已迁出本辖区"),
        (None, _) => Check::new("identity", Missing, "登记册中没有此人的身份证号，请先补录"),
        (Some(_), _) => Check::new("identity", Passed, "身份证号已登记，校验通过"),
    });

    match kind {
        CertificateKind::ReproductiveHealthCard => {}
        CertificateKind::BirthRegistration => {
            let married = p.data.marital_status.is_married();
            checks.push(if married {
                Check::new(
                    "marital_status",
                    Passed,
                    format!("婚姻状况：{}", p.data.marital_status.name_zh()),
                )
            } else {
                Check::new(
                    "marital_status",
                    Note,
                    format!(
                        "登记册中的婚姻状况为“{}”；如已结婚，请登记结婚事件",
                        p.data.marital_status.name_zh()
                    ),
                )
            });
            if married {
                checks.push(if facts.marriage_recorded {
                    Check::new("marriage_event", Passed, "时间线上有结婚事件")
                } else {
                    Check::new(
                        "marriage_event",
                        Note,
                        "时间线上没有结婚事件（婚姻状况来自建档数据）",
                    )
                });
                checks.push(spouse_check(facts, app));
            }
            checks.push(Check::new(
                "children",
                Passed,
                match facts.children {
                    0 => "登记册中尚无子女；本次登记为第一孩".to_string(),
                    n => format!("登记册中已有子女 {n} 人；本次登记为第{}孩", n + 1),
                },
            ));
        }
        CertificateKind::MigrantCertificate => {
            checks.push(match p.data.population_type {
                PopulationType::Resident | PopulationType::MigrantOut => Check::new(
                    "residence",
                    Passed,
                    format!(
                        "人口类型：{}，户籍在本辖区",
                        p.data.population_type.name_zh()
                    ),
                ),
                other => Check::new(
                    "residence",
                    Missing,
                    format!(
                        "人口类型为“{}”：婚育证明由户籍地出具，请其向户籍地申请",
                        other.name_zh()
                    ),
                ),
            });
            let age = age_on(p.data.birth_date, today);
            checks.push(if (15..=49).contains(&age) {
                Check::new("age", Passed, format!("{age} 岁，育龄人员"))
            } else {
                Check::new(
                    "age",
                    Note,
                    format!("{age} 岁，不在育龄（15–49 岁）；如仍需证明可以批准"),
                )
            });
            checks.push(Check::new(
                "marital_status",
                Passed,
                format!("婚姻状况：{}（写入证明）", p.data.marital_status.name_zh()),
            ));
            // The paper prints 配偶姓名: a married holder's spouse must be known.
            if p.data.marital_status.is_married() {
                checks.push(spouse_check(facts, app));
            }
        }
    }
    checks
}

/// A married holder's spouse: on the register, or named in the application; otherwise the
/// paper would print 配偶姓名 blank.
fn spouse_check(facts: &RegisterFacts, app: &Application) -> Check {
    use CheckOutcome::*;
    match (&facts.spouse, &app.spouse_name) {
        (Some(s), _) => Check::new(
            "spouse",
            Passed,
            format!("配偶在登记册中：{}", s.data.name.as_str()),
        ),
        (None, Some(name)) => Check::new(
            "spouse",
            Note,
            format!(
                "配偶不在本登记册中；按申请填写的配偶“{}”登记",
                name.as_str()
            ),
        ),
        (None, None) => Check::new(
            "spouse",
            Missing,
            "配偶不在本登记册中，申请也没有填写配偶姓名",
        ),
    }
}

pub fn approvable(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.outcome != CheckOutcome::Missing)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::codes::{Ethnicity, MaritalStatus, Relation, Sex};
    use crate::person::{HouseholdNo, PersonData, PersonId};
    use jiff::civil::date;

    const TODAY: Date = date(2026, 11, 28);

    pub(crate) fn person(sex: Sex, marital: MaritalStatus, population: PopulationType) -> Person {
        let born = date(1995, 3, 8);
        Person {
            id: PersonId(1),
            data: PersonData {
                id_number: Some(IdNumber::from_parts("340705", born, 2).unwrap()),
                name: PersonName::parse("李秀兰").unwrap(),
                sex,
                birth_date: born,
                ethnicity: Ethnicity::Han,
                marital_status: marital,
                education: None,
                phone: None,
                household_no: HouseholdNo::parse("H1").unwrap(),
                relation: Relation::Head,
                population_type: population,
                registered_place: None,
                area_code: crate::AreaCode::parse("340705001001").unwrap(),
                address: None,
                arrival_date: None,
                leaving_date: None,
                origin_or_destination: None,
            },
            status: PersonStatus::Active,
            death_date: None,
            spouse_id: None,
            mother_id: None,
            pregnant: false,
            contraception: None,
        }
    }

    pub(crate) fn facts(p: Person, children: u32) -> RegisterFacts {
        RegisterFacts {
            person: p,
            spouse: None,
            marriage_recorded: false,
            children,
        }
    }

    fn message(checks: &[Check], key: &str) -> (CheckOutcome, String) {
        let c = checks.iter().find(|c| c.key == key).unwrap();
        (c.outcome, c.message.clone())
    }

    #[test]
    fn birth_registration_explains_and_never_counts_against_a_limit() {
        let married = person(
            Sex::Female,
            MaritalStatus::FirstMarriage,
            PopulationType::Resident,
        );
        // Three children already: the fourth is registered like the first.
        let checks = review_checks(
            CertificateKind::BirthRegistration,
            &facts(married.clone(), 3),
            &Application {
                spouse_name: Some(PersonName::parse("赵刚").unwrap()),
                ..Default::default()
            },
            TODAY,
        );
        assert!(approvable(&checks));
        assert_eq!(
            message(&checks, "children").1,
            "登记册中已有子女 3 人；本次登记为第4孩"
        );
        assert_eq!(message(&checks, "spouse").0, CheckOutcome::Note);
        assert_eq!(
            message(&checks, "marriage_event").1,
            "时间线上没有结婚事件（婚姻状况来自建档数据）"
        );
        // Nothing names the spouse: the one thing missing, and said so.
        let checks = review_checks(
            CertificateKind::BirthRegistration,
            &facts(married, 0),
            &Application::default(),
            TODAY,
        );
        assert!(!approvable(&checks));
        assert_eq!(
            message(&checks, "spouse"),
            (
                CheckOutcome::Missing,
                "配偶不在本登记册中，申请也没有填写配偶姓名".to_string()
            )
        );
        // Unmarried: a note, and approvable.
        let single = person(
            Sex::Female,
            MaritalStatus::Unmarried,
            PopulationType::Resident,
        );
        let checks = review_checks(
            CertificateKind::BirthRegistration,
            &facts(single, 0),
            &Application::default(),
            TODAY,
        );
        assert!(approvable(&checks), "{checks:?}");
        assert_eq!(message(&checks, "marital_status").0, CheckOutcome::Note);
    }

    #[test]
    fn identity_and_residence_are_what_stop_an_approval() {
        let mut nobody = person(
            Sex::Male,
            MaritalStatus::Unmarried,
            PopulationType::Resident,
        );
        nobody.data.id_number = None;
        let checks = review_checks(
            CertificateKind::ReproductiveHealthCard,
            &facts(nobody, 0),
            &Application::default(),
            TODAY,
        );
        assert_eq!(
            message(&checks, "identity"),
            (
                CheckOutcome::Missing,
                "登记册中没有此人的身份证号，请先补录".to_string()
            )
        );
        let migrant_in = person(
            Sex::Female,
            MaritalStatus::Unmarried,
            PopulationType::MigrantIn,
        );
        let checks = review_checks(
            CertificateKind::MigrantCertificate,
            &facts(migrant_in, 0),
            &Application::default(),
            TODAY,
        );
        assert_eq!(message(&checks, "residence").0, CheckOutcome::Missing);
        assert!(message(&checks, "residence").1.contains("户籍地"));
    }

    #[test]
    fn a_married_migrant_certificate_holder_needs_the_spouse_known() {
        let married = person(
            Sex::Female,
            MaritalStatus::FirstMarriage,
            PopulationType::MigrantOut,
        );
        let kind = CertificateKind::MigrantCertificate;
        // Neither on the register nor named: the paper would print 配偶姓名 blank.
        let checks = review_checks(
            kind,
            &facts(married.clone(), 0),
            &Application::default(),
            TODAY,
        );
        assert!(!approvable(&checks), "{checks:?}");
        assert_eq!(message(&checks, "spouse").0, CheckOutcome::Missing);
        let named = Application {
            spouse_name: Some(PersonName::parse("赵刚").unwrap()),
            ..Default::default()
        };
        let checks = review_checks(kind, &facts(married.clone(), 0), &named, TODAY);
        assert!(approvable(&checks), "{checks:?}");
        let mut linked = facts(married, 0);
        linked.spouse = Some(person(
            Sex::Male,
            MaritalStatus::FirstMarriage,
            PopulationType::Resident,
        ));
        let checks = review_checks(kind, &linked, &Application::default(), TODAY);
        assert_eq!(message(&checks, "spouse").0, CheckOutcome::Passed);
        // Unmarried: no spouse asked.
        let single = person(
            Sex::Female,
            MaritalStatus::Unmarried,
            PopulationType::MigrantOut,
        );
        let checks = review_checks(kind, &facts(single, 0), &Application::default(), TODAY);
        assert!(checks.iter().all(|c| c.key != "spouse"), "{checks:?}");
        assert!(approvable(&checks));
    }

    #[test]
    fn an_application_keeps_only_what_its_kind_asks() {
        let app = Application {
            spouse_name: Some(PersonName::parse("赵刚").unwrap()),
            expected_date: Some(date(2027, 3, 1)),
            destination: Some("江苏省南京市".into()),
            note: Some("窗口受理".into()),
            ..Default::default()
        };
        let card = app
            .clone()
            .for_kind(CertificateKind::ReproductiveHealthCard, TODAY)
            .unwrap();
        assert_eq!(
            card,
            Application {
                note: Some("窗口受理".into()),
                ..Default::default()
            }
        );
        let migrant = app
            .clone()
            .for_kind(CertificateKind::MigrantCertificate, TODAY)
            .unwrap();
        assert_eq!(migrant.destination.as_deref(), Some("江苏省南京市"));
        // The migrant certificate prints the spouse: it keeps the name.
        assert_eq!(
            migrant.spouse_name.as_ref().map(|n| n.as_str()),
            Some("赵刚")
        );
        assert_eq!(migrant.expected_date, None);
        let past = Application {
            expected_date: Some(date(2026, 1, 1)),
            ..Default::default()
        };
        let errors = past
            .for_kind(CertificateKind::BirthRegistration, TODAY)
            .unwrap_err();
        assert_eq!(errors[0].field, "expected_date");
    }
}
