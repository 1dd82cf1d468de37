//! A report row's figures from the sums of its cells, and the indicators computed from them.
//! Indicators are never stored: a total row computes them from its own sums.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::cells::{AGE_BANDS, Cell, band_name, order_name};
use crate::codes::{ContraceptionMethod, PopulationType, PregnancyOutcome, Sex};

/// The summed cells of one area over one period: stock on its day, flow over its months.
pub type Sums = BTreeMap<Cell, i64>;

/// A map that keeps its keys in the order given (age bands in age order, not string order).
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<V: Copy> Ordered<V> {
    pub fn get(&self, key: &str) -> Option<V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct BySex {
    pub male: i64,
    pub female: i64,
}

impl BySex {
    pub fn total(self) -> i64 {
        self.male + self.female
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stock {
    /// `resident`, `migrant_in`, `migrant_out` × sex.
    pub population: Ordered<BySex>,
    /// `0-4` … `85+` × sex.
    pub age_bands: Ordered<BySex>,
    pub women_15_49: i64,
    pub married_women_15_49: i64,
    /// Married women 15–49 by the method current that day, and `none`.
    pub contraception: Ordered<i64>,
    pub pregnant: i64,
    /// Children under three (the home page's figure).
    pub children_under_3: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Births {
    pub total: i64,
    pub by_sex: BySex,
    /// `1`, `2`, `3`, `4+`.
    pub by_order: Ordered<i64>,
    pub by_order_sex: Ordered<BySex>,
    pub by_mother_type: Ordered<i64>,
}

/// Events of a reporting kind in the period, and those recorded within their window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reported {
    pub total: i64,
    pub on_time: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    pub births: Births,
    pub birth_defects: i64,
    pub low_birth_weight: i64,
    pub marriages: i64,
    pub divorces: i64,
    pub deaths: i64,
    pub moves_in: i64,
    pub moves_out: i64,
    pub migrants_arrived: i64,
    pub pregnancy_outcomes: Ordered<i64>,
    pub contraception_starts: Ordered<i64>,
    pub contraception_changes: Ordered<i64>,
    pub reported_events: Reported,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicators {
    /// Male births ÷ female births × 100, one decimal; null without female births.
    pub sex_ratio_at_birth: Option<f64>,
    pub sex_ratio_at_birth_by_order: Ordered<Option<f64>>,
    /// 综合避孕率: married women 15–49 with a method ÷ married women 15–49 × 100.
    pub contraceptive_prevalence: Option<f64>,
    /// 及时率: events recorded within their window ÷ events of the period × 100.
    pub timeliness: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub stock: Stock,
    pub flow: Flow,
    pub indicators: Indicators,
}

/// `part ÷ whole × 100` to one decimal, rounded half up; None when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| ((part * 2000 + whole) / (2 * whole)) as f64 / 10.0)
}

impl Figures {
    pub fn from_sums(s: &Sums) -> Figures {
        let get = |c: Cell| s.get(&c).copied().unwrap_or(0);
        let by_sex = |f: &dyn Fn(Sex) -> Cell| BySex {
            male: get(f(Sex::Male)),
            female: get(f(Sex::Female)),
        };
        let population = Ordered(
            PopulationType::ALL
                .iter()
                .map(|&t| (t.code().to_string(), by_sex(&|x| Cell::Population(t, x))))
                .collect(),
        );
        let age_bands = Ordered(
            (0..AGE_BANDS)
                .map(|b| (band_name(b), by_sex(&|x| Cell::Age(b, x))))
                .collect(),
        );
        let women_15_49 = (3..10).map(|b| get(Cell::Age(b, Sex::Female))).sum();
        let mut contraception: Vec<(String, i64)> = ContraceptionMethod::ALL
            .iter()
            .map(|&m| (m.code().to_string(), get(Cell::MarriedWoman(Some(m)))))
            .collect();
        contraception.push(("none".into(), get(Cell::MarriedWoman(None))));
        let married: i64 = contraception.iter().map(|(_, n)| n).sum();
        let with_method = married - get(Cell::MarriedWoman(None));

        let birth = |o: Option<u8>, x: Option<Sex>, t: Option<PopulationType>| -> i64 {
            s.iter()
                .filter_map(|(c, n)| match c {
                    Cell::Birth(co, cx, ct)
                        if o.is_none_or(|o| o == *co)
                            && x.is_none_or(|x| x == *cx)
                            && t.is_none_or(|t| t == *ct) =>
                    {
                        Some(*n)
                    }
                    _ => None,
                })
                .sum()
        };
        let births = Births {
            total: birth(None, None, None),
            by_sex: BySex {
                male: birth(None, Some(Sex::Male), None),
                female: birth(None, Some(Sex::Female), None),
            },
            by_order: Ordered(
                (1..=4)
                    .map(|o| (order_name(o).to_string(), birth(Some(o), None, None)))
                    .collect(),
            ),
            by_order_sex: Ordered(
                (1..=4)
                    .map(|o| {
                        let n = BySex {
                            male: birth(Some(o), Some(Sex::Male), None),
                            female: birth(Some(o), Some(Sex::Female), None),
                        };
                        (order_name(o).to_string(), n)
                    })
                    .collect(),
            ),
            by_mother_type: Ordered(
                PopulationType::ALL
                    .iter()
                    .map(|&t| (t.code().to_string(), birth(None, None, Some(t))))
                    .collect(),
            ),
        };
        let per_method = |f: fn(ContraceptionMethod) -> Cell| {
            Ordered(
                ContraceptionMethod::ALL
                    .iter()
                    .map(|&m| (m.code().to_string(), get(f(m))))
                    .collect(),
            )
        };
        let reported = Reported {
            total: get(Cell::Reported),
            on_time: get(Cell::ReportedOnTime),
        };
        let ratio = |b: BySex| percent(b.male, b.female);
        let indicators = Indicators {
            sex_ratio_at_birth: ratio(births.by_sex),
            sex_ratio_at_birth_by_order: Ordered(
                births
                    .by_order_sex
                    .0
                    .iter()
                    .map(|(k, b)| (k.clone(), ratio(*b)))
                    .collect(),
            ),
            contraceptive_prevalence: percent(with_method, married),
            timeliness: percent(reported.on_time, reported.total),
        };
        Figures {
            stock: Stock {
                population,
                age_bands,
                women_15_49,
                married_women_15_49: married,
                contraception: Ordered(contraception),
                pregnant: get(Cell::Pregnant),
                children_under_3: get(Cell::UnderThree),
            },
            flow: Flow {
                births,
                birth_defects: get(Cell::BirthDefect),
                low_birth_weight: get(Cell::LowBirthWeight),
                marriages: get(Cell::Marriage),
                divorces: get(Cell::Divorce),
                deaths: get(Cell::Death),
                moves_in: get(Cell::MoveIn),
                moves_out: get(Cell::MoveOut),
                migrants_arrived: get(Cell::MigrantArrived),
                pregnancy_outcomes: Ordered(
                    PregnancyOutcome::ALL
                        .iter()
                        .map(|&o| (o.code().to_string(), get(Cell::Outcome(o))))
                        .collect(),
                ),
                contraception_starts: per_method(Cell::ContraceptionStart),
                contraception_changes: per_method(Cell::ContraceptionChange),
                reported_events: reported,
            },
            indicators,
        }
    }

    pub fn population_total(&self) -> i64 {
        self.stock.population.0.iter().map(|(_, b)| b.total()).sum()
    }
}

/// Adds one area's sums into another's (a total row is the sum of its rows).
pub fn add_into(total: &mut Sums, part: &Sums) {
    for (c, n) in part {
        *total.entry(*c).or_default() += n;
    }
}
