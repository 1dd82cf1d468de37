//! What one person adds to the counters: the stock cells they are in from day to day, and the
//! flow cells of their events. The store computes this for a person before and after each
//! change and writes the difference, and a rebuild sums it over the register: both read the
//! same function, so the counters and a rebuild cannot mean different things.
//!
//! The edge rules, stated once:
//! - A person counts from their birth, a 流入 person from their 来本地日期 (as the register
//!   holds it), never from the day they were entered.
//! - State on a day is taken at the end of that day: someone who died or left on the 30th is
//!   not in the stock of the 30th.
//! - Marital status, population type, managing area and status on a past day are what the
//!   first dated change after that day found (its "before"); with no later change, what the
//!   register holds now. A correction (更正) fixes what was wrong and is not a dated change:
//!   it applies back to the last dated change of the field it corrects. The widowing written
//!   after a spouse's death is dated.
//! - Pregnancy and contraception follow their events in date order.
//! - 流出 people count in the stock of the area that manages them.
//! - A marriage or divorce between two people both on the register counts once, on the
//!   wife's timeline; on the husband's only when his wife is not on the register.
//! - Births count on the mother's timeline, in her area and by her population type that day.

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

use super::cells::{Cell, age_band, order_class};
use crate::area::AreaCode;
use crate::codes::{ContraceptionMethod, EventKind, MaritalStatus, PopulationType, Sex};
use crate::dates::age_on;
use crate::event::Event;
use crate::indicator::CHILDBEARING_AGE;
use crate::person::{Person, PersonStatus};

/// One change to a counter: `n` people entering (or, negative, leaving) a stock cell on a day,
/// or `n` events of a flow cell on a day.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Delta {
    pub area: AreaCode,
    pub on: Date,
    pub cell: Cell,
    pub n: i64,
}

/// The days within which an event of a kind counts as reported on time (及时), from the day
/// it happened to the day it was recorded, in Beijing time. None: not a reporting kind.
///
/// - Births, deaths, marriages, divorces and moves: 30 days, the plan's monthly reporting cycle
///   (an event of the month reaches the register by the next month's report).
/// - Pregnancy: 90 days. A pregnancy is registered at the first antenatal check (早孕建册),
///   which falls by the 12th–13th week; counting from the day it was known to the family would
///   call most reports late.
/// - Pregnancy outcomes and contraception: 30 days.
/// - 建档 and 更正 are not reports of events and are not counted.
pub fn reporting_window(kind: EventKind) -> Option<i64> {
    use EventKind as K;
    match kind {
        K::Registered | K::Correction => None,
        K::Pregnancy => Some(90),
        K::Marriage
        | K::Divorce
        | K::Remarriage
        | K::PregnancyOutcome
        | K::Birth
        | K::ContraceptionStart
        | K::ContraceptionChange
        | K::ContraceptionStop
        | K::MoveIn
        | K::MoveOut
        | K::Death => Some(30),
    }
}

/// The day an event was recorded, in Beijing time.
pub fn recorded_day(event: &Event) -> Date {
    let beijing = TimeZone::fixed(Offset::constant(8));
    event.recorded_at.to_zoned(beijing).date()
}

/// Days past its window an event was recorded (0 when on time).
pub fn days_late(event: &Event) -> Option<i64> {
    let window = reporting_window(event.kind)?;
    let days = (recorded_day(event) - event.occurred_on).get_days() as i64;
    Some((days - window).max(0))
}

/// A dated change of one field: when, the event's id (same-day order), the value before it.
type Dated<T> = Vec<(Date, i64, T)>;

/// The value a field had just after the point `(day, id)`: the "before" of the first dated
/// change after it, or the value now.
fn value_after<T: Clone>(changes: &Dated<T>, day: Date, id: i64, now: &T) -> T {
    changes
        .iter()
        .find(|(d, i, _)| (*d, *i) > (day, id))
        .map_or_else(|| now.clone(), |(_, _, before)| before.clone())
}

struct Timeline<'a> {
    person: &'a Person,
    /// Events in date order.
    events: Vec<&'a Event>,
    married: Dated<bool>,
    ptype: Dated<PopulationType>,
    area: Dated<AreaCode>,
    status: Dated<PersonStatus>,
}

fn status_from_name(s: &str) -> Option<PersonStatus> {
    [
        PersonStatus::Active,
        PersonStatus::MovedAway,
        PersonStatus::Dead,
    ]
    .into_iter()
    .find(|st| st.name_zh() == s)
}

impl<'a> Timeline<'a> {
    fn new(person: &'a Person, events: &'a [Event]) -> Self {
        let mut events: Vec<&Event> = events.iter().collect();
        events.sort_by_key(|e| (e.occurred_on, e.id));
        let mut t = Timeline {
            person,
            events,
            married: Vec::new(),
            ptype: Vec::new(),
            area: Vec::new(),
            status: Vec::new(),
        };
        for e in t.events.clone() {
            let dated = match e.kind {
                EventKind::Registered => false,
                EventKind::Correction => e.detail.caused_by.is_some(),
                _ => true,
            };
            if !dated {
                continue;
            }
            let at = (e.occurred_on, e.id.0);
            for c in &e.detail.changes {
                match c.field.as_str() {
                    "marital_status" => {
                        if let Ok(m) = MaritalStatus::parse(&c.before) {
                            t.married.push((at.0, at.1, m.is_married()));
                        }
                    }
                    "population_type" => {
                        if let Ok(p) = PopulationType::parse(&c.before) {
                            t.ptype.push((at.0, at.1, p));
                        }
                    }
                    "area_code" => {
                        if let Ok(a) = AreaCode::parse(&c.before) {
                            t.area.push((at.0, at.1, a));
                        }
                    }
                    "status" => {
                        if let Some(s) = status_from_name(&c.before) {
                            t.status.push((at.0, at.1, s));
                        }
                    }
                    _ => {}
                }
            }
        }
        t
    }

    fn area_after(&self, day: Date, id: i64) -> AreaCode {
        value_after(&self.area, day, id, &self.person.data.area_code)
    }

    fn pregnant_on(&self, day: Date) -> bool {
        use EventKind as K;
        let relevant =
            |e: &&&Event| matches!(e.kind, K::Pregnancy | K::PregnancyOutcome | K::Birth);
        if let Some(last) = self
            .events
            .iter()
            .rev()
            .filter(relevant)
            .find(|e| e.occurred_on <= day)
        {
            return last.kind == K::Pregnancy;
        }
        match self.events.iter().find(relevant) {
            Some(next) => next.kind != K::Pregnancy,
            None => self.person.pregnant,
        }
    }

    fn method_on(&self, day: Date) -> Option<ContraceptionMethod> {
        use EventKind as K;
        let relevant = |e: &&&Event| {
            matches!(
                e.kind,
                K::ContraceptionStart | K::ContraceptionChange | K::ContraceptionStop
            )
        };
        if let Some(last) = self
            .events
            .iter()
            .rev()
            .filter(relevant)
            .find(|e| e.occurred_on <= day)
        {
            return match last.kind {
                K::ContraceptionStop => None,
                _ => last.detail.method,
            };
        }
        match self.events.iter().find(relevant) {
            Some(next) if next.kind == K::ContraceptionStart => None,
            Some(next) => next.detail.previous_method,
            None => self.person.contraception,
        }
    }

    /// The stock cells the person is in at the end of `day`, with the area that holds them.
    fn stock_on(&self, day: Date) -> Option<(AreaCode, Vec<Cell>)> {
        let p = self.person;
        if day < p.data.birth_date {
            return None;
        }
        let end = i64::MAX;
        if value_after(&self.status, day, end, &p.status) != PersonStatus::Active {
            return None;
        }
        let ptype = value_after(&self.ptype, day, end, &p.data.population_type);
        if ptype == PopulationType::MigrantIn && p.data.arrival_date.is_some_and(|a| a > day) {
            return None;
        }
        let sex = p.data.sex;
        let age = age_on(p.data.birth_date, day);
        let mut cells = vec![Cell::Population(ptype, sex), Cell::Age(age_band(age), sex)];
        if age < 3 {
            cells.push(Cell::UnderThree);
        }
        if sex == Sex::Female {
            let childbearing = CHILDBEARING_AGE.contains(p.data.birth_date, day);
            if childbearing
                && value_after(&self.married, day, end, &p.data.marital_status.is_married())
            {
                cells.push(Cell::MarriedWoman(self.method_on(day)));
            }
            if self.pregnant_on(day) {
                cells.push(Cell::Pregnant);
            }
        }
        Some((self.area_after(day, end), cells))
    }

    /// Every day on which the person's stock cells may change: birth, arrival, each event and
    /// each birthday that starts a new age band (15 and 50 among them).
    fn change_days(&self, horizon: Date) -> Vec<Date> {
        let birth = self.person.data.birth_date;
        let mut days = vec![birth];
        days.extend(self.person.data.arrival_date);
        days.extend(self.events.iter().map(|e| e.occurred_on));
        for n in BIRTHDAYS {
            if let Some(day) = birthday(birth, n) {
                days.push(day);
            }
        }
        days.retain(|d| *d <= horizon && *d >= birth);
        days.sort();
        days.dedup();
        days
    }
}

/// The birthdays that move someone between cells: the third (no longer under three) and
/// each that starts an age band (15 and 50 among them).
pub const BIRTHDAYS: [i16; 18] = [
    3, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85,
];

/// The first day someone born on `birth` is `years` old (a 29 February birthday falls on
/// 1 March in other years, as `dates::age_on` counts).
pub fn birthday(birth: Date, years: i16) -> Option<Date> {
    let day = birth.checked_add(jiff::Span::new().years(years)).ok()?;
    if age_on(birth, day) < i32::from(years) {
        day.tomorrow().ok()
    } else {
        Some(day)
    }
}

/// What one person adds to the counters up to `horizon` (the last day the counters have
/// reached): stock changes on the days they happen, flow events on their days.
pub fn contributions(person: &Person, events: &[Event], horizon: Date) -> Vec<Delta> {
    let t = Timeline::new(person, events);
    let mut out = Vec::new();
    let mut before: Option<(AreaCode, Vec<Cell>)> = None;
    for day in t.change_days(horizon) {
        let now = t.stock_on(day);
        if now == before {
            continue;
        }
        if let Some((area, cells)) = &before {
            for c in cells {
                let kept = now
                    .as_ref()
                    .is_some_and(|(a, cs)| a == area && cs.contains(c));
                if !kept {
                    out.push(Delta {
                        area: area.clone(),
                        on: day,
                        cell: *c,
                        n: -1,
                    });
                }
            }
        }
        if let Some((area, cells)) = &now {
            for c in cells {
                let had = before
                    .as_ref()
                    .is_some_and(|(a, cs)| a == area && cs.contains(c));
                if !had {
                    out.push(Delta {
                        area: area.clone(),
                        on: day,
                        cell: *c,
                        n: 1,
                    });
                }
            }
        }
        before = now;
    }
    flows(&t, horizon, &mut out);
    out
}

fn flows(t: &Timeline<'_>, horizon: Date, out: &mut Vec<Delta>) {
    use EventKind as K;
    let p = t.person;
    let female = p.data.sex == Sex::Female;
    if let Some(arrived) = p
        .data
        .arrival_date
        .filter(|a| *a <= horizon && *a >= p.data.birth_date)
    {
        let ptype = value_after(&t.ptype, arrived, i64::MAX, &p.data.population_type);
        if ptype == PopulationType::MigrantIn {
            let area = t.area_after(arrived, i64::MAX);
            out.push(Delta {
                area,
                on: arrived,
                cell: Cell::MigrantArrived,
                n: 1,
            });
        }
    }
    for e in &t.events {
        let on = e.occurred_on;
        if on > horizon {
            continue;
        }
        // The area it happened in: the one entered for a move in, otherwise the one it
        // happened to the person in.
        let area = if e.kind == K::MoveIn {
            t.area_after(on, e.id.0)
        } else {
            t.area_after(on, e.id.0 - 1)
        };
        let mut push = |cell: Cell| {
            out.push(Delta {
                area: area.clone(),
                on,
                cell,
                n: 1,
            })
        };
        let mirrored = e.detail.caused_by.is_some();
        match e.kind {
            K::Marriage | K::Remarriage if female || e.detail.spouse_id.is_none() => {
                push(Cell::Marriage)
            }
            K::Divorce if female || e.detail.spouse_id.is_none() => push(Cell::Divorce),
            K::Birth => {
                if let Some(child) = &e.detail.child {
                    let ptype = value_after(&t.ptype, on, e.id.0 - 1, &p.data.population_type);
                    let order = order_class(child.birth_order.unwrap_or(1));
                    if let Some(sex) = child.sex {
                        push(Cell::Birth(order, sex, ptype));
                    }
                    if child.birth_defect == Some(true) {
                        push(Cell::BirthDefect);
                    }
                    if child.birth_weight_g.is_some_and(|w| w < 2500) {
                        push(Cell::LowBirthWeight);
                    }
                }
            }
            K::Death => push(Cell::Death),
            K::MoveIn => push(Cell::MoveIn),
            K::MoveOut => push(Cell::MoveOut),
            K::PregnancyOutcome => {
                if let Some(o) = e.detail.outcome {
                    push(Cell::Outcome(o));
                }
            }
            K::ContraceptionStart => {
                if let Some(m) = e.detail.method {
                    push(Cell::ContraceptionStart(m));
                }
            }
            K::ContraceptionChange => {
                if let Some(m) = e.detail.method {
                    push(Cell::ContraceptionChange(m));
                }
            }
            _ => {}
        }
        if !mirrored && let Some(late) = days_late(e) {
            push(Cell::Reported);
            if late == 0 {
                push(Cell::ReportedOnTime);
            }
        }
    }
}
