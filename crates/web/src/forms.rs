//! What pages and the API read and show: a person's fields by the import's own column keys (so
//! a form, an API call and a file row obey exactly the same rules), list filters, and the
//! masked and whole views of a person.

use std::collections::BTreeMap;

use jiff::civil::Date;
use renkou_core::person::FieldError;
use renkou_core::record::{
    EVENT_COLUMNS, HeaderMap, PERSON_COLUMNS, new_event_from_row, person_from_row, person_to_row,
};
use renkou_core::{
    AreaCode, Event, MaritalStatus, NewEvent, Person, PersonData, PopulationType, Sex,
};
use renkou_store::{PersonFilter, PersonOrder, PersonSearch, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Reads a person from fields named by the people file's column keys (`id_number`, `name`,
/// `area_code`…), with the same checks as an import row.
pub fn person_from_fields(
    fields: &BTreeMap<String, String>,
    today: Date,
) -> Result<PersonData, Vec<FieldError>> {
    let headers: Vec<String> = PERSON_COLUMNS.iter().map(|c| c.key.to_string()).collect();
    let map = HeaderMap::new(PERSON_COLUMNS, &headers).expect("the column keys are headers");
    let row: Vec<String> = PERSON_COLUMNS
        .iter()
        .map(|c| {
            fields
                .get(c.key)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        })
        .collect();
    let data = person_from_row(&map, &row, today)?;
    let errors = data.check(today);
    if errors.is_empty() {
        Ok(data)
    } else {
        Err(errors)
    }
}

/// Reads an event for a known person from fields named by the events file's column keys. The
/// person is already chosen, so the file's ID-number column stays empty and unread.
pub fn event_from_fields(fields: &BTreeMap<String, String>) -> Result<NewEvent, Vec<FieldError>> {
    let headers: Vec<String> = EVENT_COLUMNS.iter().map(|c| c.key.to_string()).collect();
    let map = HeaderMap::new(EVENT_COLUMNS, &headers).expect("the column keys are headers");
    let row: Vec<String> = EVENT_COLUMNS
        .iter()
        .map(|c| {
            fields
                .get(c.key)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        })
        .collect();
    new_event_from_row(&map, &row)
}

/// A person's fields as a form shows them (the export's text of each column).
pub fn fields_of(person: &Person) -> BTreeMap<String, String> {
    PERSON_COLUMNS
        .iter()
        .zip(person_to_row(person))
        .map(|(c, v)| (c.key.to_string(), v))
        .collect()
}

/// A person's fields as the record page shows them: code values in the reader's language.
pub fn shown_fields(t: crate::i18n::Catalog, person: &Person) -> BTreeMap<String, String> {
    let mut fields = fields_of(person);
    let d = &person.data;
    let mut set = |key: &str, zh: &'static str, en: &'static str| {
        fields.insert(key.to_string(), t.code(zh, en).to_string());
    };
    set("sex", d.sex.name_zh(), d.sex.name_en());
    set("ethnicity", d.ethnicity.name_zh(), d.ethnicity.name_en());
    set(
        "marital_status",
        d.marital_status.name_zh(),
        d.marital_status.name_en(),
    );
    if let Some(e) = d.education {
        set("education", e.name_zh(), e.name_en());
    }
    set("relation", d.relation.name_zh(), d.relation.name_en());
    set(
        "population_type",
        d.population_type.name_zh(),
        d.population_type.name_en(),
    );
    fields
}

/// The oldest age a list filter takes.
pub const MAX_AGE: u32 = 150;

/// The list filters, as query parameters of a page or the API.
#[derive(Debug, Clone, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// An area code: this area and everything below it (within the account's own).
    pub area: Option<String>,
    /// resident, migrant_in or migrant_out (or their Chinese names).
    pub population_type: Option<String>,
    /// 1/2, 男/女, male/female.
    pub sex: Option<String>,
    /// GB/T 2261.2 code or name.
    pub marital_status: Option<String>,
    /// Age band, whole years, inclusive. An empty box (`age_min=`) is no bound.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub age_min: Option<u32>,
    #[serde(default, deserialize_with = "blank_is_none")]
    pub age_max: Option<u32>,
    /// "1": women of childbearing age (15–49).
    pub childbearing: Option<String>,
    /// "1": women pregnant now (accounts that see health data only).
    pub pregnant: Option<String>,
    /// A whole ID number, a phone number or its first or last 4+ digits, the start of an ID
    /// number, the start of a name, or a name with the ID number's last 4–6 characters
    /// ("王 1234").
    pub q: Option<String>,
    /// name, age, area or updated; a leading "-" reverses (default: area).
    pub sort: Option<String>,
    /// Page number, from 1 (pages of `limit` people in the `sort` order).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub page: Option<u32>,
    /// Keyset paging: the last id of the previous page.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub after: Option<i64>,
    /// Page size, at most 200 (default 50).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub limit: Option<u32>,
}

/// A number from a form's text box: blank means not given; anything else must be a number.
fn blank_is_none<'de, D, N>(d: D) -> Result<Option<N>, D::Error>
where
    D: serde::Deserializer<'de>,
    N: std::str::FromStr,
{
    let text: Option<String> = Option::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("「{t}」不是整数"))),
    }
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListQuery {
    /// The store's filter, or the field that could not be read.
    pub fn filter(&self, today: Date) -> Result<PersonFilter, FieldError> {
        let mut f = PersonFilter::default();
        if let Some(a) = given(&self.area) {
            f.area = Some(AreaCode::parse(a).map_err(|e| FieldError::new("area", e))?);
        }
        if let Some(t) = given(&self.population_type) {
            f.population_type =
                Some(PopulationType::parse(t).map_err(|e| FieldError::new("population_type", e))?);
        }
        if let Some(s) = given(&self.sex) {
            f.sex = Some(Sex::parse(s).map_err(|e| FieldError::new("sex", e))?);
        }
        if let Some(m) = given(&self.marital_status) {
            f.marital_status =
                Some(MaritalStatus::parse(m).map_err(|e| FieldError::new("marital_status", e))?);
        }
        // Past any person's age a bound means nothing, and far past it the date arithmetic
        // below would overflow: refused, so the user knows the bound was not applied.
        for (field, age) in [("age_min", self.age_min), ("age_max", self.age_max)] {
            if age.is_some_and(|a| a > MAX_AGE) {
                return Err(FieldError::new(
                    field,
                    format!("年龄应在 0 到 {MAX_AGE} 岁之间"),
                ));
            }
        }
        let (mut min, mut max) = (self.age_min, self.age_max);
        if given(&self.childbearing).is_some_and(|v| v != "0") {
            f.sex = Some(Sex::Female);
            min = Some(min.unwrap_or(15).max(15));
            max = Some(max.unwrap_or(49).min(49));
        }
        // Age a (whole years) on `today` means born in (today - a - 1 years, today - a years].
        if let Some(a) = max {
            f.born_from = today
                .checked_sub(jiff::Span::new().years(i64::from(a) + 1))
                .ok()
                .and_then(|d| d.tomorrow().ok());
        }
        if let Some(a) = min {
            f.born_to = today
                .checked_sub(jiff::Span::new().years(i64::from(a)))
                .ok();
        }
        f.pregnant = given(&self.pregnant).is_some_and(|v| v != "0");
        if let Some(q) = given(&self.q) {
            search_can_match(q)?;
        }
        f.search = self.q.as_deref().and_then(PersonSearch::parse);
        Ok(f)
    }

    /// The list's order: `name`, `age` (youngest first), `area`, `updated` (oldest first);
    /// `-` in front reverses.
    pub fn order(&self) -> Result<PersonOrder, FieldError> {
        let Some(text) = given(&self.sort) else {
            return Ok(PersonOrder::default());
        };
        let (reverse, key) = match text.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, text),
        };
        // Age grows as the birth date falls: youngest first is the latest birth date first.
        let (key, descending) = match key {
            "name" => (SortKey::Name, reverse),
            "age" => (SortKey::BirthDate, !reverse),
            "area" => (SortKey::Area, reverse),
            "updated" => (SortKey::Updated, reverse),
            _ => return Err(FieldError::new("sort", format!("无法按「{text}」排序"))),
        };
        Ok(PersonOrder { key, descending })
    }

    /// The page asked for, from 1.
    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn limit(&self) -> u32 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }

    /// The same filters as a query string, for the next page and the export link.
    pub fn to_query(&self, after: Option<i64>) -> String {
        let mut q = self.clone();
        q.after = after;
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }

    /// The same filters on another page or in another order (a pager's or a header's link).
    pub fn with(&self, page: Option<u32>, sort: Option<&str>) -> String {
        let mut q = self.clone();
        q.after = None;
        q.page = page.filter(|p| *p > 1);
        if let Some(s) = sort {
            q.sort = Some(s.to_string()).filter(|s| s != "area");
        }
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

/// Refuses what a search box holds when it could only match a great many people or nobody:
/// fewer than 4 digits, or a name with digits that are not the end of an ID number.
pub fn search_can_match(q: &str) -> Result<(), FieldError> {
    let q = q.trim();
    let digits = q.chars().filter(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return Ok(());
    }
    if q.chars().all(|c| c.is_ascii_digit()) && q.len() < renkou_store::PHONE_PART_MIN {
        return Err(FieldError::new(
            "q",
            "请至少输入4位数字：手机号的前几位或后几位；身份证号请输入前10位，或后4–6位加姓名",
        ));
    }
    match PersonSearch::parse(q) {
        Some(PersonSearch::NamePrefix(_)) => Err(FieldError::new(
            "q",
            "身份证号后4–6位请与姓名一起输入，如「王 1234」",
        )),
        _ => Ok(()),
    }
}

/// A person in a list: ID number and phone masked, no health data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonSummary {
    pub id: i64,
    pub name: String,
    /// 110105********0123
    pub id_number_masked: Option<String>,
    pub sex: String,
    /// Whole years. Never the birth date: with it, a masked ID number is whole again.
    pub age: i32,
    pub marital_status: String,
    pub population_type: String,
    pub household_no: String,
    pub area_code: String,
    /// 138****8000
    pub phone_masked: Option<String>,
}

impl PersonSummary {
    pub fn of(p: &Person, today: Date) -> Self {
        let d = &p.data;
        PersonSummary {
            id: p.id.0,
            name: d.name.as_str().to_string(),
            id_number_masked: d.id_number.as_ref().map(|i| i.masked()),
            sex: d.sex.code().to_string(),
            age: d.age_on(today),
            marital_status: d.marital_status.code().to_string(),
            population_type: d.population_type.code().to_string(),
            household_no: d.household_no.as_str().to_string(),
            area_code: d.area_code.to_string(),
            phone_masked: d.phone.as_ref().map(|p| p.masked()),
        }
    }
}

/// A whole record (an audited view). The health fields are present only for roles whose work
/// needs them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonRecord {
    pub id: i64,
    /// The person's fields by the people file's column keys.
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, String>,
    pub status: String,
    pub death_date: Option<String>,
    pub spouse_id: Option<i64>,
    pub mother_id: Option<i64>,
    pub age: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    pub pregnant: bool,
    /// A contraception method code, when one is in use.
    pub contraception: Option<String>,
}

impl PersonRecord {
    pub fn of(p: &Person, today: Date, with_health: bool) -> Self {
        PersonRecord {
            id: p.id.0,
            fields: fields_of(p),
            status: p.status.key().to_string(),
            death_date: p.death_date.map(|d| d.to_string()),
            spouse_id: p.spouse_id.map(|i| i.0),
            mother_id: p.mother_id.map(|i| i.0),
            age: p.data.age_on(today),
            health: with_health.then(|| Health {
                pregnant: p.pregnant,
                contraception: p.contraception.map(|c| c.code().to_string()),
            }),
        }
    }
}

/// One timeline entry as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub kind: String,
    pub occurred_on: String,
    pub recorded_at: String,
    pub recorded_by: String,
    /// What the event carries (method, outcome, child, changes…).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl EventView {
    pub fn of(e: &Event) -> Self {
        EventView {
            id: e.id.0,
            kind: e.kind.code().to_string(),
            occurred_on: e.occurred_on.to_string(),
            recorded_at: crate::error::local_time(e.recorded_at),
            recorded_by: e.recorded_by.clone(),
            detail: serde_json::to_value(&e.detail).unwrap_or_default(),
        }
    }
}
