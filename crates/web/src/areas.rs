//! Area names for pages: people pick and read areas by name ("幸福社区居委会 第一居民小组"),
//! never by a 15-digit code. The area table is small (a city has some thousands of groups),
//! so it is kept in memory and read again a minute after it was loaded, or at once after an
//! area changes here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use renkou_core::{Area, AreaCode, AreaLevel};

use crate::error::AppError;
use crate::pool::Pool;

/// Every area's name by code.
#[derive(Debug, Default)]
pub struct AreaNames {
    names: HashMap<String, String>,
    /// All areas in code order (a parent before its children).
    ordered: Vec<Area>,
}

impl AreaNames {
    pub fn new(mut areas: Vec<Area>) -> AreaNames {
        areas.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        AreaNames {
            names: areas
                .iter()
                .map(|a| (a.code.to_string(), a.name.clone()))
                .collect(),
            ordered: areas,
        }
    }

    /// The area's own name, if the register knows it.
    pub fn name(&self, code: &AreaCode) -> Option<&str> {
        self.names.get(code.as_str()).map(String::as_str)
    }

    /// The name people read: a group with its committee ("幸福社区居委会 第一居民小组"), any
    /// other area by its own name; the code itself when the area is not in the table.
    pub fn label(&self, code: &AreaCode) -> String {
        let Some(own) = self.name(code) else {
            return code.to_string();
        };
        match (code.level(), code.parent()) {
            (AreaLevel::Group, Some(parent)) => match self.name(&parent) {
                Some(committee) => format!("{committee} {own}"),
                None => own.to_string(),
            },
            _ => own.to_string(),
        }
    }

    /// A code given as text (a list row's), by name; the text itself when it is no code.
    pub fn label_of(&self, code: &str) -> String {
        match AreaCode::parse(code) {
            Ok(c) => self.label(&c),
            Err(_) => code.to_string(),
        }
    }

    /// The areas within `top` (itself included), parents before children.
    pub fn within<'a>(&'a self, top: &'a AreaCode) -> impl Iterator<Item = &'a Area> + 'a {
        self.ordered.iter().filter(move |a| a.code.is_within(top))
    }
}

/// The loaded table and when it was loaded.
#[derive(Default)]
pub struct AreaNamesCache {
    slot: RwLock<Option<(Arc<AreaNames>, Instant)>>,
}

const FRESH_FOR: Duration = Duration::from_secs(60);

impl AreaNamesCache {
    pub async fn get(&self, pool: &Arc<Pool>) -> Result<Arc<AreaNames>, AppError> {
        if let Some((names, at)) = self.slot.read().expect("area names lock").as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return Ok(names.clone());
        }
        let areas = pool.run(|s| s.areas(None)).await?;
        let names = Arc::new(AreaNames::new(areas));
        *self.slot.write().expect("area names lock") = Some((names.clone(), Instant::now()));
        Ok(names)
    }

    /// After an area was added, renamed or imported.
    pub fn clear(&self) {
        *self.slot.write().expect("area names lock") = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(code: &str, name: &str) -> Area {
        Area {
            code: AreaCode::parse(code).unwrap(),
            name: name.to_string(),
        }
    }

    #[test]
    fn a_group_reads_with_its_committee_and_an_unknown_code_as_itself() {
        let names = AreaNames::new(vec![
            area("340705001001001", "第一居民小组"),
            area("340705001001", "幸福社区居委会"),
            area("340705001", "幸福社区服务中心"),
        ]);
        let group = AreaCode::parse("340705001001001").unwrap();
        assert_eq!(names.label(&group), "幸福社区居委会 第一居民小组");
        assert_eq!(names.label_of("340705001"), "幸福社区服务中心");
        assert_eq!(names.label_of("340705001009"), "340705001009");
        let top = AreaCode::parse("340705001001").unwrap();
        let within: Vec<_> = names.within(&top).map(|a| a.name.as_str()).collect();
        assert_eq!(within, ["幸福社区居委会", "第一居民小组"]);
    }
}
