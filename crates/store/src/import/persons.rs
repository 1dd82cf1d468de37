//! The people file: a first load checked and written in one pass; otherwise checked against
//! the file and the register first, then written (new people in bulk, known ones as
//! corrections) in one transaction.

use std::collections::{HashMap, HashSet};

use renkou_core::audit::{AuditAction, AuditEntry, AuditResult};
use renkou_core::import::{
    ImportOptions, Imported, Progress, SourceError, SourceRow, SourceRows, TableSource,
};
use renkou_core::person::FieldError;
use renkou_core::record::{PERSON_COLUMNS, person_from_row};
use renkou_core::{Action, IdNumber, PersonData, PersonId};

use super::checker::{Plan, RowChecker, without_id_key};
use super::{
    ImportError, Opened, changed_under_us, find_header, locate, open_with_header, rejected_rows,
};
use crate::door::Who;
use crate::{PersonFilter, Store, StoreError};

impl Store {
    /// `renkou persons import` and the people upload: validates the whole file, then writes it
    /// in one transaction.
    pub fn import_persons(
        &mut self,
        by: Who<'_>,
        source: &dyn TableSource,
        opts: &ImportOptions,
        progress: &mut dyn Progress,
    ) -> Result<Imported, ImportError> {
        self.may_import(by, Action::ImportFile, AuditAction::Import)?;
        let mut audit = by.entry(AuditAction::Import, "file", AuditResult::Ok);
        audit.object_id = opts.object.clone();
        import_persons(self, by, source, opts, &audit, progress)
    }
}

fn import_persons(
    store: &mut Store,
    by: Who<'_>,
    source: &dyn TableSource,
    opts: &ImportOptions,
    audit: &AuditEntry,
    progress: &mut dyn Progress,
) -> Result<Imported, ImportError> {
    let Opened {
        mut rows,
        mut report,
        header_row,
        headers,
        map,
    } = match open_with_header(source, PERSON_COLUMNS)? {
        Ok(opened) => opened,
        Err(bad_header) => {
            return Ok(Imported {
                report: bad_header,
                ..Default::default()
            });
        }
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
    let mut checker = RowChecker::new(&map, &headers, &areas, by.within(), opts);

    let plan = if register_is_empty {
        // A first load: nothing to compare with but the file itself, so check and write in one
        // pass, the checking on a second thread.
        match load_in_one_pass(store, by, rows, &mut checker, opts, audit, progress)? {
            Some(added) => {
                report.rows = checker.rows;
                report.added = added;
                report.written = true;
                progress.finish();
                let rejected = rejected_rows(&mut report, header_row, checker.problems);
                return Ok(Imported { report, rejected });
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
        for row in rows.by_ref() {
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
            let elsewhere = match by.within() {
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
                let mut e = audit.clone().object(pid.0).detail(format!("row={row}"));
                e.object_kind = "person".into();
                e.result = AuditResult::Denied;
                out_of_reach.push(e);
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
        progress.finish();
        let rejected = rejected_rows(&mut report, plan.header_row, plan.problems);
        return Ok(Imported { report, rejected });
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
    if write {
        let counts = write_people(store, by, source, opts, &plan, audit, progress)?;
        report.added = counts.0;
        report.updated = counts.1;
        report.unchanged = counts.2;
        report.written = true;
    }
    progress.finish();
    let rejected = rejected_rows(&mut report, plan.header_row, plan.problems);
    Ok(Imported { report, rejected })
}

/// Checks rows on one thread and writes them through the bulk path on this one, in a single
/// transaction. Returns how many were added, or None when it rolled back because of problems
/// (every row has still been checked): any problem without `skip_invalid`, or, with it, a row
/// already written that a later duplicate made invalid.
fn load_in_one_pass(
    store: &mut Store,
    by: Who<'_>,
    rows: SourceRows<'_>,
    checker: &mut RowChecker<'_>,
    opts: &ImportOptions,
    audit: &AuditEntry,
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
                for row in rows {
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
            let added = tx.add_many(&mut people, by.name(), opts.today, &mut || {
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
            tx.audit(audit.clone().detail(format!("added={added}")))?;
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

/// Writes the valid rows in one transaction: new people through the bulk path, then updates.
fn write_people(
    store: &mut Store,
    by: Who<'_>,
    source: &dyn TableSource,
    opts: &ImportOptions,
    plan: &Plan,
    audit: &AuditEntry,
    progress: &mut dyn Progress,
) -> Result<(u64, u64, u64), ImportError> {
    let header_row = plan.header_row;
    let mut table = source.rows()?;
    let map = find_header(&mut table, PERSON_COLUMNS)?
        .map
        .map_err(|_| changed_under_us(header_row))?;
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
                        failure
                            .borrow_mut()
                            .get_or_insert(changed_under_us(row.number).into());
                        return None;
                    }
                }
            }
            None
        });
        let added = tx.add_many(&mut people, by.name(), opts.today, &mut || {
            progress.advance(1)
        })?;
        if failure.borrow().is_some() {
            return Err(StoreError::Database("导入中止".into()));
        }
        let (mut updated, mut unchanged) = (0, 0);
        if !plan.updates.is_empty() {
            let mut result = Ok(());
            let r = for_each_row(source, header_row, &mut |row| {
                let Some(&pid) = plan.updates.get(&row.number) else {
                    return Ok(true);
                };
                if plan.problems.contains_key(&row.number) {
                    return Ok(true);
                }
                let data = person_from_row(&map, &row.cells, opts.today)
                    .map_err(|_| changed_under_us(row.number))?;
                match tx.update_person(
                    pid,
                    data,
                    by.name(),
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
        tx.audit(audit.clone().detail(format!(
            "added={added} updated={updated} unchanged={unchanged}"
        )))?;
        Ok((added, updated, unchanged))
    });
    match (result, failure.into_inner()) {
        (_, Some(f)) => Err(f),
        (Ok(v), None) => Ok(v),
        (Err(e), None) => Err(e.into()),
    }
}

/// Reads the table again and calls `f` for each data row after the header, in order, until it
/// says stop.
fn for_each_row(
    source: &dyn TableSource,
    header_row: u64,
    f: &mut dyn FnMut(SourceRow) -> Result<bool, ImportError>,
) -> Result<(), ImportError> {
    for row in source.rows()? {
        let row = row.map_err(|e: SourceError| ImportError::Source(e))?;
        if row.number <= header_row || row.is_blank() {
            continue;
        }
        if !f(row)? {
            break;
        }
    }
    Ok(())
}
