//! sea-orm entities, one file per table.

pub mod access_token;
pub mod repository;
pub mod session;
pub mod user;
