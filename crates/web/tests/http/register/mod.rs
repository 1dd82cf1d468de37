//! The register through HTTP, as staff and API clients notice it: the audit trail behind every
//! view and change (and the chain that exposes tampering), search, filters and paging with
//! masked numbers, validation errors by field, the OpenAPI document, and the pages.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::common::*;
use axum::http::{StatusCode, header};
use jiff::civil::date;
use renkou_core::{Role, Sex};
use renkou_store::{AuditCheck, AuditFilter, PersonFilter};
use serde_json::{Value, json};

mod audit;
mod forms;
mod lists;
mod openapi;
mod pages;
mod search;
mod stats;
mod uploads;
mod validation;

/// A committee's people for searching and filtering, and one of the next committee's.
struct Town {
    zhang_wei: Added,
    zhang_min: Added,
    li_na: Added,
    wang_fang: Added,
    liu_yang: Added,
    chen_jing: Added,
    /// In the sibling committee K2: never in K1's answers.
    zhang_qiang: Added,
}

impl Town {
    fn mine(&self) -> [&Added; 6] {
        [
            &self.zhang_wei,
            &self.zhang_min,
            &self.li_na,
            &self.wang_fang,
            &self.liu_yang,
            &self.chen_jing,
        ]
    }
}

/// The town, and a committee officer of K1 ("li.ming") to look at it.
fn town(app: &TestApp) -> Town {
    app.add_account("li.ming", Role::CommitteeOfficer, K1);
    let toddler_born = days_ago(2 * 365 + 40);
    Town {
        zhang_wei: app.add(
            app.person("张伟", Sex::Male, date(1990, 1, 15), K1)
                .married(),
        ),
        zhang_min: app.add(
            app.person("张敏", Sex::Female, date(1992, 5, 20), K1)
                .married(),
        ),
        li_na: app.add(
            app.person("李娜", Sex::Female, date(1999, 8, 8), K1)
                .migrant_in(),
        ),
        wang_fang: app.add(
            app.person("王芳", Sex::Female, date(1960, 2, 2), K1)
                .set("marital_status", "30"),
        ),
        liu_yang: app.add(
            app.person("刘洋", Sex::Male, toddler_born, K1)
                .set("relation", "20"),
        ),
        chen_jing: app.add(app.person("陈静", Sex::Female, date(2010, 6, 1), G1)),
        zhang_qiang: app.add(app.person("张强", Sex::Male, date(1994, 8, 8), K2)),
    }
}

fn names(res: &Resp) -> BTreeSet<String> {
    res.json()["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page of people: {res}"))
        .iter()
        .map(|p| p["name"].as_str().expect("a name").to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// 110105********0123: the first six and the last four.
fn masked(id_number: &str) -> String {
    format!("{}********{}", &id_number[..6], &id_number[14..])
}

fn count(app: &TestApp) -> u64 {
    app.with_db(|s| {
        s.count_persons(&PersonFilter {
            all_statuses: true,
            ..Default::default()
        })
    })
    .unwrap()
}
