//! Administrative areas keyed by statistical division codes (统计用区划代码).
//!
//! city or district (6 digits) → centre (9) → committee (12) → resident group (15).
//! A code's prefix is its ancestry, so "X and everything below" is a prefix range.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// 市/区: the bureau's level.
    District,
    /// 社区服务中心 (街道级).
    Centre,
    /// 居民委员会.
    Committee,
    /// 居民小组.
    Group,
}

impl AreaLevel {
    pub fn digits(self) -> usize {
        match self {
            AreaLevel::District => 6,
            AreaLevel::Centre => 9,
            AreaLevel::Committee => 12,
            AreaLevel::Group => 15,
        }
    }
    /// The level one down (a group has none).
    pub fn below(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::District => Some(AreaLevel::Centre),
            AreaLevel::Centre => Some(AreaLevel::Committee),
            AreaLevel::Committee => Some(AreaLevel::Group),
            AreaLevel::Group => None,
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            AreaLevel::District => "市/区",
            AreaLevel::Centre => "社区服务中心",
            AreaLevel::Committee => "居委会",
            AreaLevel::Group => "居民小组",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            AreaLevel::District => "district",
            AreaLevel::Centre => "centre",
            AreaLevel::Committee => "committee",
            AreaLevel::Group => "group",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AreaCodeError {
    #[error("区划代码只能由数字组成")]
    NotDigits,
    #[error("区划代码应为6、9、12或15位，实际为{0}位")]
    Length(usize),
    #[error("区划代码的省级部分无效")]
    Province,
}

impl AreaCode {
    pub fn parse(input: &str) -> Result<Self, AreaCodeError> {
        let s = input.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty() {
            return Err(AreaCodeError::NotDigits);
        }
        if !matches!(s.len(), 6 | 9 | 12 | 15) {
            return Err(AreaCodeError::Length(s.len()));
        }
        // Province codes run 11..=82; a leading 0 is a spreadsheet artefact, not an area.
        let province: u32 = s[..2].parse().map_err(|_| AreaCodeError::NotDigits)?;
        if !(11..=82).contains(&province) {
            return Err(AreaCodeError::Province);
        }
        Ok(AreaCode(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> AreaLevel {
        match self.0.len() {
            6 => AreaLevel::District,
            9 => AreaLevel::Centre,
            12 => AreaLevel::Committee,
            _ => AreaLevel::Group,
        }
    }

    /// The area directly above, or None for a district.
    pub fn parent(&self) -> Option<AreaCode> {
        let len = self.0.len();
        (len > 6).then(|| AreaCode(self.0[..len - 3].to_string()))
    }

    /// This area and every area above it, from the district down.
    pub fn lineage(&self) -> Vec<AreaCode> {
        (6..=self.0.len())
            .step_by(3)
            .map(|n| AreaCode(self.0[..n].to_string()))
            .collect()
    }

    /// True when `self` is `other` or lies below it.
    pub fn is_within(&self, other: &AreaCode) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AreaCode({})", self.0)
    }
}

impl TryFrom<String> for AreaCode {
    type Error = AreaCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        AreaCode::parse(&s)
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> String {
        c.0
    }
}

/// One node of the area tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub code: AreaCode,
    pub name: String,
}

impl Area {
    pub fn level(&self) -> AreaLevel {
        self.code.level()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_ancestry_follow_from_the_code() {
        let g = AreaCode::parse("340705001002003").unwrap();
        assert_eq!(g.level(), AreaLevel::Group);
        assert_eq!(g.parent().unwrap().as_str(), "340705001002");
        let lineage: Vec<_> = g.lineage().iter().map(|c| c.to_string()).collect();
        assert_eq!(
            lineage,
            ["340705", "340705001", "340705001002", "340705001002003"]
        );
        assert!(g.is_within(&AreaCode::parse("340705001").unwrap()));
        assert!(!g.is_within(&AreaCode::parse("340705002").unwrap()));
        assert_eq!(AreaCode::parse("340705").unwrap().parent(), None);
    }

    #[test]
    fn bad_codes_say_why() {
        assert_eq!(AreaCode::parse("3407050"), Err(AreaCodeError::Length(7)));
        assert_eq!(AreaCode::parse("34070a"), Err(AreaCodeError::NotDigits));
        assert_eq!(AreaCode::parse("004070"), Err(AreaCodeError::Province));
    }
}
