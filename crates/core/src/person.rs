//! People and households: what the register holds about each person.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::area::{AreaCode, AreaLevel};
use crate::codes::{
    ContraceptionMethod, Education, Ethnicity, MaritalStatus, PopulationType, Relation, Sex,
};
use crate::dates::age_on;
use crate::id_number::IdNumber;
use crate::phone::Phone;

/// The register's own key for a person; never shown as an identity document, safe in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PersonId(pub i64);

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A person's name as written on the ID card: 1 to 50 characters, any script, including rare
/// characters outside the BMP (𪚥) and the middle dot of transliterated names (阿依古丽·买买提).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("姓名不能为空")]
    Empty,
    #[error("姓名过长（{0}个字），最多50个字")]
    TooLong(usize),
    #[error("姓名含有不可见的控制字符")]
    Control,
    #[error("姓名{LOST_CHARACTER}")]
    LostCharacter,
}

/// Why a "?" (or U+FFFD) in a name or an address is refused: it is what a spreadsheet leaves
/// of a character its encoding could not hold, and the real character is gone from the file.
pub const LOST_CHARACTER: &str = "含有「?」：文件保存时丢失了生僻字（Excel 另存为 GBK 编码的 CSV 存不下「𪚥」等字）。\
请用原始资料核对后，另存为 GB18030 编码或“CSV UTF-8”的 CSV，或 XLSX，再重新导入";

/// A character lost to an encoding: "?" where the file had one it could not hold, or the
/// replacement character a decoder puts in its place. Chinese text never has either.
pub fn has_lost_character(text: &str) -> bool {
    text.contains(['?', '\u{FFFD}'])
}

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let n = s.chars().count();
        if n > 50 {
            return Err(NameError::TooLong(n));
        }
        if s.chars().any(char::is_control) {
            return Err(NameError::Control);
        }
        if has_lost_character(s) {
            return Err(NameError::LostCharacter);
        }
        Ok(PersonName(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 户编号: people sharing it form one household.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HouseholdNo(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HouseholdNoError {
    #[error("户编号不能为空")]
    Empty,
    #[error("户编号最多32个字符，只能含字母、数字和 -")]
    Invalid,
}

impl HouseholdNo {
    pub fn parse(input: &str) -> Result<Self, HouseholdNoError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(HouseholdNoError::Empty);
        }
        if s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(HouseholdNoError::Invalid);
        }
        Ok(HouseholdNo(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 户籍地: a 6-digit division code and/or the place written out ("340705 安徽省铜陵市铜官区").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub code: Option<String>,
    pub text: Option<String>,
}

impl Place {
    pub fn parse(input: &str) -> Option<Place> {
        let s = input.trim();
        if s.is_empty() {
            return None;
        }
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        let (code, rest) = if digits.len() == 6 {
            (Some(digits), s[6..].trim())
        } else {
            (None, s)
        };
        Some(Place {
            code,
            text: (!rest.is_empty()).then(|| rest.to_string()),
        })
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.text) {
            (Some(c), Some(t)) => write!(f, "{c} {t}"),
            (Some(c), None) => f.write_str(c),
            (None, Some(t)) => f.write_str(t),
            (None, None) => Ok(()),
        }
    }
}

/// Whether the person is still part of the population the area serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    Active,
    /// A migrant who has left the city, or a resident whose registration moved away.
    MovedAway,
    Dead,
}

impl PersonStatus {
    pub fn key(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::MovedAway => "moved_away",
            PersonStatus::Dead => "dead",
        }
    }
    pub fn from_key(s: &str) -> Option<Self> {
        match s {
            "active" => Some(PersonStatus::Active),
            "moved_away" => Some(PersonStatus::MovedAway),
            "dead" => Some(PersonStatus::Dead),
            _ => None,
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            PersonStatus::Active => "在册",
            PersonStatus::MovedAway => "已迁出",
            PersonStatus::Dead => "已死亡",
        }
    }
}

/// A correction of a person's record says why (更正原因): it is written on the timeline beside
/// the fields it changed, for whoever reads the record later.
pub fn correction_reason(note: Option<&str>) -> Result<String, FieldError> {
    match note.map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n.to_string()),
        _ => Err(FieldError::new(
            "note",
            "请填写更正原因，例如“本人持户口簿来核对”",
        )),
    }
}

/// What a form or an import row says about a person.
///
/// `area_code` is the managing area (管理地) in this city's tree: where a resident or an incoming
/// migrant lives, and for an outgoing migrant the group of the household they are registered in;
/// the outgoing migrant's current residence elsewhere is `origin_or_destination`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonData {
    pub id_number: Option<IdNumber>,
    pub name: PersonName,
    pub sex: Sex,
    pub birth_date: Date,
    pub ethnicity: Ethnicity,
    pub marital_status: MaritalStatus,
    pub education: Option<Education>,
    pub phone: Option<Phone>,
    pub household_no: HouseholdNo,
    pub relation: Relation,
    pub population_type: PopulationType,
    pub registered_place: Option<Place>,
    pub area_code: AreaCode,
    pub address: Option<String>,
    pub arrival_date: Option<Date>,
    pub leaving_date: Option<Date>,
    pub origin_or_destination: Option<String>,
}

/// Where a person lives now: one of the three places the register keeps, with 户籍地
/// (`registered_place`) and 管理地 (`managing_area`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Residence<'a> {
    Here {
        area: &'a AreaCode,
        address: Option<&'a str>,
    },
    /// An outgoing migrant: the place in words, when known.
    Elsewhere(Option<&'a str>),
}

/// A person as the register holds them now: what was entered, and what events made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub data: PersonData,
    pub status: PersonStatus,
    pub death_date: Option<Date>,
    pub spouse_id: Option<PersonId>,
    pub mother_id: Option<PersonId>,
    pub pregnant: bool,
    pub contraception: Option<ContraceptionMethod>,
}

/// One problem with one field, in the words the person entering it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl fmt::Display) -> Self {
        FieldError {
            field,
            message: message.to_string(),
        }
    }
}

/// A minor may be on the register before being given an ID number; an adult may not.
pub const AGE_OF_ID_CARD: i32 = 16;

impl PersonData {
    /// The rules that tie fields together, checked on every write path (form, import, API).
    /// `field` maps a field key to the column name the user sees.
    pub fn check(&self, today: Date) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.birth_date > today {
            errors.push(FieldError::new(
                "birth_date",
                format!("出生日期{}晚于今天", self.birth_date),
            ));
        }
        match &self.id_number {
            Some(id) => {
                if id.birth_date() != self.birth_date {
                    errors.push(FieldError::new(
                        "birth_date",
                        format!(
                            "出生日期{}与身份证号中的{}不一致",
                            self.birth_date,
                            id.birth_date()
                        ),
                    ));
                }
                if id.sex() != self.sex {
                    errors.push(FieldError::new(
                        "sex",
                        format!(
                            "性别「{}」与身份证号不一致（身份证号为{}性）",
                            self.sex,
                            id.sex()
                        ),
                    ));
                }
            }
            None => {
                if age_on(self.birth_date, today) >= AGE_OF_ID_CARD {
                    errors.push(FieldError::new(
                        "id_number",
                        format!("身份证号不能为空：只有未满{AGE_OF_ID_CARD}周岁、尚未办理身份证的儿童可以不填"),
                    ));
                }
            }
        }
        if !matches!(
            self.area_code.level(),
            AreaLevel::Committee | AreaLevel::Group
        ) {
            errors.push(FieldError::new(
                "area_code",
                format!(
                    "居住地区划应为居委会（12位）或居民小组（15位）代码，{}是{}",
                    self.area_code,
                    self.area_code.level().name_zh()
                ),
            ));
        }
        match self.population_type {
            PopulationType::MigrantIn if self.arrival_date.is_none() => {
                errors.push(FieldError::new("arrival_date", "流入人口须填写来本地日期"));
            }
            PopulationType::MigrantOut if self.leaving_date.is_none() => {
                errors.push(FieldError::new("leaving_date", "流出人口须填写流出日期"));
            }
            _ => {}
        }
        for (field, date, what) in [
            ("arrival_date", self.arrival_date, "来本地日期"),
            ("leaving_date", self.leaving_date, "流出日期"),
        ] {
            if let Some(d) = date {
                if d > today {
                    errors.push(FieldError::new(field, format!("{what}{d}晚于今天")));
                } else if d < self.birth_date {
                    errors.push(FieldError::new(field, format!("{what}{d}早于出生日期")));
                }
            }
        }
        if let Some(a) = &self.address
            && a.chars().count() > 200
        {
            errors.push(FieldError::new("address", "居住地址最多200个字"));
        }
        errors
    }

    /// 管理地: the area of this city whose centre, committee and group serve the person.
    pub fn managing_area(&self) -> &AreaCode {
        &self.area_code
    }

    /// 居住地: where the person lives now, in this city or (an outgoing migrant) elsewhere.
    pub fn residence(&self) -> Residence<'_> {
        match self.population_type {
            PopulationType::MigrantOut => {
                Residence::Elsewhere(self.origin_or_destination.as_deref())
            }
            _ => Residence::Here {
                area: &self.area_code,
                address: self.address.as_deref(),
            },
        }
    }

    pub fn age_on(&self, day: Date) -> i32 {
        age_on(self.birth_date, day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    pub(crate) fn sample() -> PersonData {
        PersonData {
            id_number: Some(IdNumber::parse("11010519491231002X").unwrap()),
            name: PersonName::parse("张秀英").unwrap(),
            sex: Sex::Female,
            birth_date: date(1949, 12, 31),
            ethnicity: Ethnicity::Han,
            marital_status: MaritalStatus::Widowed,
            education: None,
            phone: None,
            household_no: HouseholdNo::parse("H0001").unwrap(),
            relation: Relation::Head,
            population_type: PopulationType::Resident,
            registered_place: Place::parse("110105"),
            area_code: AreaCode::parse("340705001001").unwrap(),
            address: None,
            arrival_date: None,
            leaving_date: None,
            origin_or_destination: None,
        }
    }

    #[test]
    fn the_id_number_must_agree_with_birth_date_and_sex() {
        let today = date(2026, 11, 28);
        assert!(sample().check(today).is_empty());
        let mut p = sample();
        p.sex = Sex::Male;
        p.birth_date = date(1950, 1, 1);
        let fields: Vec<_> = p.check(today).iter().map(|e| e.field).collect();
        assert_eq!(fields, ["birth_date", "sex"]);
    }

    #[test]
    fn only_children_may_lack_an_id_number() {
        let today = date(2026, 11, 28);
        let mut p = sample();
        p.id_number = None;
        assert_eq!(p.check(today)[0].field, "id_number");
        p.birth_date = date(2020, 1, 1);
        assert!(p.check(today).is_empty());
    }

    #[test]
    fn migrants_need_their_dates() {
        let mut p = sample();
        p.population_type = PopulationType::MigrantIn;
        assert_eq!(p.check(date(2026, 11, 28))[0].field, "arrival_date");
    }

    #[test]
    fn an_outgoing_migrant_lives_elsewhere_but_is_served_here() {
        let mut p = sample();
        assert!(matches!(p.residence(), Residence::Here { .. }));
        p.population_type = PopulationType::MigrantOut;
        p.origin_or_destination = Some("广东省深圳市".into());
        assert_eq!(p.residence(), Residence::Elsewhere(Some("广东省深圳市")));
        assert_eq!(p.managing_area().as_str(), "340705001001");
    }

    #[test]
    fn names_keep_rare_characters() {
        assert_eq!(PersonName::parse(" 王𪚥 ").unwrap().as_str(), "王𪚥");
        assert_eq!(PersonName::parse(""), Err(NameError::Empty));
    }

    #[test]
    fn places_split_code_and_text() {
        assert_eq!(
            Place::parse("340705 安徽省铜陵市铜官区"),
            Some(Place {
                code: Some("340705".into()),
                text: Some("安徽省铜陵市铜官区".into())
            })
        );
        assert_eq!(Place::parse("江苏省南京市").unwrap().code, None);
    }
}
