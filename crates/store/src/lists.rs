//! The people list as an account sees it: a page in the order asked for, the exact count,
//! and on SQLite the index each list walks (SQLite keeps no statistics on how many rows a name
//! prefix, a filter or an area holds, so the store decides; PostgreSQL's planner knows).
//! Listing shows masked rows only, so it writes no audit row; a refusal is audited.

use renkou_core::audit::AuditAction;
use renkou_core::{Action, Actor, Person, PersonId};

use crate::row::IndexHint;
use crate::{PersonFilter, Result, Store};

impl Store {
    /// One page of a masked list: no audit row (nothing sensitive is shown whole).
    pub fn persons_as(
        &mut self,
        actor: &Actor,
        filter: &PersonFilter,
        after: Option<PersonId>,
        limit: u32,
    ) -> Result<Vec<Person>> {
        self.require_list(actor, filter)?;
        let Some(f) = filter.within(&actor.scope) else {
            return Ok(Vec::new());
        };
        // The cursor is the last person shown; pages follow the area index's order.
        let cursor = match after {
            Some(id) => self
                .db
                .person(id)?
                .map(|p| (p.data.area_code.to_string(), id.0)),
            None => None,
        };
        let hint = self.index_hint(&f)?;
        self.db.persons_by_area(
            &f,
            hint,
            cursor.as_ref().map(|(a, i)| (a.as_str(), *i)),
            limit,
        )
    }

    /// One page of a sorted list, `offset` rows in (page numbers): no audit row, as above.
    pub fn persons_page_as(
        &mut self,
        actor: &Actor,
        filter: &PersonFilter,
        order: crate::PersonOrder,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<Person>> {
        self.require_list(actor, filter)?;
        let Some(f) = filter.within(&actor.scope) else {
            return Ok(Vec::new());
        };
        let hint = match order.key {
            crate::SortKey::Area => self.index_hint(&f)?,
            _ => self.sort_hint(&f)?,
        };
        self.db.persons_page(&f, hint, order, offset, limit)
    }

    /// How many people match, exactly: over a district or a centre from the tallies, over a
    /// committee or a group (or for a search) from the index that finds the matches.
    pub fn count_as(&mut self, actor: &Actor, filter: &PersonFilter) -> Result<u64> {
        self.require_list(actor, filter)?;
        match filter.within(&actor.scope) {
            Some(f) => {
                if let Some(n) = crate::tallies::count(&mut *self.db, &f)? {
                    return Ok(n);
                }
                // A name is counted from the name index, which holds every column a list
                // filters on: its cost is the name's matches, whatever the area.
                let hint = match &f.search {
                    Some(crate::PersonSearch::NamePrefix(_)) => IndexHint::Name,
                    _ => self.index_hint(&f)?,
                };
                self.db.count_matching(&f, hint)
            }
            None => Ok(0),
        }
    }

    /// Listing needs the list right; asking for the pregnant needs the health facts too (the
    /// same right that shows them on a record), and a refusal is audited.
    fn require_list(&mut self, actor: &Actor, filter: &PersonFilter) -> Result<()> {
        self.require(actor, Action::ListPersons, AuditAction::Access, "persons")?;
        if filter.pregnant {
            self.require(actor, Action::ViewHealth, AuditAction::Access, "health")?;
        }
        Ok(())
    }

    /// For a name search on SQLite: walk the name index when the name is rare in the whole
    /// register (a few thousand at most, sorted cheaply), the area index when it is common.
    fn index_hint(&mut self, f: &PersonFilter) -> Result<IndexHint> {
        if self.backend() != "sqlite" {
            return Ok(IndexHint::Planner);
        }
        let prefix = match &f.search {
            Some(crate::PersonSearch::NamePrefix(prefix)) => prefix,
            // A name with the end of an ID number: few match, found from the index of the
            // ID number's last four characters.
            Some(crate::PersonSearch::NameAndIdTail { .. }) => return Ok(IndexHint::Filters),
            Some(crate::PersonSearch::PhonePart(_)) => return Ok(IndexHint::Filters),
            Some(_) => return Ok(IndexHint::Planner),
            None => return self.filter_hint(f),
        };
        const RARE: u64 = 2_000;
        let name_only = PersonFilter {
            search: Some(crate::PersonSearch::NamePrefix(prefix.clone())),
            all_statuses: true,
            ..PersonFilter::default()
        };
        let n = self
            .db
            .count_persons_capped(&name_only, RARE + 1, IndexHint::Name)?;
        Ok(if n <= RARE {
            IndexHint::Name
        } else {
            IndexHint::Area
        })
    }

    /// For a list sorted by another column than the area on SQLite: a small area's people are
    /// read from the area index and sorted; over a large one the sort column's index (or a
    /// rare filter's) is walked instead, and the first page comes without sorting the city.
    fn sort_hint(&mut self, f: &PersonFilter) -> Result<IndexHint> {
        if self.backend() != "sqlite" {
            return Ok(IndexHint::Planner);
        }
        const SMALL: u64 = 20_000;
        let area_only = PersonFilter {
            area: f.area.clone(),
            all_statuses: true,
            ..PersonFilter::default()
        };
        let n = match crate::tallies::count(&mut *self.db, &area_only)? {
            Some(n) => n,
            None => self
                .db
                .count_persons_capped(&area_only, SMALL + 1, IndexHint::Area)?,
        };
        Ok(if n <= SMALL {
            IndexHint::Area
        } else {
            IndexHint::Filters
        })
    }

    /// For a list narrowed by a filter with an index of its own (a marital status, a population
    /// type, an age band, the pregnant): walk that index when the filter is rare in the whole
    /// register, the area index when matches are dense enough to fill a page quickly.
    fn filter_hint(&mut self, f: &PersonFilter) -> Result<IndexHint> {
        // The pregnant have an index of their own in area order (a few thousand a city).
        if f.pregnant {
            return Ok(IndexHint::Area);
        }
        let indexed = f.marital_status.is_some()
            || f.population_type.is_some()
            || f.born_from.is_some()
            || f.born_to.is_some();
        if !indexed {
            return Ok(IndexHint::Planner);
        }
        const RARE: u64 = 5_000;
        let anywhere = PersonFilter {
            area: None,
            ..f.clone()
        };
        // The tallies know at once; probing the filter's index took 60 ms for a dense one.
        let n = match crate::tallies::count(&mut *self.db, &anywhere)? {
            Some(n) => n,
            None => self
                .db
                .count_persons_capped(&anywhere, RARE + 1, IndexHint::Filters)?,
        };
        Ok(if n <= RARE {
            IndexHint::Filters
        } else {
            IndexHint::Area
        })
    }
}
