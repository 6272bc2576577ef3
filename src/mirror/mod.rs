//! Mirroring, the heart of mirrorforge: settings and their validation, credentials at rest,
//! the URL policy, git2 transfers, the sync engine and the scheduler.

pub mod engine;
pub mod import;
pub mod runs;
pub mod scheduler;
pub mod secrets;
pub mod settings;
pub mod slots;
