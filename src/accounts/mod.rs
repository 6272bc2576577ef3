//! Accounts and their personal access tokens: creation, validation, authentication.

pub mod tokens;
pub mod users;
