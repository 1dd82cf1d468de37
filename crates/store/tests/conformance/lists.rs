//! The people list's query shapes (issue 11) on every backend: a name with the ID number's last
//! digits, part of a phone number, the sort orders with offset pages, exact counts, and the
//! pregnant filter only for accounts that see health data.

use renkou_core::*;
use renkou_store::{PersonFilter, PersonOrder, PersonSearch, SortKey, Store, StoreError};

use crate::helpers::*;

fn found(s: &mut Store, actor: &Actor, text: &str) -> Vec<PersonId> {
    let filter = PersonFilter {
        search: PersonSearch::parse(text),
        ..Default::default()
    };
    let mut ids: Vec<PersonId> = s
        .persons_page_as(actor, &filter, PersonOrder::default(), 0, 100)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    ids.sort();
    assert_eq!(
        s.count_as(actor, &filter).unwrap(),
        ids.len() as u64,
        "{text}"
    );
    ids
}

#[test]
fn a_name_with_the_last_digits_and_part_of_a_phone_find_people_in_reach() {
    each_backend(|s| {
        let p = town(s);
        let centre = staff(s, "centre", Role::Centre, CENTRE);
        let id_of = |s: &mut Store, id| {
            s.person(id)
                .unwrap()
                .unwrap()
                .data
                .id_number
                .unwrap()
                .to_string()
        };
        let man = id_of(s, p.a_man);
        assert!(matches!(
            PersonSearch::parse(&format!("王 {}", &man[14..])),
            Some(PersonSearch::NameAndIdTail { .. })
        ));
        assert_eq!(found(s, &centre, &format!("王 {}", &man[14..])), [p.a_man]);
        assert_eq!(
            found(s, &centre, &format!("{} 王建", &man[12..])),
            [p.a_man]
        );
        assert!(found(s, &centre, &format!("李 {}", &man[14..])).is_empty());
        // The last four digits of a phone, its first six.
        assert_eq!(found(s, &centre, "0001"), [p.a_woman]);
        assert_eq!(found(s, &centre, "00005"), [p.b_migrant]);
        let all = found(s, &centre, "139000");
        assert!(all.len() >= 6, "{all:?}");
        assert!(!all.contains(&p.elsewhere), "only people in reach");
    });
}

#[test]
fn lists_sort_by_each_column_and_page_by_offset() {
    each_backend(|s| {
        let _p = town(s);
        let centre = staff(s, "centre", Role::Centre, CENTRE);
        let everyone = PersonFilter::default();
        let n = s.count_as(&centre, &everyone).unwrap();
        for key in [
            SortKey::Area,
            SortKey::Name,
            SortKey::BirthDate,
            SortKey::Updated,
        ] {
            for descending in [false, true] {
                let order = PersonOrder { key, descending };
                let whole = s
                    .persons_page_as(&centre, &everyone, order, 0, 100)
                    .unwrap();
                assert_eq!(whole.len() as u64, n);
                let value = |p: &Person| match key {
                    SortKey::Area => p.data.area_code.to_string(),
                    SortKey::Name => p.data.name.as_str().to_string(),
                    SortKey::BirthDate => p.data.birth_date.to_string(),
                    SortKey::Updated => String::new(),
                };
                for pair in whole.windows(2) {
                    let (a, b) = (value(&pair[0]), value(&pair[1]));
                    let in_order = if descending { a >= b } else { a <= b };
                    assert!(in_order, "{key:?} {descending}: {a} then {b}");
                }
                // Pages of two, one after another, are the whole list once.
                let mut paged = Vec::new();
                for page in 0..n.div_ceil(2) {
                    paged.extend(
                        s.persons_page_as(&centre, &everyone, order, page * 2, 2)
                            .unwrap()
                            .into_iter()
                            .map(|p| p.id),
                    );
                }
                let ids: Vec<PersonId> = whole.iter().map(|p| p.id).collect();
                assert_eq!(paged, ids, "{key:?} {descending}");
            }
        }
    });
}

#[test]
fn only_accounts_that_see_health_data_filter_the_pregnant() {
    each_backend(|s| {
        let p = town(s);
        let centre = staff(s, "centre", Role::Centre, CENTRE);
        let coordinator = staff(s, "coordinator", Role::MigrantCoordinator, CENTRE);
        s.record_event_as(&centre, p.a_woman, ev(EventKind::Pregnancy, TODAY), TODAY)
            .unwrap();
        let pregnant = PersonFilter {
            pregnant: true,
            ..Default::default()
        };
        assert_eq!(s.count_as(&centre, &pregnant).unwrap(), 1);
        let list = s
            .persons_page_as(&centre, &pregnant, PersonOrder::default(), 0, 10)
            .unwrap();
        assert_eq!(list.iter().map(|p| p.id).collect::<Vec<_>>(), [p.a_woman]);
        assert!(matches!(
            s.count_as(&coordinator, &pregnant),
            Err(StoreError::Denied(_))
        ));
        assert!(matches!(
            s.persons_page_as(&coordinator, &pregnant, PersonOrder::default(), 0, 10),
            Err(StoreError::Denied(_))
        ));
    });
}
