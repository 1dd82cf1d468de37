//! The synthetic city `renkou demo` builds and `renkou bench` imports: one district (铜官区),
//! four community service centres, a dozen residents' committees and their resident groups;
//! households of residents and incoming migrants with a plausible age pyramid, names, ID
//! numbers, phones and addresses; and, for the demo, three years of life events (marriages,
//! pregnancies and births, contraception, moves, deaths, corrections) recorded through the same
//! rules a form would use. Everything is drawn from one seeded generator, so the same number of
//! people, seed and `today` always give the same city.
//!
//! - [`city`]: the area tree;
//! - [`households`] with [`families`] and [`person`]: the people, household by household;
//! - [`storylines`]: who gets a part in the event history while the people are drawn;
//! - [`events`]: the history planned from those storylines, and [`record`]: written to the
//!   register.

mod city;
mod events;
mod families;
mod households;
mod names;
mod person;
mod record;
mod storylines;

use jiff::Span;
use jiff::civil::Date;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use renkou_core::Sex;

pub use city::City;
pub use households::People;
pub use names::CENTRES;
pub use record::record_plan;

/// Who the demo's records and events say entered them.
pub const BY: &str = "demo";

/// How much history the events cover.
const EVENT_YEARS: i64 = 3;

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
