//! Statistical periods: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`), in
//! Beijing time. A year may start in another month than January (family-planning statistics
//! long ran 1 October – 30 September); the year is then named by the calendar year it ends in.

use std::fmt;

use jiff::civil::Date;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i16,
    /// 1–12.
    pub month: i8,
}

impl Month {
    pub fn of(day: Date) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// `yyyymm`, the key the counters are stored under.
    pub fn key(self) -> i32 {
        i32::from(self.year) * 100 + i32::from(self.month)
    }

    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).expect("a month's first day exists")
    }

    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Month {
        let index = i32::from(self.year) * 12 + i32::from(self.month) - 1 + n;
        Month {
            year: index.div_euclid(12) as i16,
            month: (index.rem_euclid(12) + 1) as i8,
        }
    }

    pub fn parse(input: &str) -> Option<Month> {
        let (y, m) = input.trim().split_once('-')?;
        let year: i16 = y.parse().ok().filter(|y| (1900..=2999).contains(y))?;
        let month: i8 = m.parse().ok().filter(|m| (1..=12).contains(m))?;
        (y.len() == 4 && m.len() == 2).then_some(Month { year, month })
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Month(Month),
    /// A calendar quarter, 1–4.
    Quarter {
        year: i16,
        quarter: i8,
    },
    /// A statistical year, named by the calendar year it ends in.
    Year(i16),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("统计期「{0}」无法识别，请写成 2026-11（月）、2026-Q4（季）或 2026（年）")]
pub struct PeriodError(pub String);

impl Period {
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let s = input.trim();
        let bad = || PeriodError(s.to_string());
        if let Some(month) = Month::parse(s) {
            return Ok(Period::Month(month));
        }
        if let Some((y, q)) = s.split_once(['-', ' ']) {
            let q = q.strip_prefix(['Q', 'q']).ok_or_else(bad)?;
            let year: i16 = y.parse().map_err(|_| bad())?;
            let quarter: i8 = q.parse().map_err(|_| bad())?;
            if y.len() != 4 || !(1..=4).contains(&quarter) || !(1900..=2999).contains(&year) {
                return Err(bad());
            }
            return Ok(Period::Quarter { year, quarter });
        }
        match s.parse::<i16>() {
            Ok(year) if s.len() == 4 && (1900..=2999).contains(&year) => Ok(Period::Year(year)),
            _ => Err(bad()),
        }
    }

    /// The first and last month, given the month the statistical year starts in (1 = January).
    pub fn months(self, year_starts: i8) -> (Month, Month) {
        match self {
            Period::Month(m) => (m, m),
            Period::Quarter { year, quarter } => {
                let first = Month {
                    year,
                    month: (quarter - 1) * 3 + 1,
                };
                (first, first.plus(2))
            }
            Period::Year(year) => {
                let last = Month {
                    year,
                    month: year_starts,
                }
                .plus(-1);
                // A year starting in January ends in December of the same year.
                let last = if year_starts == 1 {
                    Month { year, month: 12 }
                } else {
                    last
                };
                (last.plus(-11), last)
            }
        }
    }

    /// The period just before: the previous month, quarter or year.
    pub fn previous(self) -> Period {
        match self {
            Period::Month(m) => Period::Month(m.plus(-1)),
            Period::Quarter { year, quarter: 1 } => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter - 1,
            },
            Period::Year(y) => Period::Year(y - 1),
        }
    }

    /// The same period a year earlier.
    pub fn a_year_earlier(self) -> Period {
        match self {
            Period::Month(m) => Period::Month(m.plus(-12)),
            Period::Quarter { year, quarter } => Period::Quarter {
                year: year - 1,
                quarter,
            },
            Period::Year(y) => Period::Year(y - 1),
        }
    }

    /// The day its stock is taken: the last day, or today while the period is not over.
    pub fn stock_day(self, year_starts: i8, today: Date) -> Date {
        self.months(year_starts).1.last_day().min(today)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(m) => m.fmt(f),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn m(year: i16, month: i8) -> Month {
        Month { year, month }
    }

    #[test]
    fn periods_parse_and_print_as_written() {
        for s in ["2026-11", "2026-Q4", "2026"] {
            assert_eq!(Period::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Period::parse("2026-q1").unwrap(),
            Period::Quarter {
                year: 2026,
                quarter: 1
            }
        );
        for bad in ["2026-13", "2026-Q5", "26", "2026-1", "十一月", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn months_of_a_period_follow_the_statistical_year() {
        assert_eq!(
            Period::parse("2026-Q4").unwrap().months(1),
            (m(2026, 10), m(2026, 12))
        );
        assert_eq!(Period::Year(2026).months(1), (m(2026, 1), m(2026, 12)));
        // 1 October 2025 – 30 September 2026 is the statistical year 2026.
        assert_eq!(Period::Year(2026).months(10), (m(2025, 10), m(2026, 9)));
    }

    #[test]
    fn comparisons_are_the_previous_period_and_a_year_earlier() {
        assert_eq!(
            Period::Month(m(2026, 1)).previous(),
            Period::Month(m(2025, 12))
        );
        assert_eq!(
            Period::Month(m(2026, 1)).a_year_earlier(),
            Period::Month(m(2025, 1))
        );
        assert_eq!(
            Period::parse("2026-Q1").unwrap().previous(),
            Period::parse("2025-Q4").unwrap()
        );
    }

    #[test]
    fn stock_is_taken_on_the_last_day_or_today_while_the_period_runs() {
        let today = date(2026, 12, 7);
        assert_eq!(
            Period::Month(m(2026, 2)).stock_day(1, today),
            date(2026, 2, 28)
        );
        assert_eq!(Period::Month(m(2026, 12)).stock_day(1, today), today);
        assert_eq!(m(2024, 2).last_day(), date(2024, 2, 29));
        assert_eq!(m(2026, 1).plus(-1), m(2025, 12));
        assert_eq!(m(2026, 12).key(), 202612);
    }
}
