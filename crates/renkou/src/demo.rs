//! `renkou demo`: a made-up but realistic city to try the register on.
//!
//! One district (铜官区), four community service centres, a dozen residents' committees and their
//! resident groups; households of residents and incoming migrants with a plausible age pyramid,
//! names, ID numbers, phones and addresses; then three years of life events (marriages,
//! pregnancies and births, contraception, moves, deaths, corrections) recorded through the same
//! rules a form would use. Everything is drawn from one seeded generator, so the same
//! `persons`, `seed` and `today` always give the same city. Then one account per role
//! ([`accounts`]) and a few certificates in every state ([`certificates`]).

mod accounts;
mod certificates;
mod names;

use std::collections::{HashSet, VecDeque};

use anyhow::{Context, bail};
use jiff::Span;
use jiff::civil::Date;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use renkou_core::dates::age_on;
use renkou_core::event::{ChildBirth, FieldChange};
use renkou_core::{
    Area, AreaCode, ContraceptionMethod, Education, Ethnicity, EventDetail, EventKind, HouseholdNo,
    IdNumber, MaritalStatus, NewEvent, PersonData, PersonName, Phone, Place, PopulationType,
    PregnancyOutcome, Relation, Sex,
};
use renkou_store::{PersonFilter, Store, StoreError, Tx};

use names::*;

pub use accounts::{DEMO_PASSWORD, demo_accounts};
pub use certificates::demo_certificates;

/// Who the demo's records and events say entered them.
const BY: &str = "demo";

/// Share of households that came from elsewhere (流入). Their households are larger and
/// younger than residents', so this gives roughly a quarter of the people.
const MIGRANT_HOUSEHOLDS: f64 = 0.25;

/// How much history the events cover.
const EVENT_YEARS: i64 = 3;

/// Chances that an eligible person gets a storyline in the event history, tuned so that the
/// whole history is about one event per 15–20 people (see `the_city_looks_like_a_city`).
/// Each person gets at most one storyline.
const P_GROOM: f64 = 0.40;
const P_BRIDE: f64 = 0.45;
const P_MOTHER: f64 = 0.14;
const P_CONTRACEPTION: f64 = 0.025;
const P_DEATH: f64 = 0.05;
const P_LEAVE: f64 = 0.008;
const P_MIGRANT_LEAVES: f64 = 0.012;
const P_RETURN: f64 = 0.03;
const P_CORRECTION: f64 = 0.002;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub areas: usize,
    pub centres: usize,
    pub committees: usize,
    pub groups: usize,
    /// Everyone written: the households, plus the children born in the event history.
    pub persons: u64,
    pub households: u64,
    /// Active migrants in and out once the history has been applied.
    pub migrants_in: u64,
    pub migrants_out: u64,
    /// Events recorded by the demo (not counting registrations and the spouse's mirrored ones).
    pub events: u64,
    pub births: u64,
}

/// Builds the demo city. `tick(n)` is called as people are written (n = how many since last
/// call), for a progress bar. The register must not hold any people yet.
pub fn build(
    store: &mut Store,
    persons: u64,
    seed: u64,
    today: Date,
    tick: &mut dyn FnMut(u64),
) -> anyhow::Result<DemoSummary> {
    Ok(build_counted(store, persons, seed, today, tick)?.0)
}

/// [`build`], also returning how many planned events the register refused.
fn build_counted(
    store: &mut Store,
    persons: u64,
    seed: u64,
    today: Date,
    tick: &mut dyn FnMut(u64),
) -> anyhow::Result<(DemoSummary, u64)> {
    let everyone = PersonFilter {
        all_statuses: true,
        ..PersonFilter::default()
    };
    if store.count_persons(&everyone)? > 0 {
        bail!("演示数据只能写入空的人口库：这个数据库里已经有人口记录");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let city = City::new(&mut rng);
    store
        .upsert_areas(&city.areas)
        .context("写入演示区划失败")?;

    let mut people = People::new(&city, rng, today, persons);
    let written = store
        .transaction(|tx| {
            let mut since = 0;
            let n = tx.add_many(&mut people, BY, today, &mut || {
                since += 1;
                if since == 1000 {
                    tick(since);
                    since = 0;
                }
            })?;
            tick(since);
            Ok(n)
        })
        .context("写入演示人口失败")?;

    let People {
        mut rng,
        pools,
        households,
        ..
    } = people;
    let plan = plan_events(&pools, &city, &mut rng, today);
    let counts = store
        .transaction(|tx| record_plan(tx, &plan, &city, today))
        .context("登记演示事件失败")?;

    let count = |store: &mut Store, t| {
        store.count_persons(&PersonFilter {
            population_type: Some(t),
            ..PersonFilter::default()
        })
    };
    let summary = DemoSummary {
        areas: city.areas.len(),
        centres: CENTRES.len(),
        committees: city.committees.len(),
        groups: city.groups.len(),
        persons: written + counts.births,
        households,
        migrants_in: count(store, PopulationType::MigrantIn)?,
        migrants_out: count(store, PopulationType::MigrantOut)?,
        events: counts.events,
        births: counts.births,
    };
    Ok((summary, counts.refused))
}

// ---------------------------------------------------------------------------------------------
// Small helpers over the random generator and dates.

fn add_days(d: Date, days: i64) -> Date {
    d.checked_add(Span::new().days(days))
        .expect("demo dates stay within jiff's range")
}

fn days_between(from: Date, to: Date) -> i64 {
    i64::from((to - from).get_days())
}

/// A day in `from..=to`, or None when the range is empty.
fn day_in(rng: &mut ChaCha8Rng, from: Date, to: Date) -> Option<Date> {
    let n = days_between(from, to);
    (n >= 0).then(|| add_days(from, rng.random_range(0..=n)))
}

/// Years as days, close enough for drawing ages.
fn years(y: i32) -> i64 {
    i64::from(y) * 36525 / 100
}

fn choose<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut r = rng.random_range(0..total);
    for item in items {
        let w = weight(item);
        if r < w {
            return item;
        }
        r -= w;
    }
    &items[items.len() - 1]
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    choose(rng, items, |(_, w)| *w).0
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn random_sex(rng: &mut ChaCha8Rng, p_male: f64) -> Sex {
    if rng.random_bool(p_male) {
        Sex::Male
    } else {
        Sex::Female
    }
}

fn draw_surname(rng: &mut ChaCha8Rng, ethnicity: Ethnicity) -> &'static str {
    if ethnicity == Ethnicity::Hui && rng.random_bool(0.7) {
        pick(rng, HUI_SURNAMES)
    } else {
        weighted(rng, SURNAMES)
    }
}

/// A name in the fashion of the year the person was born.
fn full_name(
    rng: &mut ChaCha8Rng,
    surname: &str,
    sex: Sex,
    born: i16,
    ethnicity: Ethnicity,
) -> PersonName {
    let name = if ethnicity == Ethnicity::Uyghur {
        let list = match sex {
            Sex::Male => UYGHUR_MALE,
            Sex::Female => UYGHUR_FEMALE,
        };
        pick(rng, list).to_string()
    } else {
        let era = ERAS
            .iter()
            .find(|e| born < e.until)
            .unwrap_or(&ERAS[ERAS.len() - 1]);
        let list = match sex {
            Sex::Male => era.male,
            Sex::Female => era.female,
        };
        let given = pick(rng, list);
        if rng.random_bool(0.004) {
            let rare = pick(rng, RARE_GIVEN);
            match given.chars().next() {
                Some(first) if rng.random_bool(0.5) => format!("{surname}{first}{rare}"),
                _ => format!("{surname}{rare}"),
            }
        } else {
            format!("{surname}{given}")
        }
    };
    PersonName::parse(&name).expect("demo names are valid")
}

// ---------------------------------------------------------------------------------------------
// The areas.

struct Committee {
    streets: [&'static str; 3],
}

struct City {
    areas: Vec<Area>,
    committees: Vec<Committee>,
    /// Resident groups with the index of their committee.
    groups: Vec<(AreaCode, usize)>,
}

impl City {
    fn new(rng: &mut ChaCha8Rng) -> City {
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

// ---------------------------------------------------------------------------------------------
// The people, generated household by household as the store asks for them.

/// A person about to be written, with what the event history needs to know about their family.
struct Member {
    data: PersonData,
    /// The person's own surname, and the one their children take (a wife's children take
    /// her husband's).
    surname: &'static str,
    family_surname: &'static str,
    /// How many of their children live in the household, and when the youngest was born.
    children: u8,
    youngest_child: Option<Date>,
    spouse: Option<IdNumber>,
    /// An unmarried adult child or a young single or couple: the ones who go away to work.
    may_leave: bool,
}

/// One person picked for a storyline in the event history.
#[derive(Clone)]
struct Candidate {
    id: IdNumber,
    family_surname: &'static str,
    children: u8,
    youngest_child: Option<Date>,
    spouse: Option<IdNumber>,
    age: i32,
}

#[derive(Clone, Copy)]
enum Storyline {
    Groom,
    Bride,
    Mother,
    Contraception,
    Death,
    Leaver,
    MigrantLeaving,
    Returner,
    Correction,
}

/// People picked for each kind of storyline; each person is in at most one.
#[derive(Default)]
struct Pools {
    grooms: Vec<Candidate>,
    brides: Vec<Candidate>,
    mothers: Vec<Candidate>,
    contraception: Vec<Candidate>,
    elderly: Vec<Candidate>,
    leavers: Vec<Candidate>,
    migrants_leaving: Vec<Candidate>,
    returners: Vec<Candidate>,
    corrections: Vec<Candidate>,
    /// Spouses of the people whose death is planned, kept out of other storylines.
    widowed: HashSet<IdNumber>,
}

impl Pools {
    fn get_mut(&mut self, s: Storyline) -> &mut Vec<Candidate> {
        match s {
            Storyline::Groom => &mut self.grooms,
            Storyline::Bride => &mut self.brides,
            Storyline::Mother => &mut self.mothers,
            Storyline::Contraception => &mut self.contraception,
            Storyline::Death => &mut self.elderly,
            Storyline::Leaver => &mut self.leavers,
            Storyline::MigrantLeaving => &mut self.migrants_leaving,
            Storyline::Returner => &mut self.returners,
            Storyline::Correction => &mut self.corrections,
        }
    }
}

/// Where a household lives and who it is.
struct Home {
    no: HouseholdNo,
    area: AreaCode,
    address: String,
    migrant: bool,
    origin: (&'static str, &'static str),
    ethnicity: Ethnicity,
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

const ETHNICITIES: &[(Ethnicity, u32)] = &[
    (Ethnicity::Han, 9860),
    (Ethnicity::Hui, 70),
    (Ethnicity::Manchu, 30),
    (Ethnicity::Zhuang, 10),
    (Ethnicity::Miao, 10),
    (Ethnicity::Tujia, 10),
    (Ethnicity::Mongol, 5),
    (Ethnicity::Uyghur, 5),
];

/// Education by birth cohort (before 1960, 1960s–70s, 1975–89, since 1990): each generation
/// went to school longer than the one before.
const EDUCATION: &[&[(Education, u32)]] = &[
    &[
        (Education::Primary, 35),
        (Education::JuniorHigh, 28),
        (Education::HighSchool, 14),
        (Education::Secondary, 6),
        (Education::College, 4),
        (Education::Bachelor, 3),
        (Education::Other, 10),
    ],
    &[
        (Education::Primary, 8),
        (Education::JuniorHigh, 35),
        (Education::HighSchool, 22),
        (Education::Secondary, 10),
        (Education::Technical, 6),
        (Education::College, 11),
        (Education::Bachelor, 7),
        (Education::Postgraduate, 1),
    ],
    &[
        (Education::Primary, 2),
        (Education::JuniorHigh, 22),
        (Education::HighSchool, 16),
        (Education::Secondary, 9),
        (Education::Technical, 5),
        (Education::College, 21),
        (Education::Bachelor, 22),
        (Education::Postgraduate, 3),
    ],
    &[
        (Education::JuniorHigh, 12),
        (Education::HighSchool, 14),
        (Education::Secondary, 8),
        (Education::Technical, 5),
        (Education::College, 26),
        (Education::Bachelor, 30),
        (Education::Postgraduate, 5),
    ],
];

/// How many children a couple has: the one-child policy shaped the cities until 2015, rural
/// families (most migrants) had more.
fn children_wanted(rng: &mut ChaCha8Rng, mother_born: i16, migrant: bool) -> u8 {
    let table: &[(u8, u32)] = if migrant {
        &[(1, 45), (2, 45), (3, 10)]
    } else if mother_born < 1985 {
        &[(1, 80), (2, 20)]
    } else {
        &[(1, 55), (2, 40), (3, 5)]
    };
    weighted(rng, table)
}

fn son_or_daughter(sex: Sex) -> Relation {
    match sex {
        Sex::Male => Relation::Son,
        Sex::Female => Relation::Daughter,
    }
}

fn grandchild(sex: Sex) -> Relation {
    match sex {
        Sex::Male => Relation::Grandson,
        Sex::Female => Relation::Granddaughter,
    }
}

struct People<'c> {
    city: &'c City,
    rng: ChaCha8Rng,
    today: Date,
    remaining: u64,
    queue: VecDeque<Member>,
    /// ID numbers handed out, packed as address code, birth date and sequence number.
    used_ids: HashSet<u64>,
    /// Households numbered so far in each committee.
    numbered: Vec<u32>,
    households: u64,
    pools: Pools,
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
    fn new(city: &'c City, rng: ChaCha8Rng, today: Date, persons: u64) -> Self {
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

    fn age(&self, birth: Date) -> i32 {
        age_on(birth, self.today)
    }

    /// A birth date for someone aged `lo..=hi` today.
    fn born_aged(&mut self, lo: i32, hi: i32) -> Date {
        let days = self.rng.random_range(years(lo) + 1..years(hi + 1) - 1);
        add_days(self.today, -days)
    }

    /// A date `lo..=hi` years after `d` (before it when negative), to space out a family.
    fn years_after(&mut self, d: Date, lo: i32, hi: i32) -> Date {
        add_days(d, self.rng.random_range(years(lo)..=years(hi)))
    }

    fn household(&mut self) {
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

    fn home(&mut self, migrant: bool) -> Home {
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
    fn single(&mut self, home: &Home, sex: Sex, birth: Date, marital: MaritalStatus) -> Member {
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
    fn couple(&mut self, home: &Home, lo: i32, hi: i32) -> Vec<Member> {
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

    fn married_status(&mut self) -> MaritalStatus {
        weighted(
            &mut self.rng,
            &[
                (MaritalStatus::FirstMarriage, 93),
                (MaritalStatus::Remarried, 5),
                (MaritalStatus::Married, 2),
            ],
        )
    }

    /// The mother of a family's children: the woman of the last couple in it, else its head.
    fn parents_of_children(family: &[Member]) -> Vec<usize> {
        match family.iter().rposition(|m| m.spouse.is_some()) {
            Some(i) => {
                let partner = family
                    .iter()
                    .position(|m| m.data.id_number == family[i].spouse);
                std::iter::once(i).chain(partner).collect()
            }
            None => vec![0],
        }
    }

    /// Children of the family's youngest couple (or single parent), spaced a few years apart.
    /// Births of the last three years are mostly left to the event history.
    fn add_children(
        &mut self,
        home: &Home,
        family: &mut Vec<Member>,
        first_at: (i32, i32),
        relation: fn(Sex) -> Relation,
    ) {
        let parents = Self::parents_of_children(family);
        let mother = parents
            .iter()
            .copied()
            .find(|&i| family[i].data.sex == Sex::Female)
            .unwrap_or(parents[0]);
        let (mother_birth, surname, ethnicity) = (
            family[mother].data.birth_date,
            family[mother].family_surname,
            family[0].data.ethnicity,
        );
        let wanted = children_wanted(&mut self.rng, mother_birth.year(), home.migrant);
        let recent = add_days(self.today, -years(EVENT_YEARS as i32));
        let mut born = self.years_after(mother_birth, first_at.0, first_at.1);
        let mut added = 0;
        let mut youngest = None;
        for n in 0..wanted {
            if n > 0 {
                born = self.years_after(born, 2, 8);
            }
            if born > self.today {
                break;
            }
            if born > recent && self.rng.random_bool(0.5) {
                continue;
            }
            let sex = random_sex(&mut self.rng, 0.52);
            let mut child = self.member(
                home,
                sex,
                born,
                relation(sex),
                MaritalStatus::Unmarried,
                surname,
                ethnicity,
            );
            child.may_leave = true;
            family.push(child);
            added += 1;
            youngest = Some(born);
        }
        for i in parents {
            family[i].children += added;
            family[i].youngest_child = family[i].youngest_child.max(youngest);
        }
    }

    /// One or both parents of the head (or of the spouse) living with the family; `one` for a
    /// grandparent who came along to help.
    fn add_parents(&mut self, home: &Home, family: &mut Vec<Member>, one: bool) {
        use Relation as R;
        let own = self.rng.random_bool(0.8) || family.len() < 2;
        let child = if own { &family[0] } else { &family[1] };
        let head_is_male = family[0].data.sex == Sex::Male;
        let (father_rel, mother_rel) = match (own, head_is_male) {
            (true, _) => (R::Father, R::Mother),
            (false, true) => (R::FatherInLawOfHusband, R::MotherInLawOfHusband),
            (false, false) => (R::FatherInLawOfWife, R::MotherInLawOfWife),
        };
        let (child_birth, surname, ethnicity) =
            (child.data.birth_date, child.surname, child.data.ethnicity);
        let father_birth = self.years_after(child_birth, -33, -24);
        let mother_birth = self.years_after(father_birth, 0, 4);
        let which = if one {
            weighted(&mut self.rng, &[((false, true), 70), ((true, false), 30)])
        } else {
            weighted(
                &mut self.rng,
                &[((true, true), 45), ((false, true), 40), ((true, false), 15)],
            )
        };
        let both = which == (true, true);
        let alone = if one {
            // Often the other grandparent stayed at home.
            weighted(
                &mut self.rng,
                &[
                    (MaritalStatus::FirstMarriage, 55),
                    (MaritalStatus::Widowed, 45),
                ],
            )
        } else {
            weighted(
                &mut self.rng,
                &[(MaritalStatus::Widowed, 90), (MaritalStatus::Divorced, 10)],
            )
        };
        let marital = if both {
            MaritalStatus::FirstMarriage
        } else {
            alone
        };
        let mut added = Vec::new();
        if which.0 && self.age(father_birth) <= 96 {
            added.push(self.member(
                home,
                Sex::Male,
                father_birth,
                father_rel,
                marital,
                surname,
                ethnicity,
            ));
        }
        if which.1 && self.age(mother_birth) <= 98 {
            let hers = draw_surname(&mut self.rng, ethnicity);
            let mut m = self.member(
                home,
                Sex::Female,
                mother_birth,
                mother_rel,
                marital,
                hers,
                ethnicity,
            );
            m.family_surname = surname;
            added.push(m);
        }
        if let [a, b] = added.as_mut_slice() {
            a.spouse = b.data.id_number;
            b.spouse = a.data.id_number;
        } else if let [a] = added.as_mut_slice() {
            // The partner has died or left; whoever is here is no longer married.
            if both && a.data.marital_status.is_married() {
                a.data.marital_status = MaritalStatus::Widowed;
            }
        }
        family.extend(added);
    }

    /// An older couple with their married son, his wife (儿媳) and their children.
    fn sons_family(&mut self, home: &Home) -> Vec<Member> {
        let mut family = self.couple(home, 52, 70);
        let wife = family
            .iter()
            .position(|m| m.data.sex == Sex::Female)
            .expect("a couple has a wife");
        let (surname, ethnicity) = (family[wife].family_surname, family[0].data.ethnicity);
        let son_birth = self.years_after(family[wife].data.birth_date, 23, 30);
        if self.age(son_birth) < 24 {
            // Too young to be married: an unmarried son at home.
            self.add_children(home, &mut family, (23, 30), son_or_daughter);
            return family;
        }
        let mut dil_birth = self.years_after(son_birth, -1, 4);
        if self.age(dil_birth) < 21 {
            dil_birth = son_birth;
        }
        let (m1, m2) = (self.married_status(), self.married_status());
        let mut son = self.member(
            home,
            Sex::Male,
            son_birth,
            Relation::Son,
            m1,
            surname,
            ethnicity,
        );
        let hers = draw_surname(&mut self.rng, ethnicity);
        let mut dil = self.member(
            home,
            Sex::Female,
            dil_birth,
            Relation::DaughterInLaw,
            m2,
            hers,
            Ethnicity::Han,
        );
        son.spouse = dil.data.id_number;
        dil.spouse = son.data.id_number;
        dil.family_surname = surname;
        for m in family.iter_mut() {
            m.children += 1;
        }
        family.push(son);
        family.push(dil);
        self.add_children(home, &mut family, (23, 31), grandchild);
        family
    }

    /// Migrants' dates: the household came within the last ten years, its grown-ups no younger
    /// than 16, and children born here arrived on their birthday.
    fn set_arrival(&mut self, members: &mut [Member]) {
        let youngest_adult = members
            .iter()
            .map(|m| m.data.birth_date)
            .filter(|&b| self.age(b) >= 18)
            .max()
            .unwrap_or(self.today);
        let at_16 = add_days(youngest_adult, years(16) + 1);
        let back = days_between(at_16, self.today).clamp(31, 3650);
        let arrival = add_days(self.today, -self.rng.random_range(30..=back));
        for m in members {
            let mut date = arrival.max(m.data.birth_date);
            if matches!(
                m.data.relation,
                Relation::Father
                    | Relation::Mother
                    | Relation::FatherInLawOfHusband
                    | Relation::MotherInLawOfHusband
                    | Relation::FatherInLawOfWife
                    | Relation::MotherInLawOfWife
            ) {
                // Grandparents usually follow later, when a grandchild needs minding.
                date = day_in(&mut self.rng, date, self.today).unwrap_or(date);
            }
            m.data.arrival_date = Some(date);
        }
    }

    /// Some resident households have young people working or studying elsewhere (流出);
    /// siblings and young couples go together.
    fn send_some_away(&mut self, members: &mut [Member]) {
        if !self.rng.random_bool(0.45) {
            return;
        }
        let destination = pick(&mut self.rng, DESTINATIONS);
        for m in members.iter_mut() {
            let age = self.age(m.data.birth_date);
            if !m.may_leave || !(18..=40).contains(&age) {
                continue;
            }
            let at_17 = add_days(m.data.birth_date, years(17) + 1);
            let back = days_between(at_17, self.today).clamp(31, 3650);
            let d = &mut m.data;
            d.population_type = PopulationType::MigrantOut;
            d.leaving_date = Some(add_days(self.today, -self.rng.random_range(30..=back)));
            d.origin_or_destination = Some(destination.to_string());
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn member(
        &mut self,
        home: &Home,
        sex: Sex,
        birth: Date,
        relation: Relation,
        marital_status: MaritalStatus,
        surname: &'static str,
        ethnicity: Ethnicity,
    ) -> Member {
        let age = self.age(birth);
        // Babies get their ID number later; everyone older has one.
        let id_number =
            (days_between(birth, self.today) > 366).then(|| self.id_number(home, birth, sex));
        let name = full_name(&mut self.rng, surname, sex, birth.year(), ethnicity);
        let education = (age >= 18).then(|| self.education(birth, home.migrant));
        let has_phone = age >= 18 && self.rng.random_bool(if age < 75 { 0.96 } else { 0.55 });
        let phone = has_phone.then(|| self.mobile());
        let (registered_place, population_type, origin) = if home.migrant {
            let (code, place) = home.origin;
            (
                Place {
                    code: Some(code.to_string()),
                    text: Some(place.to_string()),
                },
                PopulationType::MigrantIn,
                Some(place.to_string()),
            )
        } else {
            (
                Place {
                    code: Some(DISTRICT.0.to_string()),
                    text: Some(REGISTERED_HERE.to_string()),
                },
                PopulationType::Resident,
                None,
            )
        };
        Member {
            data: PersonData {
                id_number,
                name,
                sex,
                birth_date: birth,
                ethnicity,
                marital_status,
                education,
                phone,
                household_no: home.no.clone(),
                relation,
                population_type,
                registered_place: Some(registered_place),
                area_code: home.area.clone(),
                address: Some(home.address.clone()),
                arrival_date: None,
                leaving_date: None,
                origin_or_destination: origin,
            },
            surname,
            family_surname: surname,
            children: 0,
            youngest_child: None,
            spouse: None,
            may_leave: false,
        }
    }

    /// A valid ID number no one else has: the address code of where it was first issued, the
    /// birth date, and a sequence number that is odd for men and even for women.
    fn id_number(&mut self, home: &Home, birth: Date, sex: Sex) -> IdNumber {
        let date_key =
            (birth.year() as u64) * 512 + (birth.month() as u64) * 32 + birth.day() as u64;
        for attempt in 0.. {
            let code = if home.migrant {
                if attempt < 20 {
                    home.origin.0
                } else {
                    choose(&mut self.rng, ORIGINS, |o| o.2).0
                }
            } else if birth.year() < 2016 {
                weighted(&mut self.rng, LOCAL_CODES_BEFORE_2016)
            } else {
                weighted(&mut self.rng, LOCAL_CODES_SINCE_2016)
            };
            let seq = self.rng.random_range(0..500u16) * 2 + u16::from(sex == Sex::Male);
            let code_key: u64 = code.parse().expect("six digits");
            if self
                .used_ids
                .insert(code_key << 31 | date_key << 10 | u64::from(seq))
            {
                return IdNumber::from_parts(code, birth, seq).expect("demo ID numbers are valid");
            }
        }
        unreachable!("an unused ID number is always found")
    }

    fn education(&mut self, birth: Date, migrant: bool) -> Education {
        use Education as E;
        let cohort = match birth.year() {
            ..1960 => 0,
            1960..1975 => 1,
            1975..1990 => 2,
            _ => 3,
        };
        // Most migrants grew up in the countryside, where schooling lagged a generation.
        let cohort = if migrant { cohort.max(1) - 1 } else { cohort };
        let drawn = weighted(&mut self.rng, EDUCATION[cohort]);
        // Students still at university count by the school they finished.
        let finished_at = match drawn {
            E::Postgraduate => 25,
            E::Bachelor => 22,
            E::College => 21,
            _ => 0,
        };
        if self.age(birth) < finished_at {
            E::HighSchool
        } else {
            drawn
        }
    }

    fn mobile(&mut self) -> Phone {
        let prefix = pick(&mut self.rng, MOBILE_PREFIXES);
        let rest = self.rng.random_range(0..100_000_000u32);
        Phone::parse(&format!("{prefix}{rest:08}")).expect("a valid mobile number")
    }

    /// Whether this person gets a storyline in the event history, and which.
    fn pick_storyline(&mut self, member: &Member) {
        let d = &member.data;
        let Some(id) = d.id_number else { return };
        if self.pools.widowed.contains(&id) {
            return;
        }
        let age = self.age(d.birth_date);
        let here = d.population_type != PopulationType::MigrantOut;
        let female = d.sex == Sex::Female;
        let unmarried = d.marital_status == MaritalStatus::Unmarried;
        let married = d.marital_status.is_married();
        let wants_child = match member.children {
            0 => 1.0,
            1 => 0.8,
            2 => 0.15,
            _ => 0.0,
        };
        let death = match age {
            ..80 => 0.5,
            80..90 => 1.5,
            _ => 3.0,
        };
        use Storyline as S;
        let options = [
            (
                here && !female && unmarried && (26..=38).contains(&age),
                P_GROOM,
                S::Groom,
            ),
            (
                here && female && unmarried && (24..=36).contains(&age),
                P_BRIDE,
                S::Bride,
            ),
            (
                here && female && member.spouse.is_some() && (22..=40).contains(&age),
                P_MOTHER * wants_child,
                S::Mother,
            ),
            (
                here && female && married && (22..=49).contains(&age),
                P_CONTRACEPTION,
                S::Contraception,
            ),
            (here && age >= 70, P_DEATH * death, S::Death),
            (
                d.population_type == PopulationType::Resident && (20..=50).contains(&age),
                P_LEAVE,
                S::Leaver,
            ),
            (
                d.population_type == PopulationType::MigrantIn && age >= 18,
                P_MIGRANT_LEAVES,
                S::MigrantLeaving,
            ),
            (
                d.population_type == PopulationType::MigrantOut && age <= 45,
                P_RETURN,
                S::Returner,
            ),
            (age >= 18, P_CORRECTION, S::Correction),
        ];
        let r: f64 = self.rng.random();
        let mut acc = 0.0;
        for (eligible, p, storyline) in options {
            if !eligible {
                continue;
            }
            acc += p;
            if r < acc {
                if let (S::Death, Some(spouse)) = (storyline, member.spouse) {
                    self.pools.widowed.insert(spouse);
                }
                self.pools.get_mut(storyline).push(Candidate {
                    id,
                    family_surname: member.family_surname,
                    children: member.children,
                    youngest_child: member.youngest_child,
                    spouse: member.spouse,
                    age,
                });
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The event history: storylines planned from the pools, then recorded in date order.

enum What {
    Marriage {
        spouse: IdNumber,
    },
    Pregnancy,
    Outcome(PregnancyOutcome),
    Birth(ChildBirth),
    ContraceptionStart(ContraceptionMethod),
    ContraceptionChange(ContraceptionMethod),
    ContraceptionStop,
    /// A resident goes to work in another city and becomes an outgoing migrant.
    MoveAway {
        destination: &'static str,
    },
    /// A move to another resident group of the district.
    MoveWithin {
        group: usize,
    },
    /// An incoming migrant leaves the city.
    Leave,
    /// An outgoing migrant comes home.
    Return,
    Death {
        spouse: Option<IdNumber>,
    },
    Correction,
}

struct Planned {
    on: Date,
    who: IdNumber,
    what: What,
}

struct Planner<'r> {
    rng: &'r mut ChaCha8Rng,
    today: Date,
    start: Date,
    plan: Vec<Planned>,
}

fn plan_events(pools: &Pools, city: &City, rng: &mut ChaCha8Rng, today: Date) -> Vec<Planned> {
    let start = add_days(today, -years(EVENT_YEARS as i32));
    let mut p = Planner {
        rng,
        today,
        start,
        plan: Vec::new(),
    };
    // Pools fill household by household; pairing with the other half of the brides keeps
    // brothers and sisters apart.
    let (first, second) = pools.brides.split_at(pools.brides.len() / 2);
    for (groom, bride) in pools.grooms.iter().zip(second.iter().chain(first)) {
        p.wedding(groom, bride);
    }
    for mother in &pools.mothers {
        p.motherhood(mother);
    }
    for woman in &pools.contraception {
        p.contraception(woman);
    }
    for c in &pools.elderly {
        let on = p.any_day();
        p.push(on, c.id, What::Death { spouse: c.spouse });
    }
    for c in &pools.leavers {
        let on = p.any_day();
        let what = if p.rng.random_bool(0.7) {
            What::MoveAway {
                destination: pick(p.rng, DESTINATIONS),
            }
        } else {
            What::MoveWithin {
                group: p.rng.random_range(0..city.groups.len()),
            }
        };
        p.push(on, c.id, what);
    }
    for (pool, what) in [
        (&pools.migrants_leaving, (|| What::Leave) as fn() -> What),
        (&pools.returners, || What::Return),
        (&pools.corrections, || What::Correction),
    ] {
        for c in pool {
            let on = p.any_day();
            p.push(on, c.id, what());
        }
    }
    // A stable sort: one person's steps are planned in order, and stay so on equal dates.
    let mut plan = p.plan;
    plan.sort_by_key(|e| e.on);
    plan
}

impl Planner<'_> {
    fn push(&mut self, on: Date, who: IdNumber, what: What) {
        self.plan.push(Planned { on, who, what });
    }

    fn any_day(&mut self) -> Date {
        day_in(self.rng, self.start, self.today).expect("the window is not empty")
    }

    fn wedding(&mut self, groom: &Candidate, bride: &Candidate) {
        let on = self.any_day();
        self.push(on, groom.id, What::Marriage { spouse: bride.id });
        if self.rng.random_bool(0.55) {
            let from = add_days(on, 60);
            self.pregnancy(bride.id, from, groom.family_surname, 0, bride.age);
        }
    }

    /// A married woman has a child, not too soon after the last one; some stop contraception
    /// first.
    fn motherhood(&mut self, mother: &Candidate) {
        let mut from = match mother.youngest_child {
            Some(born) => self.start.max(add_days(born, 450)),
            None => self.start,
        };
        if self.rng.random_bool(0.2) {
            let last_start = add_days(self.today, -400);
            if let Some(on) = day_in(self.rng, from, last_start) {
                let method = self.method(mother.age, false);
                self.push(on, mother.id, What::ContraceptionStart(method));
                let stop = day_in(
                    self.rng,
                    add_days(on, 60),
                    add_days(on, 500).min(add_days(self.today, -60)),
                )
                .unwrap_or(add_days(on, 60));
                self.push(stop, mother.id, What::ContraceptionStop);
                from = add_days(stop, 14);
            }
        }
        self.pregnancy(
            mother.id,
            from,
            mother.family_surname,
            mother.children,
            mother.age,
        );
    }

    /// A pregnancy from `from` on: usually a birth nine months later, rarely another outcome,
    /// and still going on today when it began recently.
    fn pregnancy(&mut self, who: IdNumber, from: Date, surname: &str, children: u8, age: i32) {
        let Some(on) = day_in(self.rng, from, add_days(self.today, -14)) else {
            return;
        };
        self.push(on, who, What::Pregnancy);
        if self.rng.random_bool(0.05) {
            let end = add_days(on, self.rng.random_range(35..=100));
            if end <= self.today {
                let outcome = weighted(
                    self.rng,
                    &[
                        (PregnancyOutcome::Miscarriage, 60),
                        (PregnancyOutcome::InducedAbortion, 25),
                        (PregnancyOutcome::Ectopic, 10),
                        (PregnancyOutcome::Stillbirth, 5),
                    ],
                );
                self.push(end, who, What::Outcome(outcome));
            }
            return;
        }
        let due = add_days(on, self.rng.random_range(255..=290));
        if due > self.today {
            return;
        }
        let child = self.child(surname, children, due);
        self.push(due, who, What::Birth(child));
        if self.rng.random_bool(0.35) {
            let after = day_in(self.rng, add_days(due, 42), add_days(due, 240));
            if let Some(on) = after.filter(|&d| d <= self.today) {
                let method = self.method(age, true);
                self.push(on, who, What::ContraceptionStart(method));
            }
        }
    }

    fn child(&mut self, surname: &str, children: u8, born: Date) -> ChildBirth {
        let sex = random_sex(self.rng, 0.52);
        let name = full_name(self.rng, surname, sex, born.year(), Ethnicity::Han);
        // Mostly 2.5–4 kg; a few born early or small.
        let weight = if self.rng.random_bool(0.05) {
            self.rng.random_range(1500..2500)
        } else {
            2500 + (0..3)
                .map(|_| self.rng.random_range(0..=500u16))
                .sum::<u16>()
        };
        ChildBirth {
            name: Some(name.as_str().to_string()),
            sex: Some(sex),
            birth_weight_g: Some(weight),
            birth_order: Some(children.saturating_add(1)),
            birth_defect: Some(self.rng.random_bool(0.006)),
            child_id: None,
        }
    }

    /// Contraception of a married woman: started, sometimes changed, rarely stopped.
    fn contraception(&mut self, woman: &Candidate) {
        let Some(on) = day_in(self.rng, self.start, add_days(self.today, -30)) else {
            return;
        };
        let method = self.method(woman.age, false);
        self.push(on, woman.id, What::ContraceptionStart(method));
        let permanent = matches!(
            method,
            ContraceptionMethod::TubalLigation | ContraceptionMethod::Vasectomy
        );
        if permanent {
            return;
        }
        if self.rng.random_bool(0.3) {
            let latest = add_days(on, 720).min(self.today);
            let Some(change) = day_in(self.rng, add_days(on, 90), latest) else {
                return;
            };
            let mut next = self.method(woman.age, false);
            while next == method {
                next = self.method(woman.age, false);
            }
            self.push(change, woman.id, What::ContraceptionChange(next));
            let permanent = matches!(
                next,
                ContraceptionMethod::TubalLigation | ContraceptionMethod::Vasectomy
            );
            if !permanent {
                self.maybe_stop(woman.id, add_days(change, 30), 0.15);
            }
        } else {
            self.maybe_stop(woman.id, add_days(on, 60), 0.1);
        }
    }

    fn maybe_stop(&mut self, who: IdNumber, after: Date, p: f64) {
        if !self.rng.random_bool(p) {
            return;
        }
        if let Some(stop) = day_in(self.rng, after, self.today) {
            self.push(stop, who, What::ContraceptionStop);
        }
    }

    fn method(&mut self, age: i32, after_birth: bool) -> ContraceptionMethod {
        use ContraceptionMethod as C;
        let table: &[(C, u32)] = if after_birth {
            &[(C::Iud, 55), (C::Condom, 35), (C::Implant, 10)]
        } else if age >= 35 {
            &[
                (C::Iud, 45),
                (C::Condom, 20),
                (C::TubalLigation, 12),
                (C::Vasectomy, 2),
                (C::Implant, 6),
                (C::OralPill, 5),
                (C::Injection, 3),
                (C::Other, 2),
            ]
        } else {
            &[
                (C::Iud, 40),
                (C::Condom, 35),
                (C::OralPill, 12),
                (C::Implant, 6),
                (C::Injection, 4),
                (C::Spermicide, 1),
                (C::Other, 2),
            ]
        };
        weighted(self.rng, table)
    }
}

#[derive(Default)]
struct Counts {
    events: u64,
    births: u64,
    refused: u64,
}

/// Records the plan. An event the register's rules refuse is skipped, not fatal: the plan
/// avoids them, and the demo should not fail over one.
fn record_plan(
    tx: &mut Tx<'_>,
    plan: &[Planned],
    city: &City,
    today: Date,
) -> renkou_store::Result<Counts> {
    let mut counts = Counts::default();
    for step in plan {
        let Some(person) = tx.person_by_id_number(&step.who)? else {
            counts.refused += 1;
            continue;
        };
        let mut detail = EventDetail::default();
        let kind = match &step.what {
            What::Marriage { spouse } => {
                detail.spouse_id_number = Some(*spouse);
                EventKind::Marriage
            }
            What::Pregnancy => EventKind::Pregnancy,
            What::Outcome(outcome) => {
                detail.outcome = Some(*outcome);
                EventKind::PregnancyOutcome
            }
            What::Birth(child) => {
                detail.child = Some(child.clone());
                EventKind::Birth
            }
            What::ContraceptionStart(m) => {
                detail.method = Some(*m);
                EventKind::ContraceptionStart
            }
            What::ContraceptionChange(m) => {
                detail.method = Some(*m);
                EventKind::ContraceptionChange
            }
            What::ContraceptionStop => EventKind::ContraceptionStop,
            What::MoveAway { destination } => {
                // For a resident the note becomes where they went.
                detail.note = Some(destination.to_string());
                EventKind::MoveOut
            }
            What::MoveWithin { group } => {
                let groups = &city.groups;
                let mut to = &groups[*group].0;
                if *to == person.data.area_code {
                    to = &groups[(group + 1) % groups.len()].0;
                }
                detail.to_area_code = Some(to.clone());
                detail.note = Some("区内搬迁".to_string());
                EventKind::MoveOut
            }
            What::Leave => {
                detail.note = Some("离开本市，返回原籍".to_string());
                EventKind::MoveOut
            }
            What::Return => {
                detail.to_area_code = Some(person.data.area_code.clone());
                detail.note = Some("外出返回，回到户籍地居住".to_string());
                EventKind::MoveIn
            }
            What::Death { .. } => EventKind::Death,
            What::Correction => {
                correction(&person.data, &mut detail);
                EventKind::Correction
            }
        };
        let event = NewEvent {
            kind,
            occurred_on: step.on,
            detail,
        };
        match tx.record_event(person.id, event, BY, today) {
            Ok(_) => {}
            Err(StoreError::Rejected(_) | StoreError::NotFound(_)) => {
                counts.refused += 1;
                continue;
            }
            Err(e) => return Err(e),
        }
        counts.events += 1;
        if kind == EventKind::Birth {
            counts.births += 1;
        }
        let widowed = match &step.what {
            What::Death { spouse: Some(s) } => widow(tx, s, step.on, today)?,
            _ => false,
        };
        counts.events += u64::from(widowed);
    }
    Ok(counts)
}

/// A correction as a field worker makes one: a digit of the phone number or of the house number
/// was wrong on the first form. The register already holds the right value.
fn correction(data: &PersonData, detail: &mut EventDetail) {
    let (field, note, after) = match &data.phone {
        Some(phone) if data.birth_date.day() % 2 == 0 => (
            "phone",
            "入户核对，更正联系电话",
            phone.as_str().to_string(),
        ),
        _ => (
            "address",
            "核对户口簿，更正门牌号",
            data.address.clone().unwrap_or_default(),
        ),
    };
    // Change the first digit after the first three characters: a typing slip.
    let before: String = {
        let mut done = false;
        after
            .chars()
            .enumerate()
            .map(|(i, c)| match c.to_digit(10) {
                Some(d) if i >= 3 && !done => {
                    done = true;
                    char::from_digit((d + 1) % 10, 10).unwrap_or(c)
                }
                _ => c,
            })
            .collect()
    };
    detail.note = Some(note.to_string());
    if before != after {
        detail.changes = vec![FieldChange {
            field: field.to_string(),
            before,
            after,
        }];
    }
}

/// The register only widows a spouse it has linked; couples loaded in bulk are not linked, so
/// the survivor's marital status is corrected by hand, as a committee officer would.
fn widow(
    tx: &mut Tx<'_>,
    spouse: &IdNumber,
    died: Date,
    today: Date,
) -> renkou_store::Result<bool> {
    let Some(survivor) = tx.person_by_id_number(spouse)? else {
        return Ok(false);
    };
    if survivor.spouse_id.is_some() || !survivor.data.marital_status.is_married() {
        return Ok(false);
    }
    let mut data = survivor.data.clone();
    data.marital_status = MaritalStatus::Widowed;
    let note = format!("配偶于{died}死亡，婚姻状况改为丧偶");
    match tx.update_person(survivor.id, data, BY, today, Some(note)) {
        Ok(changed) => Ok(changed),
        Err(StoreError::Rejected(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use renkou_core::{AreaLevel, Person, PersonStatus};

    fn today() -> Date {
        jiff::civil::date(2026, 5, 20)
    }

    fn demo(persons: u64, seed: u64) -> (tempfile::TempDir, Store, DemoSummary, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        let mut store = Store::open(path.to_str().unwrap()).unwrap();
        let mut ticked = 0;
        let (summary, refused) =
            build_counted(&mut store, persons, seed, today(), &mut |n| ticked += n).unwrap();
        assert_eq!(ticked, persons, "the progress bar reaches the end");
        (dir, store, summary, refused)
    }

    fn everyone(store: &mut Store) -> Vec<Person> {
        let filter = PersonFilter {
            all_statuses: true,
            ..PersonFilter::default()
        };
        let mut all = Vec::new();
        store
            .each_person(&filter, &mut |p| {
                all.push(p);
                Ok(())
            })
            .unwrap();
        all
    }

    #[test]
    fn the_same_seed_builds_the_same_city() {
        let (_d1, mut a, sa, _) = demo(2_000, 7);
        let (_d2, mut b, sb, _) = demo(2_000, 7);
        let (_d3, mut c, sc, _) = demo(2_000, 8);
        assert_eq!(sa, sb);
        assert_eq!(everyone(&mut a), everyone(&mut b));
        assert_ne!(everyone(&mut a), everyone(&mut c));
        assert_ne!(sa, sc);
    }

    #[test]
    fn the_city_looks_like_a_city() {
        let (_dir, mut store, summary, refused) = demo(2_000, 1);
        let people = everyone(&mut store);
        assert_eq!(people.len() as u64, summary.persons);

        // Every area level is there, and everyone lives in a group of it.
        let areas = store.areas(None).unwrap();
        assert_eq!(areas.len(), summary.areas);
        for level in [
            AreaLevel::District,
            AreaLevel::Centre,
            AreaLevel::Committee,
            AreaLevel::Group,
        ] {
            assert!(areas.iter().any(|a| a.level() == level), "{level:?}");
        }
        assert_eq!(summary.centres, 4);
        assert_eq!(summary.committees, 12);
        assert!((48..=96).contains(&summary.groups));
        let groups: HashSet<_> = areas
            .iter()
            .filter(|a| a.level() == AreaLevel::Group)
            .map(|a| a.code.clone())
            .collect();
        assert!(people.iter().all(|p| groups.contains(&p.data.area_code)));

        // Everyone passes the register's own checks, and ID numbers are unique.
        for p in &people {
            assert_eq!(p.data.check(today()), vec![], "{:?}", p.data);
        }
        let ids: Vec<_> = people.iter().filter_map(|p| p.data.id_number).collect();
        assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len());
        let without_id = people.iter().filter(|p| p.data.id_number.is_none());
        assert!(without_id.clone().all(|p| p.data.age_on(today()) < 3));

        // About three in ten are migrants, most of them incoming.
        let active: Vec<_> = people
            .iter()
            .filter(|p| p.status == PersonStatus::Active)
            .collect();
        let share = (summary.migrants_in + summary.migrants_out) as f64 / active.len() as f64;
        assert!((0.2..=0.4).contains(&share), "migrant share {share}");
        assert!(summary.migrants_in > 2 * summary.migrants_out);

        // One head per household; an age pyramid with children and elderly.
        let heads = people
            .iter()
            .filter(|p| p.data.relation == Relation::Head)
            .count();
        assert_eq!(heads as u64, summary.households);
        let share_aged = |lo: i32, hi: i32| {
            let n = active
                .iter()
                .filter(|p| (lo..=hi).contains(&p.data.age_on(today())))
                .count();
            n as f64 / active.len() as f64
        };
        assert!(
            (0.08..0.25).contains(&share_aged(0, 14)),
            "{}",
            share_aged(0, 14)
        );
        assert!(
            (0.45..0.75).contains(&share_aged(15, 59)),
            "{}",
            share_aged(15, 59)
        );
        assert!(
            (0.12..0.35).contains(&share_aged(60, 120)),
            "{}",
            share_aged(60, 120)
        );

        // Births made children linked to their mothers, in the mother's household.
        let by_id: HashMap<_, _> = people.iter().map(|p| (p.id, p)).collect();
        let born: Vec<_> = people.iter().filter(|p| p.mother_id.is_some()).collect();
        assert_eq!(born.len() as u64, summary.births);
        assert!(summary.births > 0);
        for child in born {
            let mother = by_id[&child.mother_id.unwrap()];
            assert_eq!(mother.data.sex, Sex::Female);
            assert_eq!(mother.data.household_no, child.data.household_no);
        }

        // The history: marriages linked both ways, a few deaths, pregnancies under way.
        let married_in_demo = people.iter().filter(|p| p.spouse_id.is_some()).count();
        assert!(married_in_demo > 0 && married_in_demo % 2 == 0);
        for p in people.iter().filter(|p| p.spouse_id.is_some()) {
            let spouse = by_id[&p.spouse_id.unwrap()];
            assert_eq!(spouse.spouse_id, Some(p.id));
            assert_ne!(spouse.data.sex, p.data.sex);
            assert_ne!(
                spouse.data.household_no, p.data.household_no,
                "not siblings"
            );
        }
        assert!(people.iter().any(|p| p.status == PersonStatus::Dead));
        assert!(people.iter().any(|p| p.pregnant));
        assert!(people.iter().any(|p| p.contraception.is_some()));
        let per_event = summary.persons as f64 / summary.events as f64;
        assert!(
            (10.0..=30.0).contains(&per_event),
            "one event per {per_event} people"
        );
        assert!(
            refused * 50 <= summary.events,
            "{refused} of {} refused",
            summary.events
        );
    }

    #[test]
    fn events_are_dated_within_the_last_three_years() {
        let (_dir, mut store, _, _) = demo(1_000, 3);
        let start = add_days(today(), -years(3));
        let mut kinds = HashSet::new();
        for p in everyone(&mut store) {
            for e in store.timeline(p.id).unwrap() {
                if e.kind != EventKind::Registered {
                    assert!(e.occurred_on >= start && e.occurred_on <= today());
                    kinds.insert(e.kind);
                }
            }
        }
        for kind in [
            EventKind::Marriage,
            EventKind::Pregnancy,
            EventKind::Birth,
            EventKind::ContraceptionStart,
            EventKind::Death,
        ] {
            assert!(kinds.contains(&kind), "{kind:?}");
        }
    }

    #[test]
    fn a_second_demo_into_the_same_register_is_refused() {
        let (_dir, mut store, _, _) = demo(100, 1);
        let err = build(&mut store, 100, 1, today(), &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("空的人口库"));
    }

    /// `cargo test -p renkou --release demo::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn timing() {
        for n in [50_000, 200_000] {
            let started = std::time::Instant::now();
            let (_dir, _store, summary, refused) = demo(n, 1);
            println!("{n}: {:?} {summary:?} refused {refused}", started.elapsed());
        }
    }
}
