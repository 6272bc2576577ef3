//! What one transfer carries besides the refs: the credentials (only ever handed to libgit2's
//! credentials callback), its deadline, and live progress for the sync widget.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use git2::RemoteCallbacks;
use tokio_util::sync::CancellationToken;

/// Username and password for a remote, if any.
#[derive(Clone, Default)]
pub struct RemoteLogin {
    /// Login name (many hosts accept any name with a token as the password).
    pub username: Option<String>,
    /// Password or token, decrypted just before use.
    pub password: Option<String>,
}

impl RemoteLogin {
    /// Whether a username or a password is set.
    #[must_use]
    pub fn is_set(&self) -> bool {
        self.username.is_some() || self.password.is_some()
    }

    /// Login and password for Basic authentication, when set (the login `git` when only a
    /// password is: many hosts take any name with a token).
    #[must_use]
    pub fn basic(&self) -> Option<(&str, &str)> {
        self.is_set().then(|| {
            (
                self.username.as_deref().unwrap_or("git"),
                self.password.as_deref().unwrap_or(""),
            )
        })
    }
}

impl std::fmt::Debug for RemoteLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteLogin")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(set)"))
            .finish()
    }
}

/// Live counters of a running transfer, read by the status page.
#[derive(Debug, Default)]
pub struct Progress {
    /// Objects received (fetch) or written (push).
    pub objects_done: AtomicU64,
    /// Objects expected in all.
    pub objects_total: AtomicU64,
    /// Bytes moved so far.
    pub bytes: AtomicU64,
}

impl Progress {
    fn set(&self, done: usize, total: usize, bytes: usize) {
        self.objects_done.store(done as u64, Ordering::Relaxed);
        self.objects_total.store(total as u64, Ordering::Relaxed);
        self.bytes.store(bytes as u64, Ordering::Relaxed);
    }
}

/// Deadline, limit and cancel switch of one transfer.
#[derive(Debug, Clone)]
pub struct Limits {
    /// When to give up.
    pub deadline: Instant,
    /// The limit in seconds, for the message.
    pub timeout_secs: u64,
    /// Cancelled when someone stops the sync: every wait and callback of the transfer ends.
    pub cancel: CancellationToken,
}

impl Limits {
    /// Limits of `timeout_secs` from now, stopped early by `cancel`.
    #[must_use]
    pub fn new(timeout_secs: u64, cancel: CancellationToken) -> Self {
        Self {
            deadline: Instant::now() + std::time::Duration::from_secs(timeout_secs),
            timeout_secs,
            cancel,
        }
    }

    pub(super) fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Whether the transfer must stop now (deadline passed or cancelled).
    pub(super) fn must_stop(&self) -> bool {
        self.expired() || self.cancel.is_cancelled()
    }
}

/// Callbacks shared by fetch and push: deadline checks and progress (credentials never pass
/// through libgit2: our HTTP sends them).
pub(super) fn callbacks<'a>(limits: Limits, progress: &'a Arc<Progress>) -> RemoteCallbacks<'a> {
    let mut cbs = RemoteCallbacks::new();
    let fetch_progress = Arc::clone(progress);
    let fetch_limits = limits.clone();
    cbs.transfer_progress(move |stats| {
        fetch_progress.set(
            stats.received_objects(),
            stats.total_objects(),
            stats.received_bytes(),
        );
        !fetch_limits.must_stop()
    });
    let push_progress = Arc::clone(progress);
    cbs.push_transfer_progress(move |current, total, bytes| {
        push_progress.set(current, total, bytes);
    });
    cbs.sideband_progress(move |_| !limits.must_stop());
    cbs
}
