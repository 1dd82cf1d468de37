//! The register's file formats: which columns a people, events or areas file has, what each
//! header may be called, and how one row becomes domain values. Files and forms share these rules.

use jiff::civil::Date;

use crate::area::AreaCode;
use crate::codes::{
    ContraceptionMethod, Education, Ethnicity, EventKind, MaritalStatus, PopulationType,
    PregnancyOutcome, Relation, Sex,
};
use crate::dates::parse_date;
use crate::event::{ChildBirth, EventDetail, NewEvent};
use crate::id_number::IdNumber;
use crate::person::{FieldError, HouseholdNo, Person, PersonData, PersonName, Place};
use crate::phone::Phone;

/// One column of a file: its key (English header), its Chinese header and other names seen in
/// the wild.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub zh: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

const fn col(
    key: &'static str,
    zh: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> Column {
    Column {
        key,
        zh,
        aliases,
        required,
    }
}

pub const AREA_COLUMNS: &[Column] = &[
    col("code", "区划代码", &["代码", "统计用区划代码"], true),
    col("name", "名称", &["区划名称", "单位名称"], true),
];

/// The people file, in the order export writes it.
pub const PERSON_COLUMNS: &[Column] = &[
    col(
        "id_number",
        "身份证号",
        &["公民身份号码", "身份证号码", "证件号码"],
        false,
    ),
    col("name", "姓名", &[], true),
    col("sex", "性别", &[], false),
    col("birth_date", "出生日期", &["出生年月日"], false),
    col("ethnicity", "民族", &[], true),
    col("marital_status", "婚姻状况", &["婚姻"], true),
    col("education", "文化程度", &["学历"], false),
    col("phone", "联系电话", &["电话", "手机", "手机号"], false),
    col("household_no", "户编号", &["户号"], true),
    col("relation", "与户主关系", &["关系"], true),
    col("population_type", "人口类型", &["人口性质"], true),
    col("registered_place", "户籍地", &["户籍所在地"], false),
    col(
        "area_code",
        "居住地区划",
        &["区划代码", "所在小组代码"],
        true,
    ),
    col("address", "居住地址", &["现住址", "地址"], false),
    col("arrival_date", "来本地日期", &["流入日期"], false),
    col("leaving_date", "流出日期", &[], false),
    col(
        "origin_or_destination",
        "来源地/去向",
        &["来源地", "去向", "流入来源地", "流出去向"],
        false,
    ),
];

pub const EVENT_COLUMNS: &[Column] = &[
    col(
        "id_number",
        "身份证号",
        &["公民身份号码", "身份证号码"],
        true,
    ),
    col("event", "事件", &["事件类型"], true),
    col("date", "发生日期", &["日期"], true),
    col("spouse_id_number", "配偶身份证号", &[], false),
    col("method", "避孕方法", &[], false),
    col("outcome", "妊娠结局", &[], false),
    col("child_name", "子女姓名", &[], false),
    col("child_sex", "子女性别", &[], false),
    col(
        "birth_weight_g",
        "出生体重",
        &["出生体重(克)", "出生体重（克）"],
        false,
    ),
    col("birth_order", "孩次", &[], false),
    col("birth_defect", "出生缺陷", &[], false),
    col("to_area_code", "迁往区划", &[], false),
    col("note", "备注", &[], false),
];

/// Where each known column sits in a file's header row.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    columns: &'static [Column],
    positions: Vec<Option<usize>>,
    /// Headers the register does not know; they are read past, and named in the report.
    pub ignored: Vec<String>,
}

pub(crate) fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['*', '＊'])
        .trim()
        .to_lowercase()
}

impl HeaderMap {
    /// Fails with one message per required column that is missing or duplicated.
    pub fn new(columns: &'static [Column], headers: &[String]) -> Result<Self, Vec<String>> {
        let mut positions = vec![None; columns.len()];
        let mut ignored = Vec::new();
        let mut problems = Vec::new();
        for (i, raw) in headers.iter().enumerate() {
            let h = normalise_header(raw);
            if h.is_empty() {
                continue;
            }
            let found = columns.iter().position(|c| {
                c.key == h || c.zh == h || c.aliases.iter().any(|a| a.to_lowercase() == h)
            });
            match found {
                Some(c) if positions[c].is_some() => {
                    problems.push(format!("列「{}」出现了两次", raw.trim()));
                }
                Some(c) => positions[c] = Some(i),
                None => ignored.push(raw.trim().to_string()),
            }
        }
        for (c, pos) in columns.iter().zip(&positions) {
            if c.required && pos.is_none() {
                problems.push(format!("缺少必填列「{}」（或 {}）", c.zh, c.key));
            }
        }
        if problems.is_empty() {
            Ok(HeaderMap {
                columns,
                positions,
                ignored,
            })
        } else {
            Err(problems)
        }
    }

    /// The value of a column in a row: trimmed, None when absent or blank.
    pub fn get<'r>(&self, row: &'r [String], key: &str) -> Option<&'r str> {
        let c = self.columns.iter().position(|c| c.key == key)?;
        let i = self.positions[c]?;
        row.get(i).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// The 0-based position of a column in the file, for pointing at a cell.
    pub fn position(&self, key: &str) -> Option<usize> {
        let c = self.columns.iter().position(|c| c.key == key)?;
        self.positions[c]
    }

    pub fn column(&self, key: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.key == key)
    }
}

/// The spreadsheet letter of a 0-based column: 0 → A, 26 → AA.
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

struct Reader<'a> {
    map: &'a HeaderMap,
    row: &'a [String],
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.map.get(self.row, key)
    }

    fn field<T, E: std::fmt::Display>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let v = self.get(key)?;
        match parse(v) {
            Ok(x) => Some(x),
            Err(e) => {
                self.errors.push(FieldError::new(key, e));
                None
            }
        }
    }

    fn required<T, E: std::fmt::Display>(
        &mut self,
        key: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        if self.get(key).is_none() {
            self.errors.push(FieldError::new(key, "必填，不能为空"));
            return None;
        }
        self.field(key, parse)
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_string)
    }
}

/// Builds a person from one row, with every problem found in it.
pub fn person_from_row(
    map: &HeaderMap,
    row: &[String],
    today: Date,
) -> Result<PersonData, Vec<FieldError>> {
    let mut r = Reader {
        map,
        row,
        errors: Vec::new(),
    };
    let id_given = r.get("id_number").is_some();
    let id_number = r.field("id_number", id_from_cell);
    let name = r.required("name", PersonName::parse);
    // Sex and birth date may be left out when the ID number carries them. A number that is
    // there but wrong is reported once, not again as a missing sex and birth date.
    let missing = !id_given;
    let sex = match r.get("sex") {
        Some(_) => r.field("sex", Sex::parse),
        None => id_number.map(|i| i.sex()).or_else(|| {
            if missing {
                r.errors
                    .push(FieldError::new("sex", "没有身份证号时必须填写性别"));
            }
            None
        }),
    };
    let birth_date = match r.get("birth_date") {
        Some(_) => r.field("birth_date", parse_date),
        None => id_number.map(|i| i.birth_date()).or_else(|| {
            if missing {
                r.errors.push(FieldError::new(
                    "birth_date",
                    "没有身份证号时必须填写出生日期",
                ));
            }
            None
        }),
    };
    let ethnicity = r.required("ethnicity", Ethnicity::parse);
    let marital_status = r.required("marital_status", MaritalStatus::parse);
    let education = r.field("education", Education::parse);
    let phone = r.field("phone", Phone::parse);
    let household_no = r.required("household_no", HouseholdNo::parse);
    let relation = r.required("relation", Relation::parse);
    let population_type = r.required("population_type", PopulationType::parse);
    let registered_place = r.get("registered_place").and_then(Place::parse);
    let area_code = r.required("area_code", AreaCode::parse);
    let address = r.text("address");
    let arrival_date = r.field("arrival_date", parse_date);
    let leaving_date = r.field("leaving_date", parse_date);
    let origin_or_destination = r.text("origin_or_destination");
    for key in ["registered_place", "address", "origin_or_destination"] {
        if r.get(key).is_some_and(crate::person::has_lost_character) {
            r.errors.push(FieldError::new(
                key,
                format!("地址{}", crate::person::LOST_CHARACTER),
            ));
        }
    }
    let mut errors = r.errors;
    let (
        Some(name),
        Some(sex),
        Some(birth_date),
        Some(ethnicity),
        Some(marital_status),
        Some(household_no),
        Some(relation),
        Some(population_type),
        Some(area_code),
    ) = (
        name,
        sex,
        birth_date,
        ethnicity,
        marital_status,
        household_no,
        relation,
        population_type,
        area_code,
    )
    else {
        return Err(errors);
    };
    let person = PersonData {
        id_number,
        name,
        sex,
        birth_date,
        ethnicity,
        marital_status,
        education,
        phone,
        household_no,
        relation,
        population_type,
        registered_place,
        area_code,
        address,
        arrival_date,
        leaving_date,
        origin_or_destination,
    };
    // An ID number that is there but unreadable (a spreadsheet turned it into a number) has
    // its own message already: not again "身份证号不能为空".
    let id_unreadable = id_given && id_number.is_none();
    errors.extend(
        person
            .check(today)
            .into_iter()
            .filter(|e| !(id_unreadable && e.field == "id_number")),
    );
    if errors.is_empty() {
        Ok(person)
    } else {
        Err(errors)
    }
}

/// What an ID number stored as a number in a spreadsheet gets, whichever way it shows.
pub const ID_AS_NUMBER: &str = "身份证号被存成了数字（表格中显示为 3.40702E+17 之类），后几位已经丢失或不可靠；请把该列设为文本，按证件重新填写后再导入";

/// An ID number cell. Excel turns long digit strings into numbers and loses the last digits;
/// say so, since "wrong check character" would send the officer looking in the wrong place.
/// The readers give a numeric cell of 15 or more digits in Excel's scientific form, so that
/// this is what it gets whatever digits the cell still held.
pub fn id_from_cell(v: &str) -> Result<IdNumber, String> {
    if v.contains(['E', 'e']) && v.contains('+') {
        return Err(ID_AS_NUMBER.into());
    }
    IdNumber::parse(v).map_err(|e| e.to_string())
}

/// The values of a person's row, in `PERSON_COLUMNS` order, as export writes them.
pub fn person_to_row(p: &Person) -> Vec<String> {
    let d = &p.data;
    let opt = |o: Option<String>| o.unwrap_or_default();
    vec![
        opt(d.id_number.map(|i| i.to_string())),
        d.name.as_str().to_string(),
        d.sex.name_zh().to_string(),
        d.birth_date.to_string(),
        d.ethnicity.name_zh().to_string(),
        d.marital_status.name_zh().to_string(),
        opt(d.education.map(|e| e.name_zh().to_string())),
        opt(d.phone.as_ref().map(|p| p.to_string())),
        d.household_no.as_str().to_string(),
        d.relation.name_zh().to_string(),
        d.population_type.name_zh().to_string(),
        opt(d.registered_place.as_ref().map(|p| p.to_string())),
        d.area_code.to_string(),
        opt(d.address.clone()),
        opt(d.arrival_date.map(|x| x.to_string())),
        opt(d.leaving_date.map(|x| x.to_string())),
        opt(d.origin_or_destination.clone()),
    ]
}

/// One row of an events file: whose timeline, and what happened.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id_number: IdNumber,
    pub event: NewEvent,
}

fn parse_flag(v: &str) -> Result<bool, String> {
    match v.trim() {
        "是" | "有" | "1" | "true" | "TRUE" | "yes" | "Y" | "y" => Ok(true),
        "否" | "无" | "0" | "false" | "FALSE" | "no" | "N" | "n" => Ok(false),
        other => Err(format!("「{other}」应填 是 或 否")),
    }
}

fn parse_number<T: std::str::FromStr>(what: &'static str) -> impl Fn(&str) -> Result<T, String> {
    move |v: &str| {
        let whole = v.trim().strip_suffix(".0").unwrap_or(v.trim());
        whole
            .parse::<T>()
            .map_err(|_| format!("{what}「{v}」应为整数"))
    }
}

pub fn event_from_row(map: &HeaderMap, row: &[String]) -> Result<EventRow, Vec<FieldError>> {
    let mut r = Reader {
        map,
        row,
        errors: Vec::new(),
    };
    let id_number = r.required("id_number", id_from_cell);
    let event = event_fields(&mut r);
    match (id_number, event) {
        (Some(id_number), Some(event)) if r.errors.is_empty() => Ok(EventRow { id_number, event }),
        _ => Err(r.errors),
    }
}

/// An event for a person already chosen (a form or the API, where the person is in the URL):
/// the same columns and rules as a file row, without the ID number column.
pub fn new_event_from_row(map: &HeaderMap, row: &[String]) -> Result<NewEvent, Vec<FieldError>> {
    let mut r = Reader {
        map,
        row,
        errors: Vec::new(),
    };
    match event_fields(&mut r) {
        Some(event) if r.errors.is_empty() => Ok(event),
        _ => Err(r.errors),
    }
}

fn event_fields(r: &mut Reader<'_>) -> Option<NewEvent> {
    let kind = r.required("event", EventKind::parse);
    let date = r.required("date", parse_date);
    let spouse_id_number = r.field("spouse_id_number", id_from_cell);
    let method = r.field("method", ContraceptionMethod::parse);
    let outcome = r.field("outcome", PregnancyOutcome::parse);
    let child_sex = r.field("child_sex", Sex::parse);
    let birth_weight_g = r.field("birth_weight_g", parse_number::<u16>("出生体重"));
    let birth_order = r.field("birth_order", parse_number::<u8>("孩次"));
    let birth_defect = r.field("birth_defect", parse_flag);
    let to_area_code = r.field("to_area_code", AreaCode::parse);
    let child_name = r.text("child_name");
    let note = r.text("note");
    let (Some(kind), Some(occurred_on)) = (kind, date) else {
        return None;
    };
    let child = (kind == EventKind::Birth).then_some(ChildBirth {
        name: child_name,
        sex: child_sex,
        birth_weight_g,
        birth_order,
        birth_defect,
        child_id: None,
    });
    Some(NewEvent {
        kind,
        occurred_on,
        detail: EventDetail {
            spouse_id_number,
            method,
            outcome,
            child,
            to_area_code,
            note,
            ..EventDetail::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_headers_in_any_order_with_an_unknown_one() {
        let headers = strings(&[
            "序号",
            "姓名",
            "身份证号",
            "民族",
            "婚姻状况",
            "户编号",
            "与户主关系",
            "人口类型",
            "居住地区划",
        ]);
        let map = HeaderMap::new(PERSON_COLUMNS, &headers).unwrap();
        assert_eq!(map.ignored, ["序号"]);
        let row = strings(&[
            "1",
            "张秀英",
            "110105491231002",
            "汉",
            "丧偶",
            "H1",
            "户主",
            "常住",
            "340705001001",
        ]);
        let p = person_from_row(&map, &row, date(2026, 11, 28)).unwrap();
        assert_eq!(p.id_number.unwrap().as_str(), "11010519491231002X");
        assert_eq!(p.sex, Sex::Female);
        assert_eq!(p.birth_date, date(1949, 12, 31));
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = HeaderMap::new(PERSON_COLUMNS, &strings(&["姓名", "身份证号"])).unwrap_err();
        assert!(err.iter().any(|e| e.contains("「民族」")), "{err:?}");
    }

    #[test]
    fn every_problem_of_a_row_is_reported() {
        let headers: Vec<String> = PERSON_COLUMNS.iter().map(|c| c.key.to_string()).collect();
        let map = HeaderMap::new(PERSON_COLUMNS, &headers).unwrap();
        let mut row = vec![String::new(); headers.len()];
        row[0] = "110105194912310021".into();
        row[1] = "张三".into();
        row[4] = "火星族".into();
        row[5] = "已婚".into();
        row[8] = "H1".into();
        row[9] = "户主".into();
        row[10] = "常住".into();
        row[12] = "340705001001".into();
        let errors = person_from_row(&map, &row, date(2026, 11, 28)).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert!(
            fields.contains(&"id_number") && fields.contains(&"ethnicity"),
            "{errors:?}"
        );
    }

    #[test]
    fn excel_scientific_notation_is_explained() {
        assert!(
            id_from_cell("1.10105E+17")
                .unwrap_err()
                .contains("身份证号被存成了数字")
        );
    }

    /// A numeric ID cell with sex and birth date filled in: one message, about the number,
    /// not also "身份证号不能为空".
    #[test]
    fn an_id_number_turned_into_a_number_gets_one_message() {
        let headers: Vec<String> = PERSON_COLUMNS.iter().map(|c| c.key.to_string()).collect();
        let map = HeaderMap::new(PERSON_COLUMNS, &headers).unwrap();
        let mut row = vec![String::new(); headers.len()];
        row[0] = "3.40702E+17".into();
        row[1] = "张三".into();
        row[2] = "男".into();
        row[3] = "1990-01-01".into();
        row[4] = "汉".into();
        row[5] = "未婚".into();
        row[8] = "H1".into();
        row[9] = "户主".into();
        row[10] = "常住".into();
        row[12] = "340705001001".into();
        let errors = person_from_row(&map, &row, date(2026, 11, 28)).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "id_number");
        assert!(
            errors[0].message.contains("身份证号被存成了数字"),
            "{errors:?}"
        );
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
