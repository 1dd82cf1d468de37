//! One person's particulars: name, ID number, schooling, phone, where they are registered.

use jiff::civil::Date;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use renkou_core::{
    Education, Ethnicity, IdNumber, MaritalStatus, PersonData, PersonName, Phone, Place,
    PopulationType, Relation, Sex,
};

use super::households::{Home, Member, People};
use super::names::*;
use super::{choose, days_between, pick, weighted};

pub(super) const ETHNICITIES: &[(Ethnicity, u32)] = &[
    (Ethnicity::Han, 9860),
    (Ethnicity::Hui, 70),
    (Ethnicity::Manchu, 30),
    (Ethnicity::Zhuang, 10),
    (Ethnicity::Miao, 10),
    (Ethnicity::Tujia, 10),
    (Ethnicity::Mongol, 5),
    (Ethnicity::Uyghur, 5),
];

/// Education by birth cohort (before 1960, 1960s–70s, 1975–89, since 1990): each generation
/// went to school longer than the one before.
const EDUCATION: &[&[(Education, u32)]] = &[
    &[
        (Education::Primary, 35),
        (Education::JuniorHigh, 28),
        (Education::HighSchool, 14),
        (Education::Secondary, 6),
        (Education::College, 4),
        (Education::Bachelor, 3),
        (Education::Other, 10),
    ],
    &[
        (Education::Primary, 8),
        (Education::JuniorHigh, 35),
        (Education::HighSchool, 22),
        (Education::Secondary, 10),
        (Education::Technical, 6),
        (Education::College, 11),
        (Education::Bachelor, 7),
        (Education::Postgraduate, 1),
    ],
    &[
        (Education::Primary, 2),
        (Education::JuniorHigh, 22),
        (Education::HighSchool, 16),
        (Education::Secondary, 9),
        (Education::Technical, 5),
        (Education::College, 21),
        (Education::Bachelor, 22),
        (Education::Postgraduate, 3),
    ],
    &[
        (Education::JuniorHigh, 12),
        (Education::HighSchool, 14),
        (Education::Secondary, 8),
        (Education::Technical, 5),
        (Education::College, 26),
        (Education::Bachelor, 30),
        (Education::Postgraduate, 5),
    ],
];

pub(super) fn draw_surname(rng: &mut ChaCha8Rng, ethnicity: Ethnicity) -> &'static str {
    if ethnicity == Ethnicity::Hui && rng.random_bool(0.7) {
        pick(rng, HUI_SURNAMES)
    } else {
        weighted(rng, SURNAMES)
    }
}

/// A name in the fashion of the year the person was born.
pub(super) fn full_name(
    rng: &mut ChaCha8Rng,
    surname: &str,
    sex: Sex,
    born: i16,
    ethnicity: Ethnicity,
) -> PersonName {
    let name = if ethnicity == Ethnicity::Uyghur {
        let list = match sex {
            Sex::Male => UYGHUR_MALE,
            Sex::Female => UYGHUR_FEMALE,
        };
        pick(rng, list).to_string()
    } else {
        let era = ERAS
            .iter()
            .find(|e| born < e.until)
            .unwrap_or(&ERAS[ERAS.len() - 1]);
        let list = match sex {
            Sex::Male => era.male,
            Sex::Female => era.female,
        };
        let given = pick(rng, list);
        if rng.random_bool(0.004) {
            let rare = pick(rng, RARE_GIVEN);
            match given.chars().next() {
                Some(first) if rng.random_bool(0.5) => format!("{surname}{first}{rare}"),
                _ => format!("{surname}{rare}"),
            }
        } else {
            format!("{surname}{given}")
        }
    };
    PersonName::parse(&name).expect("demo names are valid")
}

impl People<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn member(
        &mut self,
        home: &Home,
        sex: Sex,
        birth: Date,
        relation: Relation,
        marital_status: MaritalStatus,
        surname: &'static str,
        ethnicity: Ethnicity,
    ) -> Member {
        let age = self.age(birth);
        // Babies get their ID number later; everyone older has one.
        let id_number =
            (days_between(birth, self.today) > 366).then(|| self.id_number(home, birth, sex));
        let name = full_name(&mut self.rng, surname, sex, birth.year(), ethnicity);
        let education = (age >= 18).then(|| self.education(birth, home.migrant));
        let has_phone = age >= 18 && self.rng.random_bool(if age < 75 { 0.96 } else { 0.55 });
        let phone = has_phone.then(|| self.mobile());
        let (registered_place, population_type, origin) = if home.migrant {
            let (code, place) = home.origin;
            (
                Place {
                    code: Some(code.to_string()),
                    text: Some(place.to_string()),
                },
                PopulationType::MigrantIn,
                Some(place.to_string()),
            )
        } else {
            (
                Place {
                    code: Some(DISTRICT.0.to_string()),
                    text: Some(REGISTERED_HERE.to_string()),
                },
                PopulationType::Resident,
                None,
            )
        };
        Member {
            data: PersonData {
                id_number,
                name,
                sex,
                birth_date: birth,
                ethnicity,
                marital_status,
                education,
                phone,
                household_no: home.no.clone(),
                relation,
                population_type,
                registered_place: Some(registered_place),
                area_code: home.area.clone(),
                address: Some(home.address.clone()),
                arrival_date: None,
                leaving_date: None,
                origin_or_destination: origin,
            },
            surname,
            family_surname: surname,
            children: 0,
            youngest_child: None,
            spouse: None,
            may_leave: false,
        }
    }

    /// A valid ID number no one else has: the address code of where it was first issued, the
    /// birth date, and a sequence number that is odd for men and even for women.
    pub(super) fn id_number(&mut self, home: &Home, birth: Date, sex: Sex) -> IdNumber {
        let date_key =
            (birth.year() as u64) * 512 + (birth.month() as u64) * 32 + birth.day() as u64;
        for attempt in 0.. {
            let code = if home.migrant {
                if attempt < 20 {
                    home.origin.0
                } else {
                    choose(&mut self.rng, ORIGINS, |o| o.2).0
                }
            } else if birth.year() < 2016 {
                weighted(&mut self.rng, LOCAL_CODES_BEFORE_2016)
            } else {
                weighted(&mut self.rng, LOCAL_CODES_SINCE_2016)
            };
            let seq = self.rng.random_range(0..500u16) * 2 + u16::from(sex == Sex::Male);
            let code_key: u64 = code.parse().expect("six digits");
            if self
                .used_ids
                .insert(code_key << 31 | date_key << 10 | u64::from(seq))
            {
                return IdNumber::from_parts(code, birth, seq).expect("demo ID numbers are valid");
            }
        }
        unreachable!("an unused ID number is always found")
    }

    pub(super) fn education(&mut self, birth: Date, migrant: bool) -> Education {
        use Education as E;
        let cohort = match birth.year() {
            ..1960 => 0,
            1960..1975 => 1,
            1975..1990 => 2,
            _ => 3,
        };
        // Most migrants grew up in the countryside, where schooling lagged a generation.
        let cohort = if migrant { cohort.max(1) - 1 } else { cohort };
        let drawn = weighted(&mut self.rng, EDUCATION[cohort]);
        // Students still at university count by the school they finished.
        let finished_at = match drawn {
            E::Postgraduate => 25,
            E::Bachelor => 22,
            E::College => 21,
            _ => 0,
        };
        if self.age(birth) < finished_at {
            E::HighSchool
        } else {
            drawn
        }
    }

    pub(super) fn mobile(&mut self) -> Phone {
        let prefix = pick(&mut self.rng, MOBILE_PREFIXES);
        let rest = self.rng.random_range(0..100_000_000u32);
        Phone::parse(&format!("{prefix}{rest:08}")).expect("a valid mobile number")
    }
}
