//! Importing the register's files: validate the whole file, then write all of it in one
//! transaction, or nothing. Every problem is reported as the row a spreadsheet shows and the
//! column it is in.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use renkou_core::audit::AuditEntry;
use renkou_core::person::FieldError;
use renkou_core::record::{
    AREA_COLUMNS, EVENT_COLUMNS, HeaderMap, PERSON_COLUMNS, column_letter, event_from_row,
    person_from_row,
};
use renkou_core::{Area, AreaCode, IdNumber, PersonData, PersonId};
use renkou_store::{PersonFilter, Store, StoreError};

use crate::duplicates::DuplicateFinder;
use crate::read::{Row, Table, TableError, open_table};
use crate::write::{TableWriter, WriteError};

/// Where long work reports how far it has got (a progress bar on a terminal, nothing in tests).
pub trait Progress {
    /// A new phase; `total` when it is known.
    fn phase(&mut self, label: &str, total: Option<u64>);
    fn advance(&mut self, n: u64);
    fn finish(&mut self);
}

/// For callers that show nothing.
pub struct Silent;

impl Progress for Silent {
    fn phase(&mut self, _: &str, _: Option<u64>) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: u64,
    /// The column's letter and header as the file has them: "C (身份证号)".
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "row {}, column {}: {}", self.row, c, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Write the valid rows and leave out the rest (which go to the rejected file).
    pub skip_invalid: bool,
    /// Update people already on the register (by ID number), recording a correction each.
    pub upsert: bool,
    /// Where the rows that could not be imported go, with their reasons, as CSV.
    pub rejected_path: Option<PathBuf>,
    /// Who is importing, for the timeline.
    pub actor: String,
    pub today: Date,
    /// The importing account's area: rows about anyone outside it are refused.
    pub within: Option<AreaCode>,
    /// The audit row for this import, written in the transaction that writes the file (its
    /// detail gets the counts).
    pub audit: Option<AuditEntry>,
    /// The most data rows a file may have (an upload's limit); None for no limit.
    pub max_rows: Option<u64>,
}

/// Past this many rows with problems a file is not read further: its columns are likely not
/// what they should be, and the problems found so far are what the officer needs to see.
pub const MAX_PROBLEM_ROWS: usize = 10_000;

/// The problems a report keeps in full; the rest are counted (and all of them are in the
/// rejected-rows file).
pub const MAX_REPORTED_PROBLEMS: usize = 1_000;

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// What the file turned out to be: "CSV (GB18030/GBK)".
    pub source: String,
    /// Data rows read (blank rows are not counted).
    pub rows: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows with at least one problem.
    pub rejected: u64,
    /// The first problems, in row order (at most `MAX_REPORTED_PROBLEMS`).
    pub problems: Vec<RowProblem>,
    /// Problems found beyond those kept in `problems`.
    pub more_problems: u64,
    /// Why reading stopped before the end of the file (a limit), when it did: then nothing
    /// was written.
    pub stopped: Option<String>,
    /// Headers that are not part of the format; their columns were read past.
    pub ignored_columns: Vec<String>,
    /// Whether anything was written.
    pub written: bool,
    pub rejected_file: Option<PathBuf>,
}

impl ImportReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("临时文件读写失败：{0}")]
    Io(#[from] std::io::Error),
}

/// The first rows of a file may be a title ("2026年11月人口信息登记表") above the header;
/// the header is the first of the first five non-blank rows that names the required columns.
/// The header row found in a file: its number, its cells, and the columns it maps (or why not).
struct Header {
    row: u64,
    cells: Vec<String>,
    map: Result<HeaderMap, Vec<String>>,
}

fn find_header(
    table: &mut Table,
    columns: &'static [renkou_core::record::Column],
) -> Result<Header, TableError> {
    let mut first: Option<(u64, Vec<String>, Vec<String>)> = None;
    for _ in 0..5 {
        let Some(row) = next_nonblank(table)? else {
            break;
        };
        match HeaderMap::new(columns, &row.cells) {
            Ok(map) => {
                return Ok(Header {
                    row: row.number,
                    cells: row.cells,
                    map: Ok(map),
                });
            }
            Err(problems) => {
                if first.is_none() {
                    first = Some((row.number, row.cells, problems));
                }
            }
        }
    }
    match first {
        Some((row, cells, problems)) => Ok(Header {
            row,
            cells,
            map: Err(problems),
        }),
        None => Err(TableError::Empty),
    }
}

/// A table opened and its header row understood, with the report it starts.
struct Opened {
    table: Table,
    report: ImportReport,
    header_row: u64,
    headers: Vec<String>,
    map: HeaderMap,
}

/// Opens a file and finds its header. A header that lacks required columns is not an error of
/// the program but the officer's to fix: it comes back as a report (inner `Err`).
fn open_with_header(
    path: &Path,
    columns: &'static [renkou_core::record::Column],
) -> Result<Result<Opened, ImportReport>, ImportError> {
    let mut table = open_table(path)?;
    let mut report = ImportReport {
        source: table.description.clone(),
        ..Default::default()
    };
    let header = find_header(&mut table, columns)?;
    match header.map {
        Ok(map) => {
            report.ignored_columns = map.ignored.clone();
            Ok(Ok(Opened {
                table,
                report,
                header_row: header.row,
                headers: header.cells,
                map,
            }))
        }
        Err(problems) => {
            report.problems = header_problems(header.row, problems);
            Ok(Err(report))
        }
    }
}

fn next_nonblank(table: &mut Table) -> Result<Option<Row>, TableError> {
    for row in table.by_ref() {
        let row = row?;
        if !row.is_blank() {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

fn header_problems(row: u64, problems: Vec<String>) -> Vec<RowProblem> {
    problems
        .into_iter()
        .map(|message| RowProblem {
            row,
            column: None,
            message,
        })
        .collect()
}

fn locate(map: &HeaderMap, headers: &[String], row: u64, e: FieldError) -> RowProblem {
    let column = map.position(e.field).map(|i| {
        let header = headers.get(i).map(|h| h.trim()).unwrap_or("");
        format!("{} ({})", column_letter(i), header)
    });
    // A rule about a column the file does not have: say which column to add.
    let message = match (&column, map.column(e.field)) {
        (None, Some(c)) => format!("{}（文件中没有「{}」列）", e.message, c.zh),
        _ => e.message,
    };
    RowProblem {
        row,
        column,
        message,
    }
}

/// What identifies someone without an ID number (a child too young for one): the name, the
/// birth date and the household, as `Store::persons_without_id_number` keys them.
fn without_id_key(p: &PersonData) -> (String, Date, String) {
    (
        p.name.as_str().to_string(),
        p.birth_date,
        p.household_no.as_str().to_string(),
    )
}

/// The 17 digits before the check character identify an ID number on their own.
fn id_key(id: &IdNumber) -> u64 {
    id.as_str()[..17]
        .parse()
        .expect("ID numbers start with 17 digits")
}

/// Everything pass one learns about the rows, to act on in pass two.
struct Plan {
    header_row: u64,
    problems: HashMap<u64, Vec<RowProblem>>,
    updates: HashMap<u64, PersonId>,
    new_rows: u64,
}

/// What checking rows has found so far: the problems by row, and the ID numbers seen
/// (repeats are found when the file has been read: see `finish`).
struct RowChecker<'a> {
    map: &'a HeaderMap,
    headers: &'a [String],
    areas: &'a HashSet<String>,
    within: Option<&'a AreaCode>,
    today: Date,
    duplicates: DuplicateFinder,
    problems: HashMap<u64, Vec<RowProblem>>,
    rows: u64,
    max_rows: Option<u64>,
    /// Why reading stopped before the end of the file, with the row it stopped at.
    stopped: Option<(u64, String)>,
    /// People without an ID number, by name, birth date and household: the first row of each.
    without_id: HashMap<(String, Date, String), u64>,
    /// A row that was valid when read turned out, later, to share its ID number with another.
    earlier_rows_invalidated: bool,
    /// A temporary file for the repeat check could not be written; reported by `finish`.
    io_error: Option<std::io::Error>,
}

impl<'a> RowChecker<'a> {
    fn new(
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

    fn problem(&mut self, row: u64, e: FieldError) {
        let p = locate(self.map, self.headers, row, e);
        self.problems.entry(row).or_default().push(p);
    }

    /// Whether reading should stop here (too many rows, or too many problems).
    fn stopped(&self) -> bool {
        self.stopped.is_some()
    }

    /// Checks one row on its own and against the rows before it; the person if it is valid.
    fn check(&mut self, row: &Row) -> Option<PersonData> {
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
    fn finish(&mut self) -> Result<(), ImportError> {
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

/// `renkou persons import`: validates the whole file, then writes it in one transaction.
pub fn import_persons(
    store: &mut Store,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    if let Some(max) = opts.max_rows {
        crate::read::check_xlsx_size(path, max)?;
    }
    let Opened {
        mut table,
        mut report,
        header_row,
        headers,
        map,
    } = match open_with_header(path, PERSON_COLUMNS)? {
        Ok(opened) => opened,
        Err(bad_header) => return Ok(bad_header),
    };
    let areas: HashSet<String> = store
        .areas(None)?
        .into_iter()
        .map(|a| a.code.to_string())
        .collect();
    let register_is_empty = store.count_persons(&PersonFilter {
        all_statuses: true,
        ..Default::default()
    })? == 0;
    let mut checker = RowChecker::new(&map, &headers, &areas, opts.within.as_ref(), opts);

    let plan = if register_is_empty {
        // A first load: nothing to compare with but the file itself, so check and write in one
        // pass, the checking on a second thread.
        match load_in_one_pass(store, table, &mut checker, opts, progress)? {
            Some(added) => {
                report.rows = checker.rows;
                report.added = added;
                report.written = true;
                report.rejected = checker.problems.len() as u64;
                let plan = Plan {
                    header_row,
                    problems: checker.problems,
                    updates: HashMap::new(),
                    new_rows: added,
                };
                if !plan.problems.is_empty() {
                    report.rejected_file = write_rejected(path, opts, &plan)?;
                }
                progress.finish();
                set_problems(&mut report, plan.problems);
                return Ok(report);
            }
            // Rolled back: the checks found problems; decide below what to write, if anything.
            None => Plan {
                header_row,
                problems: std::mem::take(&mut checker.problems),
                updates: HashMap::new(),
                new_rows: 0,
            },
        }
    } else {
        // Pass one: every row checked on its own, against the rest of the file, and against
        // the register.
        progress.phase("检查", None);
        // People without an ID number are matched by name, birth date and household; a
        // household number a spreadsheet shortened ("0012" read as the number 12) is caught
        // against the register's own.
        let without_id = store.persons_without_id_number()?;
        let zero_led = store.zero_led_households()?;
        let mut pending: Vec<(u64, IdNumber)> = Vec::new();
        // (row, the person on the register, matched by ID number)
        let mut known: Vec<(u64, PersonId, bool)> = Vec::new();
        for row in table.by_ref() {
            let row = row?;
            if row.is_blank() {
                continue;
            }
            progress.advance(1);
            let person = checker.check(&row);
            if checker.stopped() {
                break;
            }
            let Some(person) = person else { continue };
            let household = person.household_no.as_str();
            if !household.starts_with('0')
                && let Some(full) = zero_led.get(household)
            {
                let message = format!(
                    "户编号{household}与登记中的户编号{full}只差开头的 0：可能是表格软件把这一列当成了数字。请把这一列设为“文本”格式，按原样填写（{full}）"
                );
                checker.problem(row.number, FieldError::new("household_no", message));
                continue;
            }
            match person.id_number {
                Some(id) => {
                    pending.push((row.number, id));
                    if pending.len() >= 500 {
                        known.extend(
                            lookup_known(store, &mut pending)?
                                .into_iter()
                                .map(|(r, p)| (r, p, true)),
                        );
                    }
                }
                None => match without_id.get(&without_id_key(&person)).map(Vec::as_slice) {
                    None | Some([]) => {}
                    Some([pid]) => known.push((row.number, *pid, false)),
                    Some(many) => {
                        let message = format!(
                            "登记中有 {} 个姓名、出生日期和户编号都相同的无身份证号人员，无法确定是哪一个；请在人员页面上修改",
                            many.len()
                        );
                        checker.problem(row.number, FieldError::new("name", message));
                    }
                },
            }
        }
        known.extend(
            lookup_known(store, &mut pending)?
                .into_iter()
                .map(|(r, p)| (r, p, true)),
        );
        checker.finish()?;
        let mut plan = Plan {
            header_row,
            problems: std::mem::take(&mut checker.problems),
            updates: HashMap::new(),
            new_rows: 0,
        };
        let mut out_of_reach = Vec::new();
        for (row, pid, by_id_number) in known {
            if plan.problems.contains_key(&row) {
                continue;
            }
            let elsewhere = match &opts.within {
                Some(w) => store
                    .person(pid)?
                    .is_some_and(|p| !p.data.managing_area().is_within(w)),
                None => false,
            };
            if elsewhere {
                // Whoever holds this number is outside the account's area: the officer learns
                // only that the row cannot be imported here; the trail keeps who was asked for.
                let e = FieldError::new(
                    "id_number",
                    "此行不能在本辖区导入；如确需登记，请联系社区人口和计划生育服务管理站核实",
                );
                plan.problems
                    .entry(row)
                    .or_default()
                    .push(locate(&map, &headers, row, e));
                if let Some(entry) = &opts.audit {
                    let mut e = entry.clone().object(pid.0).detail(format!("row={row}"));
                    e.object_kind = "person".into();
                    e.result = renkou_core::audit::AuditResult::Denied;
                    out_of_reach.push(e);
                }
            } else if opts.upsert {
                plan.updates.insert(row, pid);
            } else {
                let e = if by_id_number {
                    FieldError::new(
                        "id_number",
                        "此身份证号已在登记中；如要更新已有记录，请使用 --upsert",
                    )
                } else {
                    FieldError::new(
                        "name",
                        "此人（没有身份证号，姓名、出生日期和户编号相同）已在登记中；如要更新已有记录，请使用 --upsert",
                    )
                };
                plan.problems
                    .entry(row)
                    .or_default()
                    .push(locate(&map, &headers, row, e));
            }
        }
        if !out_of_reach.is_empty() {
            store.audit_batch(out_of_reach)?;
        }
        plan
    };
    let mut plan = plan;
    if let Some((_, message)) = checker.stopped.take() {
        // Not every row was read: nothing is written, whatever --skip-invalid says.
        report.stopped = Some(message);
        report.rows = checker.rows.saturating_sub(1);
        report.rejected = plan.problems.len() as u64;
        report.rejected_file = write_rejected(path, opts, &plan)?;
        progress.finish();
        set_problems(&mut report, plan.problems);
        return Ok(report);
    }
    report.rows = checker.rows;
    report.rejected = plan.problems.len() as u64;
    let valid_updates = plan
        .updates
        .keys()
        .filter(|r| !plan.problems.contains_key(r))
        .count() as u64;
    plan.new_rows = report.rows - report.rejected - valid_updates;

    // Pass two: the rejected rows to a file, and the valid ones to the register.
    let write = plan.problems.is_empty() || opts.skip_invalid;
    if !plan.problems.is_empty() {
        report.rejected_file = write_rejected(path, opts, &plan)?;
    }
    if write {
        let counts = write_people(store, path, opts, &plan, progress)?;
        report.added = counts.0;
        report.updated = counts.1;
        report.unchanged = counts.2;
        report.written = true;
    }
    progress.finish();
    set_problems(&mut report, plan.problems);
    Ok(report)
}

/// Checks rows on one thread and writes them through the bulk path on this one, in a single
/// transaction. Returns how many were added, or None when it rolled back because of problems
/// (every row has still been checked): any problem without `skip_invalid`, or, with it, a row
/// already written that a later duplicate made invalid.
fn load_in_one_pass(
    store: &mut Store,
    table: Table,
    checker: &mut RowChecker<'_>,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<Option<u64>, ImportError> {
    progress.phase("导入", None);
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<PersonData>>(16);
    let skip_invalid = opts.skip_invalid;
    std::thread::scope(|scope| {
        // The checker's verdict: whether what was written must be rolled back.
        let checking =
            scope.spawn(move || -> Result<bool, ImportError> {
                let mut batch = Vec::with_capacity(1024);
                for row in table {
                    let row = row?;
                    if row.is_blank() {
                        continue;
                    }
                    let person = checker.check(&row);
                    if checker.stopped() {
                        break;
                    }
                    // Once the import is sure to roll back, keep checking but stop feeding the writer.
                    let doomed = !skip_invalid && !checker.problems.is_empty();
                    if let (Some(p), false) = (person, doomed) {
                        batch.push(p);
                        if batch.len() == 1024 {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(1024));
                            if sender.send(full).is_err() {
                                // The writer failed; its error is the one to report.
                                return Ok(false);
                            }
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = sender.send(batch);
                }
                drop(sender);
                checker.finish()?;
                let problems = !checker.problems.is_empty();
                Ok(checker.stopped()
                    || problems && (!skip_invalid || checker.earlier_rows_invalidated))
            });
        let mut outcome: Option<Result<bool, ImportError>> = None;
        let written = store.load(|tx| {
            // Owned here, so that if writing fails the channel closes and the checker stops.
            let mut people = receiver.into_iter().flatten();
            let added = tx.add_many(&mut people, &opts.actor, opts.today, &mut || {
                progress.advance(1)
            });
            drop(people);
            // The checker's verdict comes first: rows sharing an ID number also make the
            // unique index fail, and then the problems are what the officer needs to see.
            let verdict = checking.join().expect("the checking thread does not panic");
            let roll_back = !matches!(verdict, Ok(false));
            outcome = Some(verdict);
            if roll_back {
                return Err(StoreError::Rejected(Vec::new()));
            }
            let added = added?;
            if let Some(entry) = &opts.audit {
                tx.audit(entry.clone().detail(format!("added={added}")))?;
            }
            Ok(added)
        });
        match (written, outcome) {
            (_, Some(Err(e))) => Err(e),
            (Ok(added), _) => Ok(Some(added)),
            (Err(StoreError::Rejected(v)), _) if v.is_empty() => Ok(None),
            (Err(e), _) => Err(e.into()),
        }
    })
}
/// The rows of an events file that could not be applied: counted, copied with their reasons
/// to the rejected-rows file, and the first of them kept in the report.
fn report_rejected(
    report: &mut ImportReport,
    path: &Path,
    opts: &ImportOptions,
    header_row: u64,
    problems: HashMap<u64, Vec<RowProblem>>,
) -> Result<(), ImportError> {
    report.rejected = problems.len() as u64;
    if problems.is_empty() {
        return Ok(());
    }
    let plan = Plan {
        header_row,
        problems,
        updates: HashMap::new(),
        new_rows: 0,
    };
    report.rejected_file = write_rejected(path, opts, &plan)?;
    set_problems(report, plan.problems);
    Ok(())
}

/// The report's problems: the first `MAX_REPORTED_PROBLEMS` in row order, the rest counted.
fn set_problems(report: &mut ImportReport, problems: HashMap<u64, Vec<RowProblem>>) {
    let mut all = sorted_problems(problems);
    report.more_problems = all.len().saturating_sub(MAX_REPORTED_PROBLEMS) as u64;
    all.truncate(MAX_REPORTED_PROBLEMS);
    report.problems = all;
}

fn sorted_problems(problems: HashMap<u64, Vec<RowProblem>>) -> Vec<RowProblem> {
    let mut rows: Vec<(u64, Vec<RowProblem>)> = problems.into_iter().collect();
    rows.sort_by_key(|(r, _)| *r);
    rows.into_iter().flat_map(|(_, p)| p).collect()
}

fn lookup_known(
    store: &mut Store,
    pending: &mut Vec<(u64, IdNumber)>,
) -> Result<Vec<(u64, PersonId)>, StoreError> {
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<IdNumber> = pending.iter().map(|(_, id)| *id).collect();
    let known = store.known_id_numbers(&ids)?;
    Ok(pending
        .drain(..)
        .filter_map(|(row, id)| known.get(&id).map(|&pid| (row, pid)))
        .collect())
}

/// Re-reads the file and calls `f` for each data row after the header, in order.
fn for_each_row(
    path: &Path,
    header_row: u64,
    f: &mut dyn FnMut(Row) -> Result<bool, ImportError>,
) -> Result<(), ImportError> {
    for row in open_table(path)? {
        let row = row?;
        if row.number <= header_row || row.is_blank() {
            continue;
        }
        if !f(row)? {
            break;
        }
    }
    Ok(())
}

fn write_rejected(
    path: &Path,
    opts: &ImportOptions,
    plan: &Plan,
) -> Result<Option<PathBuf>, ImportError> {
    let Some(out) = opts.rejected_path.clone() else {
        return Ok(None);
    };
    let mut table = open_table(path)?;
    let headers = loop {
        match table.next() {
            Some(row) => {
                let row = row?;
                if row.number == plan.header_row {
                    break row.cells;
                }
            }
            None => return Ok(None),
        }
    };
    let mut header_refs: Vec<&str> = vec!["原行号"];
    header_refs.extend(headers.iter().map(String::as_str));
    header_refs.push("错误原因");
    let mut writer = TableWriter::create(&out, &header_refs, &[], &[])?;
    let last = plan.problems.keys().max().copied().unwrap_or(0);
    for row in table {
        let row = row?;
        if row.number > last {
            break;
        }
        if let Some(problems) = plan.problems.get(&row.number) {
            let mut cells = vec![row.number.to_string()];
            cells.extend(row.cells.iter().cloned());
            cells.resize(headers.len() + 1, String::new());
            let reasons: Vec<String> = problems
                .iter()
                .map(|p| match &p.column {
                    Some(c) => format!("{c}: {}", p.message),
                    None => p.message.clone(),
                })
                .collect();
            cells.push(reasons.join("；"));
            writer.write_row(&cells)?;
        }
    }
    writer.finish()?;
    Ok(Some(out))
}

/// Writes the valid rows in one transaction: new people through the bulk path, then updates.
fn write_people(
    store: &mut Store,
    path: &Path,
    opts: &ImportOptions,
    plan: &Plan,
    progress: &mut dyn Progress,
) -> Result<(u64, u64, u64), ImportError> {
    let header_row = plan.header_row;
    let mut table = open_table(path)?;
    let map = find_header(&mut table, PERSON_COLUMNS)?.map;
    let map = map.map_err(|p| TableError::Row {
        row: header_row,
        reason: p.join("；"),
    })?;
    // Set when the file cannot be read again the way pass one read it; aborts the transaction.
    let failure: std::cell::RefCell<Option<ImportError>> = std::cell::RefCell::new(None);
    progress.phase("写入", Some(plan.new_rows + plan.updates.len() as u64));
    let result = store.transaction(|tx| {
        let mut rows = table.by_ref().filter_map(|row| match row {
            Ok(r) => Some(r),
            Err(e) => {
                failure.borrow_mut().get_or_insert(e.into());
                None
            }
        });
        let mut people = std::iter::from_fn(|| {
            for row in rows.by_ref() {
                if row.is_blank()
                    || plan.problems.contains_key(&row.number)
                    || plan.updates.contains_key(&row.number)
                {
                    continue;
                }
                // Validated in pass one; a row that now fails means the file changed under us.
                match person_from_row(&map, &row.cells, opts.today) {
                    Ok(p) => return Some(p),
                    Err(_) => {
                        failure.borrow_mut().get_or_insert(
                            TableError::Row {
                                row: row.number,
                                reason: "文件在导入过程中被修改".into(),
                            }
                            .into(),
                        );
                        return None;
                    }
                }
            }
            None
        });
        let added = tx.add_many(&mut people, &opts.actor, opts.today, &mut || {
            progress.advance(1)
        })?;
        if failure.borrow().is_some() {
            return Err(StoreError::Database("导入中止".into()));
        }
        let (mut updated, mut unchanged) = (0, 0);
        if !plan.updates.is_empty() {
            let mut result = Ok(());
            let r = for_each_row(path, header_row, &mut |row| {
                let Some(&pid) = plan.updates.get(&row.number) else {
                    return Ok(true);
                };
                if plan.problems.contains_key(&row.number) {
                    return Ok(true);
                }
                let data = person_from_row(&map, &row.cells, opts.today).map_err(|_| {
                    ImportError::Table(TableError::Row {
                        row: row.number,
                        reason: "文件在导入过程中被修改".into(),
                    })
                })?;
                match tx.update_person(
                    pid,
                    data,
                    &opts.actor,
                    opts.today,
                    Some(format!("批量导入更新（第{}行）", row.number)),
                ) {
                    Ok(true) => updated += 1,
                    Ok(false) => unchanged += 1,
                    Err(e) => {
                        result = Err(e);
                        return Ok(false);
                    }
                }
                progress.advance(1);
                Ok(true)
            });
            if let Err(e) = r {
                failure.borrow_mut().get_or_insert(e);
                return Err(StoreError::Database("导入中止".into()));
            }
            result?;
        }
        if let Some(entry) = &opts.audit {
            tx.audit(entry.clone().detail(format!(
                "added={added} updated={updated} unchanged={unchanged}"
            )))?;
        }
        Ok((added, updated, unchanged))
    });
    match (result, failure.into_inner()) {
        (_, Some(f)) => Err(f),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(e.into()),
    }
}

/// `renkou events import`: applies every row in date order in one transaction; any refused row
/// rolls the whole file back unless `skip_invalid`.
pub fn import_events(
    store: &mut Store,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    if let Some(max) = opts.max_rows {
        crate::read::check_xlsx_size(path, max)?;
    }
    let Opened {
        mut table,
        mut report,
        header_row,
        headers,
        map,
    } = match open_with_header(path, EVENT_COLUMNS)? {
        Ok(opened) => opened,
        Err(bad_header) => return Ok(bad_header),
    };
    // Events files are a month's changes, not a census: they are held and applied in the order
    // things happened, whatever order the officer typed them in.
    let mut parsed = Vec::new();
    let mut problems: HashMap<u64, Vec<RowProblem>> = HashMap::new();
    progress.phase("检查", None);
    for row in table.by_ref() {
        let row = row?;
        if row.is_blank() {
            continue;
        }
        report.rows += 1;
        progress.advance(1);
        let stop = if opts.max_rows.is_some_and(|max| report.rows > max) {
            Some(format!(
                "文件超过 {} 行数据，超出了一次导入的上限；请分成几个文件导入，本文件没有导入",
                report.rows - 1
            ))
        } else if problems.len() >= MAX_PROBLEM_ROWS {
            Some(format!(
                "已有 {MAX_PROBLEM_ROWS} 行有问题，没有继续检查：请先核对文件的列是否对应，改正这些问题后再导入"
            ))
        } else {
            None
        };
        if let Some(message) = stop {
            report.rows -= 1;
            report.stopped = Some(message);
            progress.finish();
            report_rejected(&mut report, path, opts, header_row, problems)?;
            return Ok(report);
        }
        match event_from_row(&map, &row.cells) {
            Ok(e) => parsed.push((row.number, e)),
            Err(errors) => {
                for e in errors {
                    problems
                        .entry(row.number)
                        .or_default()
                        .push(locate(&map, &headers, row.number, e));
                }
            }
        }
    }
    parsed.sort_by_key(|(row, e)| (e.event.occurred_on, *row));
    progress.phase("登记", Some(parsed.len() as u64));
    let skip_invalid = opts.skip_invalid;
    let result = store.transaction(|tx| {
        let mut applied = 0u64;
        for (row, e) in parsed {
            progress.advance(1);
            // Someone outside the account's area reads as not on the register at all.
            let found = tx.person_by_id_number(&e.id_number)?.filter(|p| {
                opts.within
                    .as_ref()
                    .is_none_or(|w| p.data.managing_area().is_within(w))
            });
            let Some(person) = found else {
                let fe = FieldError::new(
                    "id_number",
                    format!("身份证号{}不在登记中", e.id_number.masked()),
                );
                problems
                    .entry(row)
                    .or_default()
                    .push(locate(&map, &headers, row, fe));
                continue;
            };
            // A spouse outside the importing account's area is not linked or changed.
            let reach = |p: &renkou_core::Person| {
                opts.within
                    .as_ref()
                    .is_none_or(|w| p.data.managing_area().is_within(w))
            };
            match tx.record_event_within(person.id, e.event, &opts.actor, opts.today, &reach) {
                Ok(_) => applied += 1,
                Err(StoreError::Rejected(errors)) => {
                    for fe in errors {
                        problems
                            .entry(row)
                            .or_default()
                            .push(locate(&map, &headers, row, fe));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() && !skip_invalid {
            // Everything was checked against the register as it would be; nothing stays.
            return Err(StoreError::Rejected(Vec::new()));
        }
        if let Some(entry) = &opts.audit {
            tx.audit(entry.clone().detail(format!("events={applied}")))?;
        }
        Ok(applied)
    });
    match result {
        Ok(applied) => {
            report.added = applied;
            report.written = true;
        }
        Err(StoreError::Rejected(v)) if v.is_empty() => {}
        Err(e) => return Err(e.into()),
    }
    progress.finish();
    report_rejected(&mut report, path, opts, header_row, problems)?;
    Ok(report)
}

/// `renkou areas import`: `code,name` rows; parents must exist or be in the same file. With
/// `within`, every area must lie in that area; `audit` is written with the areas.
pub fn import_areas(
    store: &mut Store,
    path: &Path,
    within: Option<&AreaCode>,
    audit: Option<AuditEntry>,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    let Opened {
        mut table,
        mut report,
        header_row: _,
        headers,
        map,
    } = match open_with_header(path, AREA_COLUMNS)? {
        Ok(opened) => opened,
        Err(bad_header) => return Ok(bad_header),
    };
    progress.phase("检查", None);
    let mut areas: Vec<(u64, Area)> = Vec::new();
    let mut problems: HashMap<u64, Vec<RowProblem>> = HashMap::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in table.by_ref() {
        let row = row?;
        if row.is_blank() {
            continue;
        }
        report.rows += 1;
        progress.advance(1);
        let mut err = |field: &'static str, msg: String| {
            problems.entry(row.number).or_default().push(locate(
                &map,
                &headers,
                row.number,
                FieldError::new(field, msg),
            ));
        };
        let code = match map.get(&row.cells, "code").map(AreaCode::parse) {
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                err("code", e.to_string());
                None
            }
            None => {
                err("code", "必填，不能为空".into());
                None
            }
        };
        let name = map.get(&row.cells, "name").map(str::to_string);
        if name.is_none() {
            err("name", "必填，不能为空".into());
        }
        if let (Some(code), Some(name)) = (code, name) {
            if let Some(w) = within
                && !code.is_within(w)
            {
                err("code", format!("区划代码{code}不在本账户的管辖区域{w}内"));
                continue;
            }
            if let Some(first) = seen.insert(code.to_string(), row.number) {
                err(
                    "code",
                    format!("区划代码{code}在文件中重复出现（第{first}行也是）"),
                );
                continue;
            }
            areas.push((row.number, Area { code, name }));
        }
    }
    let existing: HashSet<String> = store
        .areas(None)?
        .into_iter()
        .map(|a| a.code.to_string())
        .collect();
    for (row, a) in &areas {
        if let Some(parent) = a.code.parent()
            && !existing.contains(parent.as_str())
            && !seen.contains_key(parent.as_str())
        {
            let fe = FieldError::new(
                "code",
                format!("上级区划{parent}既不在区划表中，也不在本文件中"),
            );
            problems
                .entry(*row)
                .or_default()
                .push(locate(&map, &headers, *row, fe));
        }
    }
    report.rejected = problems.len() as u64;
    if problems.is_empty() {
        let list: Vec<Area> = areas.into_iter().map(|(_, a)| a).collect();
        report.added = list
            .iter()
            .filter(|a| !existing.contains(a.code.as_str()))
            .count() as u64;
        report.updated = list.len() as u64 - report.added;
        store.upsert_areas_audited(&list, audit)?;
        report.written = true;
    }
    progress.finish();
    set_problems(&mut report, problems);
    Ok(report)
}
