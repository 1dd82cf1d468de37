//! PostgreSQL: the reference (`psql \copy`) and renkou's import, each into a fresh database
//! the benchmark creates and drops on the server it is given.

use std::fs;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::import::{Files, Outcome, create_table_sql, renkou_import, unique_index_sql};
use super::measure::{Measured, run_measured, tool_version};

/// Creates two fresh databases on the server (the reference's `persons` table and renkou's
/// would clash), measures both, and returns the databases to drop.
pub(super) fn postgres_backend(files: &Files, base: &str) -> (Outcome, Vec<String>) {
    let pid = std::process::id();
    let (ref_db, app_db) = (
        format!("renkou_bench_{pid}_ref"),
        format!("renkou_bench_{pid}"),
    );
    let mut outcome = Outcome {
        backend: "PostgreSQL",
        reference: Err("not run".into()),
        renkou: Err("not run".into()),
        renkou_db: None,
        counted: None,
    };
    if tool_version("psql").is_none() {
        let why = "psql not found on PATH: PostgreSQL skipped (it also creates the databases)"
            .to_string();
        outcome.reference = Err(why.clone());
        outcome.renkou = Err(why);
        return (outcome, Vec::new());
    }
    let mut created = Vec::new();
    for db in [&ref_db, &app_db] {
        let made = psql(base, &format!("DROP DATABASE IF EXISTS {db}"))
            .and_then(|_| psql(base, &format!("CREATE DATABASE {db}")));
        match made {
            Ok(_) => created.push(db.clone()),
            Err(e) => {
                outcome.reference = Err(format!("{e:#}"));
                outcome.renkou = Err("databases could not be created".into());
                return (outcome, created);
            }
        }
    }
    println!("PostgreSQL: reference (psql \\copy + unique index) …");
    outcome.reference = with_database(base, &ref_db)
        .and_then(|url| pg_reference(files, &url))
        .map_err(|e| format!("{e:#}"));
    println!("PostgreSQL: renkou persons import …");
    match with_database(base, &app_db) {
        Ok(url) => {
            outcome.renkou = renkou_import(files, &url, "pg").map_err(|e| format!("{e:#}"));
            outcome.renkou_db = Some(url);
        }
        Err(e) => outcome.renkou = Err(format!("{e:#}")),
    }
    (outcome, created)
}

/// One psql process running a script: create the table, `\copy` the file, build the index.
fn pg_reference(files: &Files, url: &str) -> Result<Measured> {
    let path = files.people.display().to_string().replace('\'', "''");
    let script = format!(
        "{};\n\\copy persons FROM '{path}' WITH (FORMAT csv, HEADER true)\n{};\n",
        create_table_sql(),
        unique_index_sql()
    );
    let script_path = files.dir.join("reference.sql");
    fs::write(&script_path, script)?;
    let mut cmd = psql_command(url);
    cmd.arg("-f").arg(&script_path);
    run_measured(&mut cmd, &files.dir.join("pg-reference.log"))
}

/// psql without the user's .psqlrc, stopping at the first error, talking UTF-8 whatever the
/// locale (the column names are Chinese).
fn psql_command(url: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.env("PGCLIENTENCODING", "UTF8")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
    cmd
}

/// Runs one statement, untimed; its unaligned output.
pub(super) fn psql(url: &str, sql: &str) -> Result<String> {
    let out = psql_command(url)
        .args(["-A", "-t", "-c", sql])
        .output()
        .context("psql")?;
    if !out.status.success() {
        bail!(
            "psql: {}: {}",
            sql,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub(super) fn drop_databases(base: &str, dbs: &[String]) {
    for db in dbs {
        if let Err(e) = psql(base, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")) {
            eprintln!("could not drop {db}: {e:#}");
        }
    }
}

/// The same server URL with another database: postgres://u@h:5432/postgres?x=y → …/NAME?x=y.
fn with_database(url: &str, name: &str) -> Result<String> {
    let Some(scheme_end) = url.find("://") else {
        bail!("--pg 应为 postgres://用户@主机:端口/数据库 形式的 URL");
    };
    let (main, query) = match url.find('?') {
        Some(q) => url.split_at(q),
        None => (url, ""),
    };
    let authority_end = main[scheme_end + 3..]
        .find('/')
        .map_or(main.len(), |i| scheme_end + 3 + i);
    Ok(format!("{}/{name}{query}", &main[..authority_end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_swap_the_database() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x").unwrap(),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x").unwrap(),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h", "x").unwrap(),
            "postgres://u@h/x"
        );
    }
}
