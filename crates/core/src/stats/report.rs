//! A report as it is read and written: the API's document, the CLI's JSON, the XLSX sheet.

use jiff::civil::Date;
use serde::Serialize;

use super::Figures;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaRef {
    /// Empty for the whole register.
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub area: AreaRef,
    pub figures: Figures,
    /// A resident group's row read by a role without health access: its pregnancy,
    /// contraception and pregnancy-outcome counts of 1 or 2 are shown as `<3` (they would
    /// point at people), and the contraceptive prevalence is left out when any was.
    pub masked: bool,
}

/// Pregnancy, contraception and pregnancy outcomes: the figures masked below a committee.
const HEALTH_PATHS: [(&str, &str); 5] = [
    ("stock", "contraception"),
    ("stock", "pregnant"),
    ("flow", "pregnancy_outcomes"),
    ("flow", "contraception_starts"),
    ("flow", "contraception_changes"),
];

fn small(n: i64) -> bool {
    (1..=2).contains(&n)
}

/// Replaces counts of 1 and 2 with "<3"; true when any was.
fn mask(v: &mut serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(n) if n.as_i64().is_some_and(small) => {
            *v = "<3".into();
            true
        }
        serde_json::Value::Object(o) => {
            // Every value, not only up to the first masked one.
            let mut any = false;
            for x in o.values_mut() {
                any |= mask(x);
            }
            any
        }
        _ => false,
    }
}

impl ReportRow {
    /// Whether a column's figure is hidden in this row (shown as `<3`, or `—` for a rate).
    pub fn hides(&self, column: &Column) -> bool {
        let f = &self.figures;
        self.masked
            && match column.key {
                "pregnant" => small(f.stock.pregnant),
                "contraceptive_prevalence" => {
                    f.stock.contraception.0.iter().any(|(_, n)| small(*n))
                }
                _ => false,
            }
    }
}

impl Serialize for ReportRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let mut v = serde_json::to_value(&self.figures).map_err(S::Error::custom)?;
        if self.masked {
            let mut contraception = false;
            for (part, figure) in HEALTH_PATHS {
                if let Some(x) = v.get_mut(part).and_then(|p| p.get_mut(figure)) {
                    let any = mask(x);
                    contraception |= any && figure.starts_with("contraception");
                }
            }
            if contraception {
                v["indicators"]["contraceptive_prevalence"] = serde_json::Value::Null;
            }
        }
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("area", &self.area)?;
        if let serde_json::Value::Object(o) = v {
            for (k, x) in o {
                map.serialize_entry(&k, &x)?;
            }
        }
        map.end()
    }
}

/// A closed period's figures as they were submitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submitted {
    pub at: String,
    pub by: String,
    pub total: ReportRow,
}

/// The total of another period, for comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub period: String,
    pub total: ReportRow,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub area: AreaRef,
    pub period: String,
    /// The day the stock is taken.
    pub as_of: Date,
    pub total: ReportRow,
    pub rows: Vec<ReportRow>,
    pub submitted: Option<Submitted>,
    pub previous_period: Option<Comparison>,
    pub a_year_earlier: Option<Comparison>,
    /// Births of the area in the 13 months up to the period's last, by sex (a chart's data).
    pub births_by_month: Vec<MonthBirths>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthBirths {
    pub month: String,
    pub male: i64,
    pub female: i64,
}

/// A column of the printed sheet and the page's table: the figures a station reads first.
pub struct Column {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// The first header row's group.
    pub group_zh: &'static str,
    pub group_en: &'static str,
    pub value: fn(&Figures) -> Option<f64>,
}

fn n(v: i64) -> Option<f64> {
    Some(v as f64)
}

fn population(f: &Figures, t: &str) -> Option<f64> {
    n(f.stock.population.get(t).map_or(0, |b| b.total()))
}

const STOCK: (&str, &str) = ("人口（期末）", "Population (end of period)");
const WOMEN: (&str, &str) = ("育龄妇女（期末）", "Women 15–49 (end of period)");
const FLOW: (&str, &str) = ("变动（本期）", "Changes (in the period)");
const TIMELY: (&str, &str) = ("上报", "Reporting");

macro_rules! col {
    ($key:literal, $zh:literal, $en:literal, $g:ident, $v:expr) => {
        Column {
            key: $key,
            zh: $zh,
            en: $en,
            group_zh: $g.0,
            group_en: $g.1,
            value: $v,
        }
    };
}

pub const COLUMNS: &[Column] = &[
    col!("population", "总人口", "Population", STOCK, |f| n(
        f.population_total()
    )),
    col!("resident", "常住", "Resident", STOCK, |f| population(
        f, "resident"
    )),
    col!("migrant_in", "流入", "Migrants in", STOCK, |f| population(
        f,
        "migrant_in"
    )),
    col!("migrant_out", "流出", "Migrants out", STOCK, |f| {
        population(f, "migrant_out")
    }),
    col!("women_15_49", "育龄妇女", "Women 15–49", WOMEN, |f| n(
        f.stock.women_15_49
    )),
    col!(
        "married_women_15_49",
        "已婚育龄妇女",
        "Married women 15–49",
        WOMEN,
        |f| n(f.stock.married_women_15_49)
    ),
    col!(
        "contraceptive_prevalence",
        "综合避孕率(%)",
        "Contraceptive prevalence (%)",
        WOMEN,
        |f| f.indicators.contraceptive_prevalence
    ),
    col!("pregnant", "在孕", "Pregnant", WOMEN, |f| n(f
        .stock
        .pregnant)),
    col!("births", "出生", "Births", FLOW, |f| n(f
        .flow
        .births
        .total)),
    col!(
        "sex_ratio_at_birth",
        "出生性别比",
        "Sex ratio at birth",
        FLOW,
        |f| f.indicators.sex_ratio_at_birth
    ),
    col!("marriages", "结婚", "Marriages", FLOW, |f| n(f
        .flow
        .marriages)),
    col!("deaths", "死亡", "Deaths", FLOW, |f| n(f.flow.deaths)),
    col!("moves_in", "迁入", "Moves in", FLOW, |f| n(f
        .flow
        .moves_in)),
    col!("moves_out", "迁出", "Moves out", FLOW, |f| n(f
        .flow
        .moves_out)),
    col!(
        "migrants_arrived",
        "流入人口到达",
        "Migrants arrived",
        FLOW,
        |f| n(f.flow.migrants_arrived)
    ),
    col!(
        "timeliness",
        "及时率(%)",
        "Timeliness (%)",
        TIMELY,
        |f| f.indicators.timeliness
    ),
];
