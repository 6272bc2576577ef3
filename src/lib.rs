//! mirrorforge: a self-hosted Git server centred on per-repository mirroring.
//!
//! Map, from the top down (a module uses only those below it):
//! - [`cli`] parses the command line; [`server`] builds the [`state`] and serves HTTP;
//! - [`web`] holds the routes (JSON API, HTML pages, git smart HTTP, Git LFS) and the
//!   extractors that say who calls and which repository (or push mirror) they may use;
//! - [`mirror`] is mirroring: settings, credentials at rest, import, schedules, each
//!   repository's derived state, kept refs and restores, account mirrors (whole accounts
//!   on other forges), and the sync `engine` (claims,
//!   slots, the scheduler, a run's record, and the `transfer` room: the remote made once and
//!   handed down by reference);
//!   [`repos`] and [`accounts`] are the other services;
//! - [`auth`] hashes passwords and tokens, keeps sessions and CSRF tokens, throttles guessing;
//! - [`lfs`] is Git LFS: the objects on disk, the batch API both ways;
//! - [`git`] does all git I/O (serving, browsing, storage, stale ref locks a killed git left,
//!   and `fetch_push`: libgit2 fetch and push over our transports, received packs indexed on
//!   every core); [`net`] is the way out to remotes (URL policy, parsed remote
//!   URLs, typed URL errors, each transfer's own HTTP or SSH);
//! - [`entities`] are the tables, [`db`] opens and migrates them; [`config`], [`error`],
//!   [`metrics`], [`names`] and [`paging`] are shared by all.

pub mod accounts;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod git;
pub mod lfs;
pub mod metrics;
pub mod mirror;
pub mod names;
pub mod net;
pub mod paging;
pub mod repos;
pub mod server;
pub mod state;
pub mod web;
