//! A person as a database row: codes as text, dates as dates. Both backends read and write this
//! shape, so the mapping between the domain and the columns is written once.

use jiff::civil::Date;
use renkou_core::{
    AreaCode, ContraceptionMethod, Education, Ethnicity, HouseholdNo, IdNumber, MaritalStatus,
    Person, PersonData, PersonId, PersonName, PersonStatus, Phone, Place, PopulationType, Relation,
    Sex,
};

use crate::{Result, StoreError};

/// The person columns, in the order every SELECT and INSERT uses.
pub(crate) const PERSON_COLUMNS: &str = "id, id_number, name, sex, birth_date, ethnicity, \
    marital_status, education, phone, household_no, relation, population_type, \
    registered_place_code, registered_place_text, area_code, address, arrival_date, leaving_date, \
    origin_or_destination, status, death_date, spouse_id, mother_id, pregnant, contraception";

/// A person's columns, borrowed from the `Person`: writing a row allocates nothing.
#[derive(Debug, Clone)]
pub(crate) struct PersonRow<'a> {
    pub id: i64,
    pub id_number: Option<&'a str>,
    pub name: &'a str,
    pub sex: &'static str,
    pub birth_date: Date,
    pub ethnicity: &'static str,
    pub marital_status: &'static str,
    pub education: Option<&'static str>,
    pub phone: Option<&'a str>,
    pub household_no: &'a str,
    pub relation: &'static str,
    pub population_type: &'static str,
    pub registered_place_code: Option<&'a str>,
    pub registered_place_text: Option<&'a str>,
    pub area_code: &'a str,
    pub address: Option<&'a str>,
    pub arrival_date: Option<Date>,
    pub leaving_date: Option<Date>,
    pub origin_or_destination: Option<&'a str>,
    pub status: &'static str,
    pub death_date: Option<Date>,
    pub spouse_id: Option<i64>,
    pub mother_id: Option<i64>,
    pub pregnant: bool,
    pub contraception: Option<&'static str>,
}

impl<'a> PersonRow<'a> {
    pub fn from_person(p: &'a Person) -> Self {
        let d = &p.data;
        PersonRow {
            id: p.id.0,
            id_number: d.id_number.as_ref().map(|i| i.as_str()),
            name: d.name.as_str(),
            sex: d.sex.code(),
            birth_date: d.birth_date,
            ethnicity: d.ethnicity.code(),
            marital_status: d.marital_status.code(),
            education: d.education.map(|e| e.code()),
            phone: d.phone.as_ref().map(|p| p.as_str()),
            household_no: d.household_no.as_str(),
            relation: d.relation.code(),
            population_type: d.population_type.code(),
            registered_place_code: d.registered_place.as_ref().and_then(|p| p.code.as_deref()),
            registered_place_text: d.registered_place.as_ref().and_then(|p| p.text.as_deref()),
            area_code: d.area_code.as_str(),
            address: d.address.as_deref(),
            arrival_date: d.arrival_date,
            leaving_date: d.leaving_date,
            origin_or_destination: d.origin_or_destination.as_deref(),
            status: p.status.key(),
            death_date: p.death_date,
            spouse_id: p.spouse_id.map(|i| i.0),
            mother_id: p.mother_id.map(|i| i.0),
            pregnant: p.pregnant,
            contraception: p.contraception.map(|c| c.code()),
        }
    }
}

/// A row as read back, before its codes are checked.
pub(crate) struct RawPerson {
    pub id: i64,
    pub id_number: Option<String>,
    pub name: String,
    pub sex: String,
    pub birth_date: Date,
    pub ethnicity: String,
    pub marital_status: String,
    pub education: Option<String>,
    pub phone: Option<String>,
    pub household_no: String,
    pub relation: String,
    pub population_type: String,
    pub registered_place_code: Option<String>,
    pub registered_place_text: Option<String>,
    pub area_code: String,
    pub address: Option<String>,
    pub arrival_date: Option<Date>,
    pub leaving_date: Option<Date>,
    pub origin_or_destination: Option<String>,
    pub status: String,
    pub death_date: Option<Date>,
    pub spouse_id: Option<i64>,
    pub mother_id: Option<i64>,
    pub pregnant: bool,
    pub contraception: Option<String>,
}

fn corrupt(id: i64, what: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("人口记录 {id} 的数据无法读取：{what}"))
}

impl RawPerson {
    pub fn into_person(self) -> Result<Person> {
        let id = self.id;
        let c = |e: &dyn std::fmt::Display| corrupt(id, e);
        let data = PersonData {
            id_number: self
                .id_number
                .as_deref()
                .map(IdNumber::parse)
                .transpose()
                .map_err(|e| c(&e))?,
            name: PersonName::parse(&self.name).map_err(|e| c(&e))?,
            sex: Sex::parse(&self.sex).map_err(|e| c(&e))?,
            birth_date: self.birth_date,
            ethnicity: Ethnicity::parse(&self.ethnicity).map_err(|e| c(&e))?,
            marital_status: MaritalStatus::parse(&self.marital_status).map_err(|e| c(&e))?,
            education: self
                .education
                .as_deref()
                .map(Education::parse)
                .transpose()
                .map_err(|e| c(&e))?,
            phone: self
                .phone
                .as_deref()
                .map(Phone::parse)
                .transpose()
                .map_err(|e| c(&e))?,
            household_no: HouseholdNo::parse(&self.household_no).map_err(|e| c(&e))?,
            relation: Relation::parse(&self.relation).map_err(|e| c(&e))?,
            population_type: PopulationType::parse(&self.population_type).map_err(|e| c(&e))?,
            registered_place: (self.registered_place_code.is_some()
                || self.registered_place_text.is_some())
            .then_some(Place {
                code: self.registered_place_code,
                text: self.registered_place_text,
            }),
            area_code: AreaCode::parse(&self.area_code).map_err(|e| c(&e))?,
            address: self.address,
            arrival_date: self.arrival_date,
            leaving_date: self.leaving_date,
            origin_or_destination: self.origin_or_destination,
        };
        Ok(Person {
            id: PersonId(id),
            data,
            status: PersonStatus::from_key(&self.status).ok_or_else(|| c(&self.status))?,
            death_date: self.death_date,
            spouse_id: self.spouse_id.map(PersonId),
            mother_id: self.mother_id.map(PersonId),
            pregnant: self.pregnant,
            contraception: self
                .contraception
                .as_deref()
                .map(ContraceptionMethod::parse)
                .transpose()
                .map_err(|e| c(&e))?,
        })
    }
}

/// The WHERE clause of a person filter, with its text parameters; `ph(n)` writes the n-th
/// placeholder in the backend's style (? or $n). On PostgreSQL (`pg`) a date parameter is cast
/// (SQLite keeps dates as ISO text) and names compare byte by byte, as their index does.
pub(crate) fn filter_clause(
    f: &crate::PersonFilter,
    first: usize,
    ph: fn(usize) -> String,
    pg: bool,
) -> (String, Vec<String>) {
    filter_clause_hinted(f, first, ph, pg, IndexHint::Planner)
}

/// Which index a SQLite list should walk. SQLite has no statistics on how many rows a name
/// prefix or an area range holds, so the store decides (PostgreSQL's planner knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndexHint {
    Planner,
    /// Walk the area in order (a common name, or a small area).
    Area,
    /// Walk the names (a rare name over a large area), then sort the few matches.
    Name,
    /// Walk the index of a rare filter (a marital status, a population type, an age band, the
    /// pregnant), then sort the few matches.
    Filters,
    /// Count the people born in a few days or months of one year from `persons_born_count`
    /// (the ends of an age band, see tallies.rs).
    Born,
}

/// The ORDER BY of a list page: the sort column, the id breaking ties, both the same way.
pub(crate) fn order_clause(order: crate::PersonOrder, pg: bool) -> String {
    use crate::SortKey;
    let d = if order.descending { " DESC" } else { "" };
    let column = match order.key {
        SortKey::Area => "area_code",
        SortKey::Name if pg => "name COLLATE \"C\"",
        SortKey::Name => "name",
        SortKey::BirthDate => "birth_date",
        SortKey::Updated => "updated_at",
    };
    format!("{column}{d}, id{d}")
}

/// [`filter_clause`] with an index choice: SQLite's unary `+` keeps a term off an index.
pub(crate) fn filter_clause_hinted(
    f: &crate::PersonFilter,
    first: usize,
    ph: fn(usize) -> String,
    pg: bool,
    hint: IndexHint,
) -> (String, Vec<String>) {
    use crate::PersonSearch;
    let area_col = if matches!(hint, IndexHint::Name | IndexHint::Filters | IndexHint::Born) && !pg
    {
        "+area_code"
    } else {
        "area_code"
    };
    let date_cast = if pg { "::text::date" } else { "" };
    // Walking the area in order, the filters' own indexes stay unused: SQLite would otherwise
    // take a dense filter's index and sort its hundred thousand matches for a page of 50.
    let walk_area = hint == IndexHint::Area && !pg;
    let column = |name: &'static str| {
        if walk_area {
            format!("+{name}")
        } else {
            name.to_string()
        }
    };
    let (population_type, marital_status, birth_date) = (
        column("population_type"),
        column("marital_status"),
        column("birth_date"),
    );
    let name = match (pg, hint) {
        (true, _) => "name COLLATE \"C\"",
        (false, IndexHint::Area) => "+name",
        (false, _) => "name",
    };
    let mut parts = Vec::new();
    let mut values = Vec::new();
    let mut push = |sql: &str, v: String, parts: &mut Vec<String>| {
        values.push(v);
        parts.push(sql.replace("{}", &ph(first + values.len() - 1)));
    };
    if let Some(area) = &f.area {
        push(&format!("{area_col} >= {{}}"), area.to_string(), &mut parts);
        push(
            &format!("{area_col} < {{}}"),
            crate::prefix_end(area),
            &mut parts,
        );
    }
    if let Some(t) = f.population_type {
        push(
            &format!("{population_type} = {{}}"),
            t.code().to_string(),
            &mut parts,
        );
    }
    if let Some(types) = f.population_types {
        let mut alternatives = Vec::new();
        for t in types {
            push(
                &format!("{population_type} = {{}}"),
                t.code().to_string(),
                &mut alternatives,
            );
        }
        parts.push(format!("({})", alternatives.join(" OR ")));
    }
    if let Some(s) = f.sex {
        push("sex = {}", s.code().to_string(), &mut parts);
    }
    if let Some(m) = f.marital_status {
        if m == MaritalStatus::Married {
            // 已婚 (20) is the class of 初婚, 再婚 and 复婚 (GB/T 2261.2): it finds them all.
            let mut alternatives = Vec::new();
            for married in renkou_core::indicator::MARRIED {
                push(
                    &format!("{marital_status} = {{}}"),
                    married.code().to_string(),
                    &mut alternatives,
                );
            }
            parts.push(format!("({})", alternatives.join(" OR ")));
        } else {
            push(
                &format!("{marital_status} = {{}}"),
                m.code().to_string(),
                &mut parts,
            );
        }
    }
    if let Some(d) = f.born_from {
        push(
            &format!("{birth_date} >= {{}}{date_cast}"),
            d.to_string(),
            &mut parts,
        );
    }
    if let Some(d) = f.born_to {
        push(
            &format!("{birth_date} <= {{}}{date_cast}"),
            d.to_string(),
            &mut parts,
        );
    }
    if f.pregnant {
        parts.push(if pg { "pregnant" } else { "pregnant = 1" }.to_string());
    }
    match &f.search {
        None => {}
        Some(PersonSearch::NameAndIdTail { name: n, tail }) => {
            // Found from the index of the ID number's last four characters (one in ten
            // thousand), not from the name (the commonest is 9 % of a city).
            let (name, tail4) = if pg {
                (name.to_string(), "right(id_number, 4)")
            } else {
                ("+name".to_string(), "substr(id_number, -4)")
            };
            push(
                &format!("{tail4} = {{}}"),
                tail[tail.len() - 4..].to_string(),
                &mut parts,
            );
            push(&format!("{name} >= {{}}"), n.clone(), &mut parts);
            push(
                &format!("{name} < {{}}"),
                format!("{n}\u{10FFFF}"),
                &mut parts,
            );
            push("id_number LIKE {}", format!("%{tail}"), &mut parts);
        }
        Some(PersonSearch::PhonePart(digits)) => {
            // The start of a number from the phone index, its end from the index of the last
            // four digits (see migration 0005); the two expressions are the indexes'.
            let tail4 = if pg {
                "right(phone, 4)"
            } else {
                "substr(phone, -4)"
            };
            let mut alternatives = Vec::new();
            push("phone >= {}", digits.clone(), &mut alternatives);
            push("phone < {}", format!("{digits}:"), &mut alternatives);
            let start = alternatives.join(" AND ");
            let mut ends = Vec::new();
            push(
                &format!("{tail4} = {{}}"),
                digits[digits.len() - 4..].to_string(),
                &mut ends,
            );
            push("phone LIKE {}", format!("%{digits}"), &mut ends);
            parts.push(format!("(({start}) OR ({}))", ends.join(" AND ")));
        }
        Some(PersonSearch::IdNumber(id)) => push("id_number = {}", id.to_string(), &mut parts),
        Some(PersonSearch::IdNumberPrefix(p)) => {
            push("id_number >= {}", p.clone(), &mut parts);
            push("id_number < {}", format!("{p}:"), &mut parts);
        }
        Some(PersonSearch::Phone(p)) => push("phone = {}", p.clone(), &mut parts),
        Some(PersonSearch::NamePrefix(p)) => {
            // U+10FFFF sorts after every character a name can hold.
            push(&format!("{name} >= {{}}"), p.clone(), &mut parts);
            push(
                &format!("{name} < {{}}"),
                format!("{p}\u{10FFFF}"),
                &mut parts,
            );
        }
    }
    match (f.status, f.all_statuses) {
        (Some(s), _) => push("status = {}", s.key().to_string(), &mut parts),
        (None, false) => push(
            "status = {}",
            PersonStatus::Active.key().to_string(),
            &mut parts,
        ),
        (None, true) => {}
    }
    let clause = if parts.is_empty() {
        "TRUE".to_string()
    } else {
        parts.join(" AND ")
    };
    (clause, values)
}
