//! The register's indicators as the plan counts them: who is married, who is of childbearing
//! age, a small child or elderly. Defined once here; the store's counts take them as
//! parameters, so a figure on the home page and in a report mean the same thing.

use jiff::civil::Date;

use crate::codes::MaritalStatus;

/// Currently in a marriage: 已婚 and its sub-codes 初婚, 再婚 and 复婚 (GB/T 2261.2).
pub const MARRIED: [MaritalStatus; 4] = [
    MaritalStatus::Married,
    MaritalStatus::FirstMarriage,
    MaritalStatus::Remarried,
    MaritalStatus::Reunited,
];

/// Ages in whole years, both ends included; no upper end for "60 and over".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeBand {
    pub min: u8,
    pub max: Option<u8>,
}

/// Women of childbearing age (育龄妇女): 15 to 49.
pub const CHILDBEARING_AGE: AgeBand = AgeBand {
    min: 15,
    max: Some(49),
};

/// Children under three (0–2): the health services' and the birth follow-ups' children.
pub const UNDER_THREE: AgeBand = AgeBand {
    min: 0,
    max: Some(2),
};

/// The elderly: 60 and over.
pub const ELDERLY: AgeBand = AgeBand { min: 60, max: None };

/// An age band on a given day as birth dates: born after `born_after` (when there is an upper
/// age) and on or before `born_on_or_before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthDates {
    pub born_after: Option<Date>,
    pub born_on_or_before: Date,
}

impl AgeBand {
    /// Someone is `n` or older on `today` when born on or before the day `n` years earlier
    /// (a 29 February birthday counts from 28 February in other years).
    pub fn birth_dates(self, today: Date) -> BirthDates {
        BirthDates {
            born_after: self.max.map(|max| years_before(today, max as i16 + 1)),
            born_on_or_before: years_before(today, self.min as i16),
        }
    }

    pub fn contains(self, birth: Date, today: Date) -> bool {
        let b = self.birth_dates(today);
        birth <= b.born_on_or_before && b.born_after.is_none_or(|after| birth > after)
    }
}

fn years_before(today: Date, years: i16) -> Date {
    today
        .checked_sub(jiff::Span::new().years(years))
        .unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn childbearing_age_runs_from_the_fifteenth_birthday_to_the_day_before_the_fiftieth() {
        let today = date(2026, 12, 7);
        assert!(!CHILDBEARING_AGE.contains(date(2011, 12, 8), today));
        assert!(CHILDBEARING_AGE.contains(date(2011, 12, 7), today));
        assert!(CHILDBEARING_AGE.contains(date(1976, 12, 8), today));
        assert!(!CHILDBEARING_AGE.contains(date(1976, 12, 7), today));
    }

    #[test]
    fn under_three_ends_on_the_third_birthday_and_elderly_has_no_upper_end() {
        let today = date(2026, 12, 7);
        assert!(UNDER_THREE.contains(today, today));
        assert!(UNDER_THREE.contains(date(2023, 12, 8), today));
        assert!(!UNDER_THREE.contains(date(2023, 12, 7), today));
        assert!(ELDERLY.contains(date(1966, 12, 7), today));
        assert!(ELDERLY.contains(date(1900, 1, 1), today));
        assert!(!ELDERLY.contains(date(1966, 12, 8), today));
    }

    #[test]
    fn married_is_the_class_and_its_sub_codes() {
        for m in MaritalStatus::ALL {
            assert_eq!(MARRIED.contains(m), m.is_married(), "{m:?}");
        }
    }
}
