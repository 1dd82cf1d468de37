//! Checking the rows of a people file: each on its own, against the rows before it, and
//! against the areas; repeats of an ID number are found once the whole file is read.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;
use renkou_core::import::{ImportOptions, MAX_PROBLEM_ROWS, RowProblem, SourceRow};
use renkou_core::person::FieldError;
use renkou_core::record::{HeaderMap, person_from_row};
use renkou_core::{AreaCode, IdNumber, PersonData, PersonId};

use super::duplicates::DuplicateFinder;
use super::{ImportError, locate};

/// What identifies someone without an ID number (a child too young for one): the name, the
/// birth date and the household, as `Store::persons_without_id_number` keys them.
pub(super) fn without_id_key(p: &PersonData) -> (String, Date, String) {
    (
        p.name.as_str().to_string(),
        p.birth_date,
        p.household_no.as_str().to_string(),
    )
}

/// The 17 digits before the check character identify an ID number on their own.
pub(super) fn id_key(id: &IdNumber) -> u64 {
    id.as_str()[..17]
        .parse()
        .expect("ID numbers start with 17 digits")
}

/// Everything pass one learns about the rows, to act on in pass two.
pub(super) struct Plan {
    pub(super) header_row: u64,
    pub(super) problems: HashMap<u64, Vec<RowProblem>>,
    pub(super) updates: HashMap<u64, PersonId>,
    pub(super) new_rows: u64,
}

/// What checking rows has found so far: the problems by row, and the ID numbers seen
/// (repeats are found when the file has been read: see `finish`).
pub(super) struct RowChecker<'a> {
    pub(super) map: &'a HeaderMap,
    pub(super) headers: &'a [String],
    pub(super) areas: &'a HashSet<String>,
    pub(super) within: Option<&'a AreaCode>,
    pub(super) today: Date,
    pub(super) duplicates: DuplicateFinder,
    pub(super) problems: HashMap<u64, Vec<RowProblem>>,
    pub(super) rows: u64,
    pub(super) max_rows: Option<u64>,
    /// Why reading stopped before the end of the file, with the row it stopped at.
    pub(super) stopped: Option<(u64, String)>,
    /// People without an ID number, by name, birth date and household: the first row of each.
    pub(super) without_id: HashMap<(String, Date, String), u64>,
    /// A row that was valid when read turned out, later, to share its ID number with another.
    pub(super) earlier_rows_invalidated: bool,
    /// A temporary file for the repeat check could not be written; reported by `finish`.
    pub(super) io_error: Option<std::io::Error>,
}

impl<'a> RowChecker<'a> {
    pub(super) fn new(
        map: &'a HeaderMap,
        headers: &'a [String],
        areas: &'a HashSet<String>,
        within: Option<&'a AreaCode>,
        opts: &ImportOptions,
    ) -> Self {
        RowChecker {
            map,
            headers,
            areas,
            within,
            today: opts.today,
            duplicates: DuplicateFinder::new(),
            problems: HashMap::new(),
            rows: 0,
            max_rows: opts.max_rows,
            stopped: None,
            without_id: HashMap::new(),
            earlier_rows_invalidated: false,
            io_error: None,
        }
    }

    pub(super) fn problem(&mut self, row: u64, e: FieldError) {
        let p = locate(self.map, self.headers, row, e);
        self.problems.entry(row).or_default().push(p);
    }

    /// Whether reading should stop here (too many rows, or too many problems).
    pub(super) fn stopped(&self) -> bool {
        self.stopped.is_some()
    }

    /// Checks one row on its own and against the rows before it; the person if it is valid.
    pub(super) fn check(&mut self, row: &SourceRow) -> Option<PersonData> {
        self.rows += 1;
        if let Some(max) = self.max_rows
            && self.rows > max
        {
            self.stopped = Some((
                row.number,
                format!(
                    "文件超过 {max} 行数据，超出了一次导入的上限；请分成几个文件导入，本文件没有导入"
                ),
            ));
            return None;
        }
        if self.problems.len() >= MAX_PROBLEM_ROWS {
            self.stopped = Some((
                row.number,
                format!(
                    "已有 {MAX_PROBLEM_ROWS} 行有问题，没有继续检查：请先核对文件的列是否对应，改正这些问题后再导入"
                ),
            ));
            return None;
        }
        let person = match person_from_row(self.map, &row.cells, self.today) {
            Ok(p) => p,
            Err(errors) => {
                for e in errors {
                    self.problem(row.number, e);
                }
                return None;
            }
        };
        let mut valid = true;
        if !self.areas.contains(person.area_code.as_str()) {
            let message = format!(
                "区划代码{}不在区划表中（先用 renkou areas import 导入区划）",
                person.area_code
            );
            self.problem(row.number, FieldError::new("area_code", message));
            valid = false;
        } else if let Some(within) = self.within
            && !person.area_code.is_within(within)
        {
            let message = format!(
                "区划代码{}不在本账户的管辖区域{}内",
                person.area_code, within
            );
            self.problem(row.number, FieldError::new("area_code", message));
            valid = false;
        }
        if let Some(id) = &person.id_number {
            let pushed = self.duplicates.push(id_key(id), row.number);
            self.pending_io(pushed);
        } else if let Some(first) = self.without_id.insert(without_id_key(&person), row.number) {
            if !self.problems.contains_key(&first) {
                self.earlier_rows_invalidated = true;
            }
            let e = |other: u64| {
                FieldError::new(
                    "name",
                    format!(
                        "没有身份证号，姓名、出生日期和户编号又与第{other}行相同：是同一个人吗？"
                    ),
                )
            };
            self.problem(first, e(row.number));
            self.problem(row.number, e(first));
            valid = false;
        }
        valid.then_some(person)
    }

    fn pending_io(&mut self, result: std::io::Result<()>) {
        if let Err(e) = result {
            self.io_error.get_or_insert(e);
        }
    }

    /// Once every row is read: the rows whose ID number another row has too, both of them.
    pub(super) fn finish(&mut self) -> Result<(), ImportError> {
        if let Some(e) = self.io_error.take() {
            return Err(e.into());
        }
        let finder = std::mem::replace(&mut self.duplicates, DuplicateFinder::new());
        for (first, later) in finder.finish()? {
            if !self.problems.contains_key(&first) {
                // The first row passed its checks and may already be written.
                self.earlier_rows_invalidated = true;
            }
            let e = |other: u64| {
                FieldError::new(
                    "id_number",
                    format!("身份证号在文件中重复出现（第{other}行也是这个号码）"),
                )
            };
            self.problem(first, e(later));
            self.problem(later, e(first));
        }
        Ok(())
    }
}
