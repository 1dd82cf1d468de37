//! The in-process HTTP tests, as one test binary so that the app is compiled and linked once:
//! signing in, the authorization matrix, certificates and the register, each a module of
//! topics, all sharing `common`.

mod common;

mod auth_flows;
mod authz_matrix;
mod certificates;
mod register;
mod words;
