//! Contact phone numbers: mainland mobiles (11 digits, 1[3-9]…) and landlines with an area code.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("联系电话「{0}」无效：手机号应为11位（1开头），固定电话应带区号，如 0562-1234567")]
pub struct PhoneError(pub String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let raw = input.trim();
        let bad = || PhoneError(raw.to_string());
        // People write 138 0000 8000, 138-0000-8000 or +86 138…; keep only what dials.
        let mut s: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{3000}' | '(' | ')' | '（' | '）'))
            .collect();
        if let Some(rest) = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")) {
            s = rest.trim_start_matches('-').to_string();
        }
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if digits.len() == 11 && digits.starts_with('1') {
            if !matches!(digits.as_bytes()[1], b'3'..=b'9') {
                return Err(bad());
            }
            return Ok(Phone(digits));
        }
        // Landline: 0 + 2-3 digit area code, 7-8 digit number (e.g. 010-12345678, 0562-1234567).
        if digits.starts_with('0') && (10..=12).contains(&digits.len()) {
            let area_len = match s.find('-') {
                Some(i) if (3..=4).contains(&i) => i,
                _ if digits.starts_with("01") || digits.starts_with("02") => 3,
                _ => 4,
            };
            let (area, number) = digits.split_at(area_len);
            if (7..=8).contains(&number.len()) {
                return Ok(Phone(format!("{area}-{number}")));
            }
        }
        Err(bad())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form lists show: 138****8000, 0562-****4567.
    pub fn masked(&self) -> String {
        let s = &self.0;
        match s.split_once('-') {
            Some((area, number)) => {
                format!(
                    "{area}-{}{}",
                    "*".repeat(number.len() - 4),
                    &number[number.len() - 4..]
                )
            }
            None => format!("{}****{}", &s[..3], &s[7..]),
        }
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Phone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Phone::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_and_landlines_normalise() {
        assert_eq!(
            Phone::parse("138 0000 8000").unwrap().as_str(),
            "13800008000"
        );
        assert_eq!(
            Phone::parse("+86-13800008000").unwrap().as_str(),
            "13800008000"
        );
        assert_eq!(
            Phone::parse("0562-2812345").unwrap().as_str(),
            "0562-2812345"
        );
        assert_eq!(
            Phone::parse("01012345678").unwrap().as_str(),
            "010-12345678"
        );
        assert_eq!(Phone::parse("13800008000").unwrap().masked(), "138****8000");
        assert_eq!(
            Phone::parse("0562-2812345").unwrap().masked(),
            "0562-***2345"
        );
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("12800008000").is_err());
        assert!(Phone::parse("138000080001").is_err());
        assert!(Phone::parse("电话13800008000").is_err());
    }
}
