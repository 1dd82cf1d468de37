//! One suite, every backend: SQLite always, PostgreSQL when RENKOU_TEST_PG holds a connection URL.
//! Each test gets a fresh database (a temporary file, or a new PostgreSQL schema).
//! One test binary, one module per area; `helpers` holds the backends and the shared register.

mod accounts;
mod audit;
mod certificates;
mod events;
mod helpers;
mod lists;
mod persons;
mod scope;
mod statistics;
mod tallies;
