//! The files `renkou bench import` imports: the area tree and the people of the synthetic city
//! `renkou demo` builds (see [`crate::population`]), in the import format, drawn as of a fixed
//! day so that the same seed and number of people always give the same files.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use clap::Args;
use jiff::civil::{Date, date};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use renkou_core::record::{PERSON_COLUMNS, person_to_row};
use renkou_core::{Person, PersonData, PersonId, PersonStatus};
use renkou_documents::TableWriter;

use crate::population::{City, People};

/// The day the city is drawn as of: ages, arrivals and departures are counted back from it.
const AS_OF: Date = date(2025, 12, 31);

#[derive(Args)]
pub(super) struct GenerateArgs {
    #[arg(long)]
    persons: u64,
    #[arg(long)]
    seed: u64,
    /// The areas file to write (区划代码,名称).
    #[arg(long)]
    areas: PathBuf,
    /// The people file to write, in PERSON_COLUMNS order with Chinese headers.
    #[arg(long)]
    people: PathBuf,
}

/// `renkou bench generate`, hidden: run by [`in_child`].
pub(super) fn generate(a: GenerateArgs) -> Result<ExitCode> {
    write_files(&a.areas, &a.people, a.persons, a.seed)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the files in a child process, `renkou bench generate`: the generator remembers
/// every ID number it has issued, and Linux carries the bench process's own peak memory over
/// into the children it measures (see `wait_measured`), so that memory stays out of the bench.
pub(super) fn in_child(areas: &Path, people: &Path, n: u64, seed: u64) -> Result<()> {
    let exe = std::env::current_exe().context("找不到 renkou 程序本身")?;
    let out = Command::new(exe)
        .args(["bench", "generate", "--persons", &n.to_string()])
        .args(["--seed", &seed.to_string()])
        .arg("--areas")
        .arg(areas)
        .arg("--people")
        .arg(people)
        .stdin(Stdio::null())
        .output()
        .context("starting renkou bench generate")?;
    if !out.status.success() {
        bail!(
            "renkou bench generate failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The city's areas, and its first `n` people who have an ID number: babies get theirs later,
/// and the reference's unique index needs one on every row.
fn write_files(areas: &Path, people: &Path, n: u64, seed: u64) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let city = City::new(&mut rng);
    let mut w = TableWriter::create(areas, &["区划代码", "名称"], &[], &[])?;
    for area in &city.areas {
        w.write_row(&[area.code.to_string(), area.name.clone()])?;
    }
    w.finish()?;

    // A census comes from the committees area by area: the people are written grouped by
    // their resident group, in code order, as the generator draws them within each (the
    // register's area and household indexes then receive their keys nearly in order, as
    // they do from a real file). Each group's rows wait in a temporary file meanwhile.
    let mut groups: BTreeMap<String, csv::Writer<std::fs::File>> = BTreeMap::new();
    for data in with_id_numbers(&city, rng, n) {
        let group = data.area_code.to_string();
        let w = match groups.entry(group) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(csv::Writer::from_writer(tempfile::tempfile()?)),
        };
        w.write_record(row(data))?;
    }
    let headers: Vec<&str> = PERSON_COLUMNS.iter().map(|c| c.zh).collect();
    let mut w = TableWriter::create(people, &headers, &[], &[])?;
    for (_, group) in groups {
        let mut file = group.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut rows = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(file);
        for record in rows.records() {
            let record = record?;
            let cells: Vec<String> = record.iter().map(str::to_string).collect();
            w.write_row(&cells)?;
        }
    }
    w.finish()?;
    Ok(())
}

fn with_id_numbers(city: &City, rng: ChaCha8Rng, n: u64) -> impl Iterator<Item = PersonData> {
    People::new(city, rng, AS_OF, u64::MAX)
        .filter(|d| d.id_number.is_some())
        .take(usize::try_from(n).unwrap_or(usize::MAX))
}

/// One row in PERSON_COLUMNS order, as `renkou persons export` writes it.
fn row(data: PersonData) -> Vec<String> {
    person_to_row(&Person {
        id: PersonId(0),
        data,
        status: PersonStatus::Active,
        death_date: None,
        spouse_id: None,
        mother_id: None,
        pregnant: false,
        contraception: None,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use renkou_core::record::{HeaderMap, person_from_row};

    #[test]
    fn generated_rows_pass_the_import_checks_and_ids_are_unique() {
        let headers: Vec<String> = PERSON_COLUMNS.iter().map(|c| c.zh.to_string()).collect();
        let map = HeaderMap::new(PERSON_COLUMNS, &headers).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(20261128);
        let city = City::new(&mut rng);
        let groups: HashSet<_> = city.groups.iter().map(|(code, _)| code.clone()).collect();
        let mut ids = HashSet::new();
        let mut kinds = HashMap::new();
        for data in with_id_numbers(&city, rng, 20_000) {
            let row = row(data);
            let p = person_from_row(&map, &row, date(2026, 11, 28))
                .unwrap_or_else(|e| panic!("{row:?}: {e:?}"));
            assert!(ids.insert(p.id_number.unwrap()));
            assert!(groups.contains(&p.area_code));
            *kinds.entry(row[10].clone()).or_insert(0u32) += 1;
        }
        assert_eq!(ids.len(), 20_000);
        let share = |k: &str| f64::from(kinds[k]) / ids.len() as f64;
        assert!((0.60..0.80).contains(&share("常住")), "{kinds:?}");
        assert!((0.15..0.35).contains(&share("流入")), "{kinds:?}");
        assert!((0.02..0.12).contains(&share("流出")), "{kinds:?}");
    }

    #[test]
    fn the_same_seed_writes_the_same_files() {
        let dir = tempfile::tempdir().unwrap();
        let files = |name: &str, seed| {
            let (a, p) = (
                dir.path().join(format!("{name}-a.csv")),
                dir.path().join(format!("{name}-p.csv")),
            );
            write_files(&a, &p, 500, seed).unwrap();
            (std::fs::read(a).unwrap(), std::fs::read(p).unwrap())
        };
        assert_eq!(files("one", 5), files("two", 5));
        assert_ne!(files("one", 5).1, files("three", 6).1);
    }
}
