//! Accounts and their personal access tokens: creation, validation, authentication; and
//! organisations, the accounts that are not people, with their members.

pub mod known;
pub mod members;
pub mod orgs;
pub mod tokens;
pub mod users;
