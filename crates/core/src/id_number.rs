//! Resident ID numbers (居民身份证号码), GB 11643-1999.
//!
//! 18 characters: a 6-digit address code, the birth date (YYYYMMDD), a 3-digit sequence whose
//! parity gives the sex (odd: male), and an ISO 7064 MOD 11-2 check character (0-9 or X).
//! Numbers issued before 1999 have 15 digits (two-digit year, no check character); they are
//! converted to 18 on parse, the way the public security bureau converts them.

use std::fmt;

use jiff::civil::Date;

use crate::codes::Sex;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber([u8; 18]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("身份证号应为18位（或旧式15位），实际为{0}位")]
    Length(usize),
    #[error("身份证号只能由数字组成，最后一位可以是X")]
    Characters,
    #[error("身份证号第1-6位地址码无效")]
    AddressCode,
    #[error("身份证号中的出生日期{0}无效")]
    BirthDate(String),
    #[error("身份证号校验位不正确，应为{expected}")]
    CheckCharacter { expected: char },
}

impl IdNumber {
    /// Parses an 18-character number (a lower-case x is accepted) or converts a legacy 15-digit one.
    pub fn parse(input: &str) -> Result<Self, IdNumberError> {
        let s = input.trim();
        let bytes = s.as_bytes();
        match bytes.len() {
            18 => {
                let mut digits = [0u8; 18];
                for (i, &b) in bytes.iter().enumerate() {
                    digits[i] = match b {
                        b'0'..=b'9' => b,
                        b'x' | b'X' if i == 17 => b'X',
                        _ => return Err(IdNumberError::Characters),
                    };
                }
                Self::check_body(&digits)?;
                let expected = check_char(&digits[..17]);
                if digits[17] != expected {
                    return Err(IdNumberError::CheckCharacter {
                        expected: expected as char,
                    });
                }
                Ok(IdNumber(digits))
            }
            15 => {
                if !bytes.iter().all(u8::is_ascii_digit) {
                    return Err(IdNumberError::Characters);
                }
                let mut digits = [0u8; 18];
                digits[..6].copy_from_slice(&bytes[..6]);
                digits[6..8].copy_from_slice(b"19");
                digits[8..17].copy_from_slice(&bytes[6..15]);
                Self::check_body(&digits)?;
                digits[17] = check_char(&digits[..17]);
                Ok(IdNumber(digits))
            }
            _ => Err(IdNumberError::Length(s.chars().count())),
        }
    }

    /// Builds a valid number from its parts; used when a number is assigned (the demo city).
    pub fn from_parts(address: &str, birth: Date, sequence: u16) -> Result<Self, IdNumberError> {
        let body = format!(
            "{address}{:04}{:02}{:02}{:03}",
            birth.year(),
            birth.month(),
            birth.day(),
            sequence % 1000
        );
        if body.len() != 17 || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdNumberError::Characters);
        }
        let mut digits = [0u8; 18];
        digits[..17].copy_from_slice(body.as_bytes());
        Self::check_body(&digits)?;
        digits[17] = check_char(&digits[..17]);
        Ok(IdNumber(digits))
    }

    fn check_body(d: &[u8; 18]) -> Result<(), IdNumberError> {
        if !(b'1'..=b'9').contains(&d[0]) {
            return Err(IdNumberError::AddressCode);
        }
        let text = std::str::from_utf8(&d[6..14]).unwrap_or("");
        birth_date_of(d).ok_or_else(|| IdNumberError::BirthDate(text.to_string()))?;
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and 'X' are ever stored.
        std::str::from_utf8(&self.0).expect("ASCII")
    }

    pub fn birth_date(&self) -> Date {
        birth_date_of(&self.0).expect("validated on parse")
    }

    pub fn sex(&self) -> Sex {
        if (self.0[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The 6-digit administrative division code of the place the number was first issued.
    pub fn address_code(&self) -> &str {
        &self.as_str()[..6]
    }

    /// The form lists show: 110105********0123.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.as_str()[..6], &self.as_str()[14..])
    }
}

fn check_char(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn birth_date_of(d: &[u8; 18]) -> Option<Date> {
    let num = |r: std::ops::Range<usize>| -> i32 {
        d[r].iter()
            .fold(0, |acc, &b| acc * 10 + i32::from(b - b'0'))
    };
    let year = num(6..10);
    if !(1850..=2200).contains(&year) {
        return None;
    }
    Date::new(year as i16, num(10..12) as i8, num(12..14) as i8).ok()
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IdNumber {
    // Debug output ends up in logs: never the whole number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl serde::Serialize for IdNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for IdNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        IdNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for IdNumber {
    type Err = IdNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_standard_example() {
        // The example number printed in GB 11643-1999.
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date(), jiff::civil::date(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn lower_case_x_is_normalised() {
        assert_eq!(
            IdNumber::parse("11010519491231002x").unwrap().as_str(),
            "11010519491231002X"
        );
    }

    #[test]
    fn wrong_check_character_names_the_right_one() {
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(IdNumberError::CheckCharacter { expected: 'X' })
        );
        assert_eq!(
            IdNumber::parse("110105194912310021")
                .unwrap_err()
                .to_string(),
            "身份证号校验位不正确，应为X"
        );
    }

    #[test]
    fn impossible_birth_date_is_refused() {
        assert!(matches!(
            IdNumber::parse("110105194902300010"),
            Err(IdNumberError::BirthDate(_))
        ));
    }

    #[test]
    fn legacy_fifteen_digits_convert() {
        // 15-digit 110105491231002 is the 18-digit example above.
        let id = IdNumber::parse("110105491231002").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn wrong_length_and_letters() {
        assert_eq!(IdNumber::parse("12345"), Err(IdNumberError::Length(5)));
        assert_eq!(
            IdNumber::parse("11010519491231A02X"),
            Err(IdNumberError::Characters)
        );
    }

    proptest! {
        #[test]
        fn every_built_number_parses_back(
            y in 1900i16..2030, m in 1i8..=12, d in 1i8..=28, seq in 0u16..1000
        ) {
            let birth = jiff::civil::date(y, m, d);
            let id = IdNumber::from_parts("340705", birth, seq).unwrap();
            let back = IdNumber::parse(id.as_str()).unwrap();
            prop_assert_eq!(back, id);
            prop_assert_eq!(back.birth_date(), birth);
            prop_assert_eq!(back.sex() == Sex::Male, seq % 2 == 1);
        }

        #[test]
        fn any_single_digit_change_is_caught(pos in 0usize..17, delta in 1u8..10) {
            let id = IdNumber::from_parts("340705", jiff::civil::date(1988, 6, 15), 123).unwrap();
            let mut s = id.as_str().as_bytes().to_vec();
            s[pos] = b'0' + (s[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(s).unwrap();
            prop_assert!(IdNumber::parse(&s).is_err());
        }
    }
}
