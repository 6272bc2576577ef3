//! Open repositories kept between page views. Opening a repository is cheap, but each new
//! handle starts with cold caches: every tree and blob stored as a delta is rebuilt from its
//! base again, once per request. Kept handles keep libgit2's object and delta-base caches warm
//! across requests. A handle is keyed by the repository's id and path (a repository deleted
//! and made again at the same path has another id, so never meets the old one's handle), used
//! by one thread at a time, and dropped after [`KEPT_FOR`] or when more than [`KEPT`] are idle.
//! libgit2 reads refs from disk on every lookup and looks for new packs when an object is
//! missing, so a kept handle sees pushes and syncs.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, Instant},
};

/// How many idle handles are kept at most.
pub const KEPT: usize = 32;

/// How long an idle handle is kept.
pub const KEPT_FOR: Duration = Duration::from_secs(30);

/// An idle handle: whose, since when.
struct Idle {
    id: i64,
    path: PathBuf,
    since: Instant,
    repo: git2::Repository,
}

/// The idle handles, newest last.
static IDLE: Mutex<Vec<Idle>> = Mutex::new(Vec::new());

/// An idle handle of repository `id` at `path`, if one is kept (and not too old).
pub fn take(id: i64, path: &Path) -> Option<git2::Repository> {
    let mut idle = IDLE.lock().ok()?;
    idle.retain(|h| h.since.elapsed() < KEPT_FOR);
    let at = idle.iter().rposition(|h| h.id == id && h.path == path)?;
    Some(idle.swap_remove(at).repo)
}

/// Keeps `repo` (of repository `id` at `path`) for the next request.
pub fn give_back(id: i64, path: PathBuf, repo: git2::Repository) {
    let Ok(mut idle) = IDLE.lock() else {
        return;
    };
    idle.retain(|h| h.since.elapsed() < KEPT_FOR);
    if idle.len() >= KEPT {
        idle.remove(0);
    }
    idle.push(Idle {
        id,
        path,
        since: Instant::now(),
        repo,
    });
}
