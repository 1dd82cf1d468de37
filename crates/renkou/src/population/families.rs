//! Families: children spaced a few years apart, grandparents who live with them, the son's
//! family under his parents' roof; when migrants came, and which residents went away.

use rand::RngExt;
use renkou_core::{Ethnicity, MaritalStatus, PopulationType, Relation, Sex};

use super::households::{Home, Member, People, children_wanted, grandchild, son_or_daughter};
use super::names::DESTINATIONS;
use super::person::draw_surname;
use super::{EVENT_YEARS, add_days, day_in, days_between, pick, random_sex, weighted, years};

impl People<'_> {
    /// The mother of a family's children: the woman of the last couple in it, else its head.
    pub(super) fn parents_of_children(family: &[Member]) -> Vec<usize> {
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
    pub(super) fn add_children(
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
    pub(super) fn add_parents(&mut self, home: &Home, family: &mut Vec<Member>, one: bool) {
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
    pub(super) fn sons_family(&mut self, home: &Home) -> Vec<Member> {
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
    pub(super) fn set_arrival(&mut self, members: &mut [Member]) {
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
    pub(super) fn send_some_away(&mut self, members: &mut [Member]) {
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
}
