//! Mirroring, the heart of mirrorforge: settings and their one write path (`settings`,
//! `push_mirrors`), credentials at rest (`secrets`, `repo_secret`, `ssh_key`, `host_keys`),
//! import, the run history (`runs`), what syncs overwrote and kept (`kept`), each repository's derived state (`state`), schedules
//! (`schedule`: cron, gaps, words), the mirrors overview and its bulk actions (`overview`),
//! webhooks and notifications, a remote's `preview` and its SSH host key (`host_key_check`),
//! the gauges (`stats`), whole accounts on other forges kept by themselves (`account_mirrors`:
//! listed, planned, applied, on their own schedule),
//! and the sync `engine` (claims, fair slots, the scheduler, a run's
//! record, its transfers). The libgit2 fetch and push are `git::fetch_push`'s, the
//! connections to remotes `net`'s.

pub mod account_mirrors;
pub mod engine;
pub mod host_key_check;
pub mod host_keys;
pub mod import;
pub mod kept;
pub mod notify;
pub mod overview;
pub mod preview;
pub mod push_mirrors;
pub mod repo_secret;
pub mod restore;
pub mod runs;
pub mod schedule;
pub mod secrets;
pub mod settings;
pub mod ssh_key;
pub mod state;
pub mod stats;
pub mod webhook;
