//! The area tree: the district, its community service centres, their residents' committees
//! and each committee's resident groups.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use renkou_core::{Area, AreaCode};

use super::names::{CENTRES, CHINESE_NUMERALS, DISTRICT, STREETS};

pub struct Committee {
    pub(super) streets: [&'static str; 3],
}

pub struct City {
    pub areas: Vec<Area>,
    pub committees: Vec<Committee>,
    /// Resident groups with the index of their committee.
    pub groups: Vec<(AreaCode, usize)>,
}

impl City {
    pub fn new(rng: &mut ChaCha8Rng) -> City {
        let area = |code: &str, name: &str| Area {
            code: AreaCode::parse(code).expect("demo area codes are valid"),
            name: name.to_string(),
        };
        let (district, district_name) = DISTRICT;
        let mut city = City {
            areas: vec![area(district, district_name)],
            committees: Vec::new(),
            groups: Vec::new(),
        };
        for (c, (centre_name, committees)) in CENTRES.iter().enumerate() {
            let centre = format!("{district}{:03}", c + 1);
            city.areas.push(area(&centre, centre_name));
            for (k, committee_name) in committees.iter().enumerate() {
                let committee = format!("{centre}{:03}", k + 1);
                city.areas.push(area(&committee, committee_name));
                let index = city.committees.len();
                // Two streets of its own and one shared with a neighbour.
                let n = STREETS.len();
                city.committees.push(Committee {
                    streets: [
                        STREETS[(2 * index) % n],
                        STREETS[(2 * index + 1) % n],
                        STREETS[24 + index % (n - 24)],
                    ],
                });
                let groups = rng.random_range(4..=8usize);
                for (g, numeral) in CHINESE_NUMERALS.iter().enumerate().take(groups) {
                    let code = format!("{committee}{:03}", g + 1);
                    let group = area(&code, &format!("第{numeral}居民小组"));
                    city.groups.push((group.code.clone(), index));
                    city.areas.push(group);
                }
            }
        }
        city
    }
}
