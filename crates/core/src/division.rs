//! Administrative division codes (GB/T 2260, 6 digits) read as place names: 户籍地 is printed
//! as "湖北省武汉市江岸区", not as `420102`, when the register holds only the code. The table
//! (`division/table.txt`) has every province and prefecture and the districts and counties the
//! demo city and its migrants come from; a code it lacks reads as its nearest known parent.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("division/table.txt");

fn table() -> &'static HashMap<&'static str, &'static str> {
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(' '))
            .collect()
    })
}

/// A division code read as a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// The full name, province first ("湖北省武汉市江岸区"); for a code the table lacks, its
    /// nearest known parent's.
    pub name: String,
    /// Whether the name is the code's own (false: a parent's).
    pub exact: bool,
}

/// The place a 6-digit division code stands for; `None` when it is no such code or not even
/// its province is known.
pub fn division(code: &str) -> Option<Division> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let names = table();
    let province = format!("{}0000", &code[..2]);
    let prefecture = format!("{}00", &code[..4]);
    let mut name = names.get(province.as_str())?.to_string();
    let mut exact = code == province;
    if code != province {
        // A municipality's districts have no prefecture of their own in the table.
        if let Some(p) = names.get(prefecture.as_str()) {
            name.push_str(p);
            exact = code == prefecture;
        }
        if code != prefecture
            && let Some(d) = names.get(code)
        {
            name.push_str(d);
            exact = true;
        }
    }
    Some(Division { name, exact })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(code: &str) -> Option<(String, bool)> {
        division(code).map(|d| (d.name, d.exact))
    }

    #[test]
    fn a_code_reads_as_province_prefecture_and_district() {
        assert_eq!(name("420102"), Some(("湖北省武汉市江岸区".into(), true)));
        assert_eq!(name("340705"), Some(("安徽省铜陵市铜官区".into(), true)));
        assert_eq!(name("340700"), Some(("安徽省铜陵市".into(), true)));
        assert_eq!(name("340000"), Some(("安徽省".into(), true)));
        // A municipality's district: no prefecture between.
        assert_eq!(name("500101"), Some(("重庆市万州区".into(), true)));
        assert_eq!(name("310115"), Some(("上海市浦东新区".into(), true)));
        assert_eq!(name("440300"), Some(("广东省深圳市".into(), true)));
    }

    #[test]
    fn an_unknown_code_reads_as_its_nearest_known_parent() {
        assert_eq!(name("420199"), Some(("湖北省武汉市".into(), false)));
        assert_eq!(name("429004"), Some(("湖北省".into(), false)));
        assert_eq!(name("110105"), Some(("北京市".into(), false)));
        assert_eq!(name("990101"), None);
        assert_eq!(name("42010"), None);
        assert_eq!(name("42010x"), None);
    }

    #[test]
    fn every_province_level_division_is_in_the_table() {
        for p in [
            11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50,
            51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
        ] {
            assert!(division(&format!("{p}0000")).is_some(), "{p}");
        }
        // Each line is a 6-digit code and a name, each code once.
        let lines: Vec<&str> = TABLE.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(table().len(), lines.len(), "a code listed twice");
        for l in lines {
            let (code, name) = l.split_once(' ').expect(l);
            assert!(
                code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
                "{l}"
            );
            assert!(!name.trim().is_empty() && name == name.trim(), "{l}");
        }
    }
}
