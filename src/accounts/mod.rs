//! Accounts and their personal access tokens: creation, validation, authentication.

pub mod known;
pub mod tokens;
pub mod users;
