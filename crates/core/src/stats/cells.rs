//! The cells the counters keep: the smallest pieces every figure of a report is a sum of.
//!
//! A stock cell counts people in a state; its counter holds the changes, dated, so the stock on
//! a day is the sum of every change up to that day. A flow cell counts events of a month.

use crate::codes::{ContraceptionMethod, PopulationType, PregnancyOutcome, Sex};

/// Five-year age bands `0-4` … `80-84` and `85+`: the population pyramid.
pub const AGE_BANDS: u8 = 18;

/// The band of an age in completed years.
pub fn age_band(age: i32) -> u8 {
    (age.max(0) / 5).min(i32::from(AGE_BANDS) - 1) as u8
}

/// `0-4`, `5-9`, … `85+`.
pub fn band_name(band: u8) -> String {
    if band + 1 >= AGE_BANDS {
        format!("{}+", band * 5)
    } else {
        format!("{}-{}", band * 5, band * 5 + 4)
    }
}

/// Birth order as the report shows it: 1, 2, 3 and 4 for "4+".
pub fn order_class(order: u8) -> u8 {
    order.clamp(1, 4)
}

pub fn order_name(class: u8) -> &'static str {
    match class {
        1 => "1",
        2 => "2",
        3 => "3",
        _ => "4+",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cell {
    // Stock.
    Population(PopulationType, Sex),
    Age(u8, Sex),
    /// A married woman aged 15–49 and the method she uses that day (None: no method).
    MarriedWoman(Option<ContraceptionMethod>),
    Pregnant,
    /// A child under three (the home page's figure; not one of the report's bands).
    UnderThree,
    // Flow.
    /// A birth by the child's order class, sex and the mother's population type.
    Birth(u8, Sex, PopulationType),
    BirthDefect,
    LowBirthWeight,
    Marriage,
    Divorce,
    Death,
    MoveIn,
    MoveOut,
    MigrantArrived,
    Outcome(PregnancyOutcome),
    ContraceptionStart(ContraceptionMethod),
    ContraceptionChange(ContraceptionMethod),
    /// An event of a reporting kind, and one recorded within its window (timeliness).
    Reported,
    ReportedOnTime,
}

impl Cell {
    pub fn is_stock(self) -> bool {
        matches!(
            self,
            Cell::Population(..)
                | Cell::Age(..)
                | Cell::MarriedWoman(_)
                | Cell::Pregnant
                | Cell::UnderThree
        )
    }

    /// Pregnancy, contraception and pregnancy outcomes: shown as `<3` below a committee to
    /// roles without health access.
    pub fn is_health(self) -> bool {
        matches!(
            self,
            Cell::MarriedWoman(_)
                | Cell::Pregnant
                | Cell::Outcome(_)
                | Cell::ContraceptionStart(_)
                | Cell::ContraceptionChange(_)
        )
    }

    /// The key the counter is stored under.
    pub fn key(self) -> String {
        let method = |m: Option<ContraceptionMethod>| m.map_or("none", |m| m.code());
        match self {
            Cell::Population(t, s) => format!("s.pop.{}.{}", t.code(), sex_key(s)),
            Cell::Age(b, s) => format!("s.age.{b}.{}", sex_key(s)),
            Cell::MarriedWoman(m) => format!("s.mw.{}", method(m)),
            Cell::Pregnant => "s.pregnant".into(),
            Cell::UnderThree => "s.under3".into(),
            Cell::Birth(o, s, t) => format!("f.birth.{o}.{}.{}", sex_key(s), t.code()),
            Cell::BirthDefect => "f.defect".into(),
            Cell::LowBirthWeight => "f.lbw".into(),
            Cell::Marriage => "f.marriage".into(),
            Cell::Divorce => "f.divorce".into(),
            Cell::Death => "f.death".into(),
            Cell::MoveIn => "f.move_in".into(),
            Cell::MoveOut => "f.move_out".into(),
            Cell::MigrantArrived => "f.arrived".into(),
            Cell::Outcome(o) => format!("f.outcome.{}", o.code()),
            Cell::ContraceptionStart(m) => format!("f.cstart.{}", m.code()),
            Cell::ContraceptionChange(m) => format!("f.cchange.{}", m.code()),
            Cell::Reported => "f.reported".into(),
            Cell::ReportedOnTime => "f.on_time".into(),
        }
    }

    pub fn parse(key: &str) -> Option<Cell> {
        let parts: Vec<&str> = key.split('.').collect();
        let sex = |s: &str| match s {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => None,
        };
        let ptype = |s: &str| PopulationType::ALL.iter().copied().find(|t| t.code() == s);
        let method = |s: &str| {
            ContraceptionMethod::ALL
                .iter()
                .copied()
                .find(|m| m.code() == s)
        };
        Some(match parts.as_slice() {
            ["s", "pop", t, s] => Cell::Population(ptype(t)?, sex(s)?),
            ["s", "age", b, s] => Cell::Age(b.parse().ok().filter(|b| *b < AGE_BANDS)?, sex(s)?),
            ["s", "mw", "none"] => Cell::MarriedWoman(None),
            ["s", "mw", m] => Cell::MarriedWoman(Some(method(m)?)),
            ["s", "pregnant"] => Cell::Pregnant,
            ["s", "under3"] => Cell::UnderThree,
            ["f", "birth", o, s, t] => Cell::Birth(
                o.parse().ok().filter(|o| (1..=4).contains(o))?,
                sex(s)?,
                ptype(t)?,
            ),
            ["f", "defect"] => Cell::BirthDefect,
            ["f", "lbw"] => Cell::LowBirthWeight,
            ["f", "marriage"] => Cell::Marriage,
            ["f", "divorce"] => Cell::Divorce,
            ["f", "death"] => Cell::Death,
            ["f", "move_in"] => Cell::MoveIn,
            ["f", "move_out"] => Cell::MoveOut,
            ["f", "arrived"] => Cell::MigrantArrived,
            ["f", "outcome", o] => Cell::Outcome(
                PregnancyOutcome::ALL
                    .iter()
                    .copied()
                    .find(|x| x.code() == *o)?,
            ),
            ["f", "cstart", m] => Cell::ContraceptionStart(method(m)?),
            ["f", "cchange", m] => Cell::ContraceptionChange(method(m)?),
            ["f", "reported"] => Cell::Reported,
            ["f", "on_time"] => Cell::ReportedOnTime,
            _ => return None,
        })
    }
}

pub fn sex_key(s: Sex) -> &'static str {
    match s {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_key_reads_back_as_its_cell() {
        let mut cells = vec![
            Cell::Pregnant,
            Cell::UnderThree,
            Cell::MarriedWoman(None),
            Cell::BirthDefect,
        ];
        for &s in Sex::ALL {
            for &t in PopulationType::ALL {
                cells.push(Cell::Population(t, s));
                for o in 1..=4 {
                    cells.push(Cell::Birth(o, s, t));
                }
            }
            for b in 0..AGE_BANDS {
                cells.push(Cell::Age(b, s));
            }
        }
        for &m in ContraceptionMethod::ALL {
            cells.extend([
                Cell::MarriedWoman(Some(m)),
                Cell::ContraceptionStart(m),
                Cell::ContraceptionChange(m),
            ]);
        }
        for &o in PregnancyOutcome::ALL {
            cells.push(Cell::Outcome(o));
        }
        for c in cells {
            assert_eq!(Cell::parse(&c.key()), Some(c), "{}", c.key());
        }
        assert_eq!(Cell::parse("s.age.18.male"), None);
    }

    #[test]
    fn bands_are_five_years_wide_up_to_85_and_over() {
        assert_eq!((age_band(0), age_band(4), age_band(5)), (0, 0, 1));
        assert_eq!((age_band(84), age_band(85), age_band(120)), (16, 17, 17));
        assert_eq!(band_name(0), "0-4");
        assert_eq!(band_name(17), "85+");
        assert_eq!(order_name(order_class(7)), "4+");
    }
}
