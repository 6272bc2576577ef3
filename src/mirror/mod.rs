//! Mirroring, the heart of mirrorforge: settings and their one write path, credentials at
//! rest, import, the run history, the sync engine with its fair slots, and the scheduler. The
//! transfers themselves are `git::mirror`'s, the way out to remotes is `net`'s.

pub mod engine;
pub mod host_keys;
pub mod import;
pub mod notify;
pub mod overview;
pub mod preview;
pub mod push_mirrors;
pub mod repo_secret;
pub mod runs;
pub mod schedule;
pub mod scheduler;
pub mod secrets;
pub mod settings;
pub mod slots;
pub mod ssh_key;
pub mod state;
pub mod stats;
pub mod webhook;
