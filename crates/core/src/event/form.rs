//! What an event's form asks and offers: each kind's fields, the kinds possible for a person
//! now, which ask for a confirmation, and the changes a timeline row shows.

use super::FieldChange;
use crate::codes::{EventKind, Sex};
use crate::person::{Person, PersonStatus};

/// The fields each kind of event asks for, beyond its kind and date, in the order a form shows
/// them; `required` ones must be filled. A form offers only these; a file row's other columns
/// are read past.
pub fn fields_of(kind: EventKind) -> &'static [EventField] {
    use EventKind as K;
    match kind {
        K::Marriage | K::Remarriage => &[
            EventField {
                key: "spouse_id_number",
                required: false,
            },
            EventField {
                key: "note",
                required: false,
            },
        ],
        K::Divorce | K::Pregnancy | K::ContraceptionStop | K::Death => &[EventField {
            key: "note",
            required: false,
        }],
        K::PregnancyOutcome => &[
            EventField {
                key: "outcome",
                required: true,
            },
            EventField {
                key: "note",
                required: false,
            },
        ],
        K::Birth => &[
            EventField {
                key: "child_name",
                required: false,
            },
            EventField {
                key: "child_sex",
                required: true,
            },
            EventField {
                key: "birth_weight_g",
                required: false,
            },
            EventField {
                key: "birth_order",
                required: false,
            },
            EventField {
                key: "birth_defect",
                required: false,
            },
            EventField {
                key: "note",
                required: false,
            },
        ],
        K::ContraceptionStart | K::ContraceptionChange => &[
            EventField {
                key: "method",
                required: true,
            },
            EventField {
                key: "note",
                required: false,
            },
        ],
        K::MoveIn => &[
            EventField {
                key: "to_area_code",
                required: true,
            },
            EventField {
                key: "note",
                required: false,
            },
        ],
        // Within the city (an area) or away from it (where to, in the note): one of the two.
        K::MoveOut => &[
            EventField {
                key: "to_area_code",
                required: false,
            },
            EventField {
                key: "note",
                required: false,
            },
        ],
        K::Correction => &[EventField {
            key: "note",
            required: true,
        }],
        K::Registered => &[],
    }
}

/// One field of an event's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventField {
    pub key: &'static str,
    pub required: bool,
}

/// Whether a kind of event can happen to this person now, so that a form offers only what
/// can be recorded: after a death only a correction; after a move away only a return or a
/// correction; pregnancy and birth on a woman's record.
pub fn possible_for(kind: EventKind, person: &Person) -> bool {
    use EventKind as K;
    match (person.status, kind) {
        (_, K::Registered) => false,
        (_, K::Correction) => true,
        (PersonStatus::Dead, _) => false,
        (PersonStatus::MovedAway, k) => k == K::MoveIn,
        (PersonStatus::Active, K::Pregnancy | K::PregnancyOutcome | K::Birth) => {
            person.data.sex == Sex::Female
        }
        (PersonStatus::Active, K::Divorce) => person.data.marital_status.is_married(),
        (PersonStatus::Active, K::Marriage | K::Remarriage) => {
            !person.data.marital_status.is_married()
        }
        (PersonStatus::Active, _) => true,
    }
}

/// Whether an event makes a change that cannot simply be taken back: the form asks once to
/// confirm it.
pub fn is_weighty(kind: EventKind) -> bool {
    matches!(kind, EventKind::MoveOut | EventKind::Death)
}

/// The person's fields an event changed, as the timeline shows them ("婚姻状况：未婚 → 初婚").
pub fn changes_between(before: &Person, after: &Person) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field: &str, b: String, a: String| {
        if b != a {
            out.push(FieldChange {
                field: field.to_string(),
                before: b,
                after: a,
            });
        }
    };
    let (b, a) = (&before.data, &after.data);
    push(
        "marital_status",
        b.marital_status.name_zh().into(),
        a.marital_status.name_zh().into(),
    );
    push(
        "population_type",
        b.population_type.name_zh().into(),
        a.population_type.name_zh().into(),
    );
    push(
        "area_code",
        b.area_code.to_string(),
        a.area_code.to_string(),
    );
    push(
        "status",
        before.status.name_zh().into(),
        after.status.name_zh().into(),
    );
    out
}
