//! The sections of the mirror settings page, each a template of its own built from the data
//! it shows: [`pull`], [`push`], [`schedule`], [`events`], [`ssh_keys`], [`runs`]. The page
//! (`super::settings`) builds and composes them; no section uses another, nor the page.

pub mod events;
pub mod pull;
pub mod push;
pub mod runs;
pub mod schedule;
pub mod ssh_keys;
