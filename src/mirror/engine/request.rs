//! What a sync is asked to do ([`Scope`], with a [`OneTimeClone`] for an import that keeps no
//! mirror) and the answer to "sync now" ([`SyncRequest`]).

use crate::git::fetch_push::RemoteLogin;

/// A one-time clone for an import without mirroring: the credentials live only in memory.
#[derive(Debug, Clone)]
pub struct OneTimeClone {
    /// Where to clone from.
    pub url: String,
    /// Credentials for this clone only.
    pub credentials: RemoteLogin,
}

/// What one run does beyond its trigger's default.
#[derive(Debug, Clone)]
pub enum Scope {
    /// What the repository's settings say.
    Mirror,
    /// What the repository's settings say, the pull once without the mass-deletion guard
    /// ("Sync anyway", `allow_mass_delete`).
    Unguarded,
    /// An import that keeps no mirror: one clone with credentials held only in memory.
    OneTime(OneTimeClone),
    /// A push to this one push mirror ("Sync now" next to it).
    PushTo(i64),
    /// A push to every enabled push mirror, and no pull (Gitea's `push_mirrors-sync`).
    PushAll,
}

/// The answer to "sync this repository now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncRequest {
    /// Claimed; the sync runs in the background.
    Started,
    /// A sync of this repository already runs (here or in another process).
    AlreadyRunning,
    /// Mirroring is switched off for it.
    Disabled,
}
