//! The areas file: `code,name` rows, the city's divisions down to the resident groups.

use std::collections::{HashMap, HashSet};

use renkou_core::audit::{AuditAction, AuditResult};
use renkou_core::import::{Imported, Progress, RowProblem, TableSource};
use renkou_core::person::FieldError;
use renkou_core::record::AREA_COLUMNS;
use renkou_core::{Action, Area, AreaCode};

use super::{ImportError, Opened, locate, open_with_header, rejected_rows};
use crate::Store;
use crate::door::Who;

impl Store {
    /// `renkou areas import` and the system administrator's areas file: `code,name` rows;
    /// parents must exist or be in the same file. An account's areas must lie in its own; the
    /// audit row is written with the areas.
    pub fn import_areas(
        &mut self,
        by: Who<'_>,
        source: &dyn TableSource,
        progress: &mut dyn Progress,
    ) -> Result<Imported, ImportError> {
        self.may_import(by, Action::ManageAreas, AuditAction::AreaChange)?;
        import_areas(self, by, source, progress)
    }
}

fn import_areas(
    store: &mut Store,
    by: Who<'_>,
    source: &dyn TableSource,
    progress: &mut dyn Progress,
) -> Result<Imported, ImportError> {
    let Opened {
        mut rows,
        mut report,
        header_row,
        headers,
        map,
    } = match open_with_header(source, AREA_COLUMNS)? {
        Ok(opened) => opened,
        Err(bad_header) => {
            return Ok(Imported {
                report: bad_header,
                ..Default::default()
            });
        }
    };
    let within = by.within();
    progress.phase("检查", None);
    let mut areas: Vec<(u64, Area)> = Vec::new();
    let mut problems: HashMap<u64, Vec<RowProblem>> = HashMap::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in rows.by_ref() {
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
    if problems.is_empty() {
        let list: Vec<Area> = areas.into_iter().map(|(_, a)| a).collect();
        report.added = list
            .iter()
            .filter(|a| !existing.contains(a.code.as_str()))
            .count() as u64;
        report.updated = list.len() as u64 - report.added;
        let audit = by.entry(AuditAction::AreaChange, "file", AuditResult::Ok);
        store.upsert_areas_audited(&list, Some(audit))?;
        report.written = true;
    }
    progress.finish();
    let rejected = rejected_rows(&mut report, header_row, problems);
    Ok(Imported { report, rejected })
}
