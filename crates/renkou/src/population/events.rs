//! The event history: storylines planned from the pools, then recorded in date order.

use jiff::civil::Date;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use renkou_core::event::ChildBirth;
use renkou_core::{ContraceptionMethod, Ethnicity, IdNumber, PregnancyOutcome};

use super::city::City;
use super::households::People;
use super::names::DESTINATIONS;
use super::person::full_name;
use super::storylines::{Candidate, Pools};
use super::{EVENT_YEARS, add_days, day_in, pick, random_sex, weighted, years};

pub(super) enum What {
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

pub struct Planned {
    pub(super) on: Date,
    pub(super) who: IdNumber,
    pub(super) what: What,
}

struct Planner<'r> {
    rng: &'r mut ChaCha8Rng,
    today: Date,
    start: Date,
    plan: Vec<Planned>,
}

fn plan(pools: &Pools, city: &City, rng: &mut ChaCha8Rng, today: Date) -> Vec<Planned> {
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

impl People<'_> {
    /// The event history of everyone drawn so far, planned from their storylines: in date
    /// order, one person's steps in the order they happen.
    pub fn plan_events(mut self) -> Vec<Planned> {
        plan(&self.pools, self.city, &mut self.rng, self.today)
    }
}

impl Planner<'_> {
    pub(super) fn push(&mut self, on: Date, who: IdNumber, what: What) {
        self.plan.push(Planned { on, who, what });
    }

    pub(super) fn any_day(&mut self) -> Date {
        day_in(self.rng, self.start, self.today).expect("the window is not empty")
    }

    pub(super) fn wedding(&mut self, groom: &Candidate, bride: &Candidate) {
        let on = self.any_day();
        self.push(on, groom.id, What::Marriage { spouse: bride.id });
        if self.rng.random_bool(0.55) {
            let from = add_days(on, 60);
            self.pregnancy(bride.id, from, groom.family_surname, 0, bride.age);
        }
    }

    /// A married woman has a child, not too soon after the last one; some stop contraception
    /// first.
    pub(super) fn motherhood(&mut self, mother: &Candidate) {
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
    pub(super) fn pregnancy(
        &mut self,
        who: IdNumber,
        from: Date,
        surname: &str,
        children: u8,
        age: i32,
    ) {
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

    pub(super) fn child(&mut self, surname: &str, children: u8, born: Date) -> ChildBirth {
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
    pub(super) fn contraception(&mut self, woman: &Candidate) {
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

    pub(super) fn maybe_stop(&mut self, who: IdNumber, after: Date, p: f64) {
        if !self.rng.random_bool(p) {
            return;
        }
        if let Some(stop) = day_in(self.rng, after, self.today) {
            self.push(stop, who, What::ContraceptionStop);
        }
    }

    pub(super) fn method(&mut self, age: i32, after_birth: bool) -> ContraceptionMethod {
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
