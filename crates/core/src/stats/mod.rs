//! 规划统计: the figures a station reports every month, defined once.
//!
//! All figures are per managing area (管理地) and include everything below it.
//! - **Stock** (`Stock`) is taken at the end of the period's last day (today while the period
//!   runs) over people active on the register that day, age in completed years on that day.
//! - **Flow** (`Flow`) counts events whose date of occurrence falls in the period.
//! - **Indicators** (`Indicators`) are computed from the sums, never stored.
//!
//! The counters keep dated changes per area and month (`history::contributions`), so a
//! report is a read of small tables. What a person adds and the edge rules are in `history`;
//! how the figures are named and computed is in `figures`. No figure compares births with a
//! plan or quota: none exists any more.

pub mod cells;
pub mod figures;
pub mod history;
pub mod period;
pub mod report;
#[cfg(test)]
mod tests;

pub use cells::Cell;
pub use figures::{Figures, Sums};
pub use history::{Delta, contributions};
pub use period::{Month, Period, PeriodError};

/// The month the statistical year starts in by default: January.
pub const YEAR_STARTS: i8 = 1;
