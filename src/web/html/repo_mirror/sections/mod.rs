//! The sections of the mirror settings page, each a template of its own built from the data
//! it shows: [`pull`], [`push`], [`events`], [`ssh_keys`], [`runs`]. The page
//! (`super::settings`) builds and composes them; no section uses another, nor the page.

pub mod events;
pub mod pull;
pub mod push;
pub mod runs;
pub mod ssh_keys;
