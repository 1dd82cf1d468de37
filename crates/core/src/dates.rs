//! Dates as people type them into spreadsheets.

use jiff::civil::Date;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("日期「{0}」无法识别，请写成 2024-03-05、2024/3/5 或 20240305")]
pub struct DateError(pub String);

/// Accepts 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305 and Excel serial numbers
/// (days since 1899-12-30, as a date cell reads when its format is lost).
pub fn parse_date(input: &str) -> Result<Date, DateError> {
    let s = input.trim();
    let bad = || DateError(s.to_string());
    let digits_only = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if digits_only && s.len() == 8 && !s.contains('.') {
        let n = |r: std::ops::Range<usize>| s[r].parse::<i16>().map_err(|_| bad());
        return Date::new(n(0..4)?, n(4..6)? as i8, n(6..8)? as i8).map_err(|_| bad());
    }
    if digits_only
        && s.split('.').count() <= 2
        && s.split('.')
            .next()
            .is_some_and(|w| (1..=5).contains(&w.len()))
    {
        let whole = s.split('.').next().unwrap_or("");
        let serial: i64 = whole.parse().map_err(|_| bad())?;
        return from_excel_serial(serial).ok_or_else(bad);
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return Err(bad());
    }
    let y: i16 = parts[0].parse().map_err(|_| bad())?;
    let m: i8 = parts[1].parse().map_err(|_| bad())?;
    // A time part ("2024-03-05 00:00:00") is tolerated; the date is what counts.
    let d: i8 = parts[2]
        .split_whitespace()
        .next()
        .unwrap_or("")
        .parse()
        .map_err(|_| bad())?;
    Date::new(y, m, d).map_err(|_| bad())
}

/// Excel's day numbers: 1 is 1900-01-01, and Excel counts a 29 February 1900 that never was.
pub fn from_excel_serial(serial: i64) -> Option<Date> {
    if !(1..=2_958_465).contains(&serial) {
        return None;
    }
    let base = jiff::civil::date(1899, 12, 30);
    let days = if serial < 61 { serial + 1 } else { serial };
    base.checked_add(jiff::Span::new().days(days)).ok()
}

/// Whole years of age on `on`.
pub fn age_on(birth: Date, on: Date) -> i32 {
    let mut age = i32::from(on.year()) - i32::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_ways_people_write_dates() {
        for s in [
            "2024-03-05",
            "2024/3/5",
            "2024.3.5",
            "2024年3月5日",
            "20240305",
            "45356",
            "45356.0",
            "2024-03-05 00:00:00",
        ] {
            assert_eq!(parse_date(s), Ok(date(2024, 3, 5)), "{s}");
        }
        assert!(parse_date("2024-02-30").is_err());
        assert!(parse_date("去年").is_err());
        assert!(parse_date("05/03/2024").is_err());
    }

    #[test]
    fn excel_serials_around_the_phantom_leap_day() {
        assert_eq!(from_excel_serial(1), Some(date(1900, 1, 1)));
        assert_eq!(from_excel_serial(61), Some(date(1900, 3, 1)));
    }

    #[test]
    fn ages_are_whole_years() {
        assert_eq!(age_on(date(2000, 6, 15), date(2026, 6, 14)), 25);
        assert_eq!(age_on(date(2000, 6, 15), date(2026, 6, 15)), 26);
    }
}
