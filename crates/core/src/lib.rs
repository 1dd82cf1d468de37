//! renkou's domain: the people, places, events and rules of the community population and
//! family-planning service network. Nothing here does I/O; every value type parses, so an
//! invalid one cannot exist.

pub mod access;
pub mod account;
pub mod account_admin;
pub mod area;
pub mod audit;
pub mod certificate;
pub mod codes;
pub mod dates;
pub mod division;
pub mod event;
pub mod id_number;
pub mod import;
pub mod indicator;
pub mod person;
pub mod phone;
pub mod record;
pub mod stats;

pub use access::{Action, Actor, Role, Scope};
pub use area::{Area, AreaCode, AreaLevel};
pub use codes::*;
pub use event::{Event, EventDetail, EventId, NewEvent};
pub use id_number::IdNumber;
pub use person::{HouseholdNo, Person, PersonData, PersonId, PersonName, PersonStatus, Place};
pub use phone::Phone;
