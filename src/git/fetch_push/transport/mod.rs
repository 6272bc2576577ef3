//! libgit2 keeps the git protocol; the connection is ours. Two smart subtransports are
//! registered once: `mf` carries each request of a transfer over that transfer's
//! [`RemoteHttp`] ([`http`]: checked addresses, TLS, keep-alive, no redirect, our timeouts),
//! `mfssh` runs the service over that transfer's [`RemoteSsh`] ([`ssh`]: checked address,
//! pinned host key, the repository's key from memory). libgit2 is given the URL `mf://tN/`
//! or `mfssh://tN/`, whose `N` finds the transfer's [`Transfer`] here. The ref advertisement
//! our code has already read is handed to libgit2, not asked for again.

mod http;
mod ssh;

use std::{
    collections::HashMap,
    io,
    sync::{
        Arc, LazyLock, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use git2::transport::Transport;

use self::ssh::OpenCommand;
use super::{Limits, advertisement::Advertisement, error::TransferError};
use crate::net::{remote_http::RemoteHttp, remote_ssh::RemoteSsh, ssh_host_key::HostKey};

/// The URL scheme of transfers over HTTP.
const HTTP_SCHEME: &str = "mf";
/// The URL scheme of transfers over SSH.
const SSH_SCHEME: &str = "mfssh";

/// Which of the two services a request serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GitService {
    /// Fetch.
    UploadPack,
    /// Push.
    ReceivePack,
}

impl GitService {
    fn name(self) -> &'static str {
        match self {
            Self::UploadPack => "git-upload-pack",
            Self::ReceivePack => "git-receive-pack",
        }
    }
}

/// The connection a transfer goes over.
pub enum Wire {
    /// Smart HTTP.
    Http(Arc<RemoteHttp>),
    /// SSH.
    Ssh(Arc<RemoteSsh>),
}

/// One transfer as the subtransport sees it.
pub struct Transfer {
    wire: Wire,
    runtime: tokio::runtime::Handle,
    limits: Limits,
    /// Ref advertisements already read over HTTP, served to libgit2 instead of a second
    /// request.
    advertisements: Mutex<HashMap<GitService, Bytes>>,
    /// The SSH command whose advertisement our code read, still running, for libgit2 to go on
    /// with.
    open_command: Mutex<Option<OpenCommand>>,
    /// What went wrong, in words, when our side of the connection failed libgit2.
    failure: Mutex<Option<TransferError>>,
}

impl Transfer {
    /// A transfer over `wire`, its async work run on `runtime`, bounded by `limits`.
    #[must_use]
    pub fn new(wire: Wire, runtime: tokio::runtime::Handle, limits: Limits) -> Self {
        Self {
            wire,
            runtime,
            limits,
            advertisements: Mutex::new(HashMap::new()),
            open_command: Mutex::new(None),
            failure: Mutex::new(None),
        }
    }

    /// The remote's HTTP connection, when the transfer goes over HTTP.
    #[must_use]
    pub fn http(&self) -> Option<&RemoteHttp> {
        match &self.wire {
            Wire::Http(http) => Some(http),
            Wire::Ssh(_) => None,
        }
    }

    /// The remote's address as shown (never with credentials).
    #[must_use]
    pub fn remote_shown(&self) -> String {
        match &self.wire {
            Wire::Http(http) => http.remote().to_string(),
            Wire::Ssh(ssh) => ssh.url().to_string(),
        }
    }

    /// Whether the remote is offered credentials (over SSH, always: the repository's key).
    #[must_use]
    pub fn has_credentials(&self) -> bool {
        match &self.wire {
            Wire::Http(http) => http.has_credentials(),
            Wire::Ssh(_) => true,
        }
    }

    /// HTTP requests sent, or SSH commands run, so far.
    #[must_use]
    pub fn requests(&self) -> usize {
        match &self.wire {
            Wire::Http(http) => http.requests(),
            Wire::Ssh(ssh) => ssh.commands(),
        }
    }

    /// The SSH host key to pin: one seen on a host the repository had no pin for.
    #[must_use]
    pub fn host_key_to_pin(&self) -> Option<HostKey> {
        match &self.wire {
            Wire::Http(_) => None,
            Wire::Ssh(ssh) => ssh.first_seen(),
        }
    }

    /// Ends an SSH command our code opened and libgit2 did not take (the refs already
    /// matched), here on the blocking thread rather than wherever the transfer is dropped.
    pub fn finish(&self) {
        let open = self
            .open_command
            .lock()
            .ok()
            .and_then(|mut open| open.take());
        drop(open);
    }

    /// The deadline, limit and cancel switch of this transfer.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Time left before the deadline.
    pub(super) fn remaining(&self) -> Duration {
        self.limits
            .deadline
            .saturating_duration_since(Instant::now())
    }

    /// Runs `future` on the runtime from this (blocking) thread, within the deadline; a
    /// cancel ends the wait at once (dropping the future drops its connection).
    pub(super) fn block_on<T>(&self, future: impl Future<Output = T>) -> Result<T, TransferError> {
        let remaining = self.remaining();
        let cancel = &self.limits.cancel;
        self.runtime.block_on(async {
            tokio::select! {
                biased;
                () = cancel.cancelled() => Err(TransferError::Cancelled),
                done = tokio::time::timeout(remaining, future) => {
                    done.map_err(|_| TransferError::Timeout(self.limits.timeout_secs))
                }
            }
        })
    }

    /// The sentence for what went wrong: what our side recorded, else the HTTP refusal,
    /// else `fallback`.
    #[must_use]
    pub fn explain(&self, fallback: TransferError) -> TransferError {
        if let Some(failure) = self.failure.lock().ok().and_then(|f| f.clone()) {
            return failure;
        }
        match self.http().and_then(RemoteHttp::refusal) {
            Some(refusal) => self.explain_refusal(refusal),
            None => fallback,
        }
    }

    /// Keeps the first failure and turns it into an I/O error for libgit2.
    fn fail(&self, failure: TransferError) -> io::Error {
        let message = failure.to_string();
        if let Ok(mut kept) = self.failure.lock() {
            kept.get_or_insert(failure);
        }
        io::Error::other(message)
    }

    /// Reads the remote's ref advertisement for `service`, keeps it for libgit2 (over SSH,
    /// with the command still running), and returns it parsed.
    ///
    /// # Errors
    /// The remote could not be reached or did not answer with an advertisement.
    pub fn advertise(&self, service: GitService) -> Result<Advertisement, TransferError> {
        match &self.wire {
            Wire::Http(http) => self.advertise_http(http, service),
            Wire::Ssh(ssh) => self.advertise_ssh(ssh, service),
        }
    }
}

/// Transfers libgit2 may be working on, by the number in their URL.
static TRANSFERS: LazyLock<Mutex<HashMap<u64, Arc<Transfer>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A transfer's place in [`TRANSFERS`], given up when dropped.
pub struct Registered {
    id: u64,
    scheme: &'static str,
}

impl Registered {
    /// Makes `transfer` reachable for libgit2 under [`Registered::url`].
    ///
    /// # Errors
    /// The subtransports could not be registered with libgit2.
    pub fn new(transfer: Arc<Transfer>) -> Result<Self, TransferError> {
        register_once()?;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let scheme = match transfer.wire {
            Wire::Http(_) => HTTP_SCHEME,
            Wire::Ssh(_) => SSH_SCHEME,
        };
        TRANSFERS
            .lock()
            .map_err(|_| TransferError::Other("the transfer registry is poisoned".to_owned()))?
            .insert(id, transfer);
        Ok(Self { id, scheme })
    }

    /// The URL to give libgit2.
    #[must_use]
    pub fn url(&self) -> String {
        format!("{}://t{}/", self.scheme, self.id)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut transfers) = TRANSFERS.lock() {
            transfers.remove(&self.id);
        }
    }
}

/// The transfer a URL of ours (`scheme://tN/`) names.
fn lookup(url: &str, scheme: &str) -> Option<Arc<Transfer>> {
    let id: u64 = url
        .strip_prefix(scheme)?
        .strip_prefix("://t")?
        .trim_end_matches('/')
        .parse()
        .ok()?;
    TRANSFERS.lock().ok()?.get(&id).cloned()
}

/// The error libgit2 sees for a URL whose transfer is gone.
fn ended() -> git2::Error {
    git2::Error::from_str("this transfer has ended (no such mirrorforge transfer)")
}

/// Why libgit2 would not take our subtransports (its words).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
struct RegisterError(String);

/// Registers both subtransports with libgit2, once per process.
fn register_once() -> Result<(), TransferError> {
    static REGISTERED: OnceLock<Result<(), RegisterError>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // SAFETY: `register` must not race other transport registrations or lookups;
            // the OnceLock makes this the process's only registration, and it runs before
            // the first transfer that could look the schemes up.
            #[allow(unsafe_code)]
            unsafe {
                git2::transport::register(HTTP_SCHEME, |remote| {
                    // Stateless: one request per step, as HTTP is.
                    Transport::smart(remote, true, http::Subtransport)
                })
                .and_then(|()| {
                    git2::transport::register(SSH_SCHEME, |remote| {
                        // Stateful: one command's stream for the whole conversation.
                        Transport::smart(remote, false, ssh::Subtransport)
                    })
                })
            }
            .map_err(|e| RegisterError(e.to_string()))
        })
        .clone()
        .map_err(|e| TransferError::Other(format!("could not set up the transfer: {e}")))
}
