//! The people, generated household by household as the store (or a file) asks for them.

use std::collections::{HashSet, VecDeque};

use jiff::civil::Date;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use renkou_core::dates::age_on;
use renkou_core::{
    AreaCode, Ethnicity, HouseholdNo, IdNumber, MaritalStatus, PersonData, Relation, Sex,
};

use super::city::City;
use super::names::ORIGINS;
use super::person::{ETHNICITIES, draw_surname};
use super::storylines::Pools;
use super::{add_days, choose, pick, random_sex, weighted, years};

/// Share of households that came from elsewhere (流入). Their households are larger and
/// younger than residents', so this gives roughly a quarter of the people.
const MIGRANT_HOUSEHOLDS: f64 = 0.25;

/// A person about to be written, with what the event history needs to know about their family.
pub(super) struct Member {
    pub(super) data: PersonData,
    /// The person's own surname, and the one their children take (a wife's children take
    /// her husband's).
    pub(super) surname: &'static str,
    pub(super) family_surname: &'static str,
    /// How many of their children live in the household, and when the youngest was born.
    pub(super) children: u8,
    pub(super) youngest_child: Option<Date>,
    pub(super) spouse: Option<IdNumber>,
    /// An unmarried adult child or a young single or couple: the ones who go away to work.
    pub(super) may_leave: bool,
}

/// Where a household lives and who it is.
pub(super) struct Home {
    pub(super) no: HouseholdNo,
    pub(super) area: AreaCode,
    pub(super) address: String,
    pub(super) migrant: bool,
    pub(super) origin: (&'static str, &'static str),
    pub(super) ethnicity: Ethnicity,
}

#[derive(Clone, Copy)]
enum ResidentKind {
    ElderlySingle,
    ElderlyCouple,
    YoungSingle,
    YoungCouple,
    Nuclear,
    ThreeGenerations,
    AdultChild,
    SingleParent,
    SonsFamily,
}

/// Urban households: many couples with one child, many empty nests, some three generations.
const RESIDENT_KINDS: &[(ResidentKind, u32)] = &[
    (ResidentKind::ElderlySingle, 8),
    (ResidentKind::ElderlyCouple, 17),
    (ResidentKind::YoungSingle, 9),
    (ResidentKind::YoungCouple, 6),
    (ResidentKind::Nuclear, 28),
    (ResidentKind::ThreeGenerations, 11),
    (ResidentKind::AdultChild, 13),
    (ResidentKind::SingleParent, 4),
    (ResidentKind::SonsFamily, 6),
];

#[derive(Clone, Copy)]
enum MigrantKind {
    Single,
    Couple,
    Family,
    FamilyWithGrandparent,
}

/// Migrants: young workers, couples whose children stayed at home, families, and grandparents
/// who came along to look after the children (随迁老人).
const MIGRANT_KINDS: &[(MigrantKind, u32)] = &[
    (MigrantKind::Single, 30),
    (MigrantKind::Couple, 20),
    (MigrantKind::Family, 38),
    (MigrantKind::FamilyWithGrandparent, 12),
];

/// How many children a couple has: the one-child policy shaped the cities until 2015, rural
/// families (most migrants) had more.
pub(super) fn children_wanted(rng: &mut ChaCha8Rng, mother_born: i16, migrant: bool) -> u8 {
    let table: &[(u8, u32)] = if migrant {
        &[(1, 45), (2, 45), (3, 10)]
    } else if mother_born < 1985 {
        &[(1, 80), (2, 20)]
    } else {
        &[(1, 55), (2, 40), (3, 5)]
    };
    weighted(rng, table)
}

pub(super) fn son_or_daughter(sex: Sex) -> Relation {
    match sex {
        Sex::Male => Relation::Son,
        Sex::Female => Relation::Daughter,
    }
}

pub(super) fn grandchild(sex: Sex) -> Relation {
    match sex {
        Sex::Male => Relation::Grandson,
        Sex::Female => Relation::Granddaughter,
    }
}

/// The people of a city: `persons` of them, drawn household by household as of `today` from
/// the generator that drew the city. Each person drawn may be given a storyline for
/// [`People::plan_events`].
pub struct People<'c> {
    pub(super) city: &'c City,
    pub(super) rng: ChaCha8Rng,
    pub(super) today: Date,
    pub(super) remaining: u64,
    pub(super) queue: VecDeque<Member>,
    /// ID numbers handed out, packed as address code, birth date and sequence number.
    pub(super) used_ids: HashSet<u64>,
    /// Households numbered so far in each committee.
    pub(super) numbered: Vec<u32>,
    pub(super) households: u64,
    pub(super) pools: Pools,
}

impl Iterator for People<'_> {
    type Item = PersonData;

    fn next(&mut self) -> Option<PersonData> {
        if self.remaining == 0 {
            return None;
        }
        while self.queue.is_empty() {
            self.household();
        }
        let member = self.queue.pop_front()?;
        self.remaining -= 1;
        self.pick_storyline(&member);
        Some(member.data)
    }
}

impl<'c> People<'c> {
    pub fn new(city: &'c City, rng: ChaCha8Rng, today: Date, persons: u64) -> Self {
        People {
            city,
            rng,
            today,
            remaining: persons,
            queue: VecDeque::new(),
            used_ids: HashSet::new(),
            numbered: vec![0; city.committees.len()],
            households: 0,
            pools: Pools::default(),
        }
    }

    /// How many households have been drawn.
    pub fn households(&self) -> u64 {
        self.households
    }

    pub(super) fn age(&self, birth: Date) -> i32 {
        age_on(birth, self.today)
    }

    /// A birth date for someone aged `lo..=hi` today.
    pub(super) fn born_aged(&mut self, lo: i32, hi: i32) -> Date {
        let days = self.rng.random_range(years(lo) + 1..years(hi + 1) - 1);
        add_days(self.today, -days)
    }

    /// A date `lo..=hi` years after `d` (before it when negative), to space out a family.
    pub(super) fn years_after(&mut self, d: Date, lo: i32, hi: i32) -> Date {
        add_days(d, self.rng.random_range(years(lo)..=years(hi)))
    }

    pub(super) fn household(&mut self) {
        self.households += 1;
        let migrant = self.rng.random_bool(MIGRANT_HOUSEHOLDS);
        let home = self.home(migrant);
        let mut members = if migrant {
            let kind = weighted(&mut self.rng, MIGRANT_KINDS);
            self.migrant_household(&home, kind)
        } else {
            let kind = weighted(&mut self.rng, RESIDENT_KINDS);
            self.resident_household(&home, kind)
        };
        if migrant {
            self.set_arrival(&mut members);
        } else {
            self.send_some_away(&mut members);
        }
        self.queue.extend(members);
    }

    pub(super) fn home(&mut self, migrant: bool) -> Home {
        let groups = &self.city.groups;
        let (area, committee) = groups[self.rng.random_range(0..groups.len())].clone();
        let street = pick(&mut self.rng, &self.city.committees[committee].streets);
        self.numbered[committee] += 1;
        let no = format!("H{}{:06}", &area.as_str()[6..12], self.numbered[committee]);
        let number = self.rng.random_range(1..=260);
        let address = if self.rng.random_bool(0.1) {
            format!("{street}{number}号") // an old single-storey house
        } else {
            let building = self.rng.random_range(1..=30);
            let unit = self.rng.random_range(1..=4);
            let floor = self.rng.random_range(1..=18);
            let room = self.rng.random_range(1..=4);
            format!("{street}{number}号{building}栋{unit}单元{floor}{room:02}")
        };
        let &(code, place, _) = choose(&mut self.rng, ORIGINS, |o| o.2);
        // Minorities are rare here, but common among migrants from their home regions.
        let ethnicity = match (migrant, code) {
            (true, "640104") if self.rng.random_bool(0.6) => Ethnicity::Hui,
            (true, "650102") if self.rng.random_bool(0.6) => Ethnicity::Uyghur,
            (true, "150102") if self.rng.random_bool(0.4) => Ethnicity::Mongol,
            _ => weighted(&mut self.rng, ETHNICITIES),
        };
        Home {
            no: HouseholdNo::parse(&no).expect("H and digits"),
            area,
            address,
            migrant,
            origin: (code, place),
            ethnicity,
        }
    }

    fn resident_household(&mut self, home: &Home, kind: ResidentKind) -> Vec<Member> {
        use MaritalStatus as M;
        use ResidentKind as K;
        match kind {
            K::ElderlySingle => {
                let sex = random_sex(&mut self.rng, 0.35);
                let birth = self.born_aged(70, 94);
                let marital = weighted(
                    &mut self.rng,
                    &[(M::Widowed, 88), (M::Divorced, 9), (M::Unmarried, 3)],
                );
                vec![self.single(home, sex, birth, marital)]
            }
            K::ElderlyCouple => self.couple(home, 58, 86),
            K::YoungSingle => {
                let sex = random_sex(&mut self.rng, 0.55);
                let birth = self.born_aged(22, 40);
                let marital = if self.age(birth) >= 30 && self.rng.random_bool(0.2) {
                    M::Divorced
                } else {
                    M::Unmarried
                };
                let mut m = self.single(home, sex, birth, marital);
                m.may_leave = marital == M::Unmarried;
                vec![m]
            }
            K::YoungCouple => {
                let mut family = self.couple(home, 24, 35);
                family.iter_mut().for_each(|m| m.may_leave = true);
                family
            }
            K::Nuclear => {
                let mut family = self.couple(home, 27, 55);
                self.add_children(home, &mut family, (22, 31), son_or_daughter);
                family
            }
            K::ThreeGenerations => {
                let mut family = self.couple(home, 30, 52);
                self.add_children(home, &mut family, (22, 31), son_or_daughter);
                self.add_parents(home, &mut family, false);
                family
            }
            K::AdultChild => {
                let mut family = self.couple(home, 48, 62);
                self.add_children(home, &mut family, (22, 30), son_or_daughter);
                family
            }
            K::SingleParent => {
                let sex = random_sex(&mut self.rng, 0.25);
                let birth = self.born_aged(30, 50);
                let marital = weighted(&mut self.rng, &[(M::Divorced, 70), (M::Widowed, 30)]);
                let mut family = vec![self.single(home, sex, birth, marital)];
                self.add_children(home, &mut family, (23, 32), son_or_daughter);
                family
            }
            K::SonsFamily => self.sons_family(home),
        }
    }

    fn migrant_household(&mut self, home: &Home, kind: MigrantKind) -> Vec<Member> {
        use MaritalStatus as M;
        match kind {
            MigrantKind::Single => {
                let sex = random_sex(&mut self.rng, 0.6);
                let birth = self.born_aged(18, 45);
                // A married worker whose spouse stayed at home is single in this household.
                let marital = if self.age(birth) < 25 {
                    M::Unmarried
                } else {
                    weighted(
                        &mut self.rng,
                        &[
                            (M::Unmarried, 55),
                            (M::FirstMarriage, 35),
                            (M::Divorced, 10),
                        ],
                    )
                };
                vec![self.single(home, sex, birth, marital)]
            }
            // Their children are with the grandparents at home (留守儿童).
            MigrantKind::Couple => self.couple(home, 22, 45),
            MigrantKind::Family => {
                let mut family = self.couple(home, 25, 48);
                self.add_children(home, &mut family, (21, 29), son_or_daughter);
                family
            }
            MigrantKind::FamilyWithGrandparent => {
                let mut family = self.couple(home, 25, 42);
                self.add_children(home, &mut family, (21, 29), son_or_daughter);
                self.add_parents(home, &mut family, true);
                family
            }
        }
    }

    /// A household head without a spouse in the household.
    pub(super) fn single(
        &mut self,
        home: &Home,
        sex: Sex,
        birth: Date,
        marital: MaritalStatus,
    ) -> Member {
        let surname = draw_surname(&mut self.rng, home.ethnicity);
        self.member(
            home,
            sex,
            birth,
            Relation::Head,
            marital,
            surname,
            home.ethnicity,
        )
    }

    /// A married couple, the head first: usually the husband.
    pub(super) fn couple(&mut self, home: &Home, lo: i32, hi: i32) -> Vec<Member> {
        let husband_birth = self.born_aged(lo, hi);
        let mut wife_birth = self.years_after(husband_birth, -1, 5);
        if self.age(wife_birth) < 21 {
            wife_birth = husband_birth;
        }
        let male_head = self.rng.random_bool(0.85);
        let spouse = if self.rng.random_bool(0.9) {
            None
        } else {
            Some(Relation::Spouse)
        };
        let (husband_rel, wife_rel) = if male_head {
            (Relation::Head, spouse.unwrap_or(Relation::Wife))
        } else {
            (spouse.unwrap_or(Relation::Husband), Relation::Head)
        };
        let other_ethnicity = if home.ethnicity != Ethnicity::Han && self.rng.random_bool(0.6) {
            home.ethnicity
        } else {
            Ethnicity::Han
        };
        let (husband_eth, wife_eth) = if male_head {
            (home.ethnicity, other_ethnicity)
        } else {
            (other_ethnicity, home.ethnicity)
        };
        let his = draw_surname(&mut self.rng, husband_eth);
        let hers = draw_surname(&mut self.rng, wife_eth);
        let (m1, m2) = (self.married_status(), self.married_status());
        let mut husband = self.member(
            home,
            Sex::Male,
            husband_birth,
            husband_rel,
            m1,
            his,
            husband_eth,
        );
        let mut wife = self.member(home, Sex::Female, wife_birth, wife_rel, m2, hers, wife_eth);
        husband.spouse = wife.data.id_number;
        wife.spouse = husband.data.id_number;
        wife.family_surname = his;
        if male_head {
            vec![husband, wife]
        } else {
            vec![wife, husband]
        }
    }

    pub(super) fn married_status(&mut self) -> MaritalStatus {
        weighted(
            &mut self.rng,
            &[
                (MaritalStatus::FirstMarriage, 93),
                (MaritalStatus::Remarried, 5),
                (MaritalStatus::Married, 2),
            ],
        )
    }
}
