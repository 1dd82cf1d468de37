//! Who gets a part in the event history: each person, as they are drawn, may join one pool
//! of candidates (grooms, brides, mothers, the elderly, leavers, …), from which the history is
//! planned once everyone is written.

use std::collections::HashSet;

use jiff::civil::Date;
use rand::RngExt;
use renkou_core::{IdNumber, MaritalStatus, PopulationType, Sex};

use super::households::{Member, People};

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

/// One person picked for a storyline in the event history.
#[derive(Clone)]
pub(super) struct Candidate {
    pub(super) id: IdNumber,
    pub(super) family_surname: &'static str,
    pub(super) children: u8,
    pub(super) youngest_child: Option<Date>,
    pub(super) spouse: Option<IdNumber>,
    pub(super) age: i32,
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
pub(super) struct Pools {
    pub(super) grooms: Vec<Candidate>,
    pub(super) brides: Vec<Candidate>,
    pub(super) mothers: Vec<Candidate>,
    pub(super) contraception: Vec<Candidate>,
    pub(super) elderly: Vec<Candidate>,
    pub(super) leavers: Vec<Candidate>,
    pub(super) migrants_leaving: Vec<Candidate>,
    pub(super) returners: Vec<Candidate>,
    pub(super) corrections: Vec<Candidate>,
    /// Spouses of the people whose death is planned, kept out of other storylines.
    pub(super) widowed: HashSet<IdNumber>,
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

impl People<'_> {
    /// Whether this person gets a storyline in the event history, and which.
    pub(super) fn pick_storyline(&mut self, member: &Member) {
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
