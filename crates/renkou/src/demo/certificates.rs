//! The demo's certificates: applications in every state, so the queues have work in them.

use anyhow::{Context, Result};
use renkou_store::Store;

/// A few documents in every state, so the demo's queues have work in them: applications taken
/// by the demo officer for people of its committee, some issued by the station, one sent back,
/// one printed and handed over by the centre.
pub fn demo_certificates(store: &mut Store, today: jiff::civil::Date) -> Result<usize> {
    use renkou_core::certificate::{Application, Step};
    use renkou_core::{Actor, CertificateKind, PersonStatus, PopulationType, Scope, Sex};
    use renkou_store::{PersonFilter, StepInput};

    let accounts = store.accounts()?;
    let actor = |name: &str| -> Result<Actor> {
        let a = accounts
            .iter()
            .find(|a| a.username.as_str() == name)
            .with_context(|| format!("演示账户 {name}"))?;
        Ok(Actor {
            scope: Scope::new(a.id, a.role, a.area.clone()),
            username: name.to_string(),
            source: "demo".to_string(),
        })
    };
    let (officer, station, centre) = (actor("officer")?, actor("station")?, actor("centre")?);
    let people = store.persons_as(&officer, &PersonFilter::default(), None, 400)?;
    let adults: Vec<_> = people
        .iter()
        .filter(|p| p.status == PersonStatus::Active && p.data.id_number.is_some())
        .filter(|p| (20..=45).contains(&p.data.age_on(today)))
        .collect();
    let wives = adults
        .iter()
        .filter(|p| p.data.sex == Sex::Female && p.data.marital_status.is_married());
    let residents = adults
        .iter()
        .filter(|p| p.data.population_type == PopulationType::Resident);
    let mut plan: Vec<(CertificateKind, renkou_core::PersonId)> = Vec::new();
    plan.extend(
        wives
            .take(4)
            .map(|p| (CertificateKind::BirthRegistration, p.id)),
    );
    plan.extend(
        residents
            .clone()
            .take(4)
            .map(|p| (CertificateKind::ReproductiveHealthCard, p.id)),
    );
    plan.extend(
        residents
            .skip(4)
            .take(3)
            .map(|p| (CertificateKind::MigrantCertificate, p.id)),
    );
    let mut made = 0;
    for (i, (kind, person)) in plan.into_iter().enumerate() {
        // Another open application or a valid card is refused: skip, the demo needs no more.
        let Ok(c) = store.apply_certificate(&officer, person, kind, Application::default(), today)
        else {
            continue;
        };
        made += 1;
        let take = |store: &mut Store, who: &Actor, step: Step, input: StepInput| {
            store.certificate_step(who, c.id, step, input, today)
        };
        match i % 4 {
            // Left waiting for review.
            0 => {}
            1 => {
                let _ = take(store, &station, Step::Issue, StepInput::default());
            }
            2 => {
                if take(store, &station, Step::Issue, StepInput::default()).is_ok() {
                    let copies = StepInput {
                        copies: Some(1),
                        ..StepInput::default()
                    };
                    take(store, &centre, Step::Print, copies)?;
                    take(store, &centre, Step::Deliver, StepInput::default())?;
                }
            }
            _ => {
                let back = StepInput {
                    reason: Some("请补充配偶信息或外出去向".into()),
                    ..StepInput::default()
                };
                let _ = take(store, &station, Step::Return, back);
            }
        }
    }
    Ok(made)
}
