//! git2 transfers for mirroring: fetch from an upstream, push to a downstream. Blocking code —
//! call it inside `spawn_blocking`, with `via` the URL of the transfer's egress. Credentials go
//! only through the credentials callback; the remote is anonymous, so nothing is written to the
//! repository's config.

use std::{
    collections::BTreeMap,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use git2::{
    AutotagOption, Cred, CredentialType, Direction, FetchOptions, FetchPrune, Oid, ProxyOptions,
    PushOptions, RemoteCallbacks, RemoteRedirect, Repository,
};

use super::mirror_error::{TransferError, classify};
use crate::net::remote_url::RemoteUrl;

/// Username and password for a remote, if any.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Login name (many hosts accept any name with a token as the password).
    pub username: Option<String>,
    /// Password or token, decrypted just before use.
    pub password: Option<String>,
}

impl Credentials {
    /// Whether a username or a password is set.
    #[must_use]
    pub fn is_set(&self) -> bool {
        self.username.is_some() || self.password.is_some()
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
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

/// One ref a transfer created (`old` None), moved, or deleted (`new` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    /// Full ref name.
    pub name: String,
    /// Id before.
    pub old: Option<String>,
    /// Id after.
    pub new: Option<String>,
}

/// What a transfer did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// True when the refs already matched and nothing was negotiated.
    pub up_to_date: bool,
    /// Every ref changed.
    pub changes: Vec<RefChange>,
    /// Objects transferred.
    pub objects: u64,
    /// Bytes transferred.
    pub bytes: u64,
}

/// Deadline and limit of one transfer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// When to give up.
    pub deadline: Instant,
    /// The limit in seconds, for the message.
    pub timeout_secs: u64,
}

impl Limits {
    pub(super) fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

/// Refs a mirror carries: branches, tags and notes (never host-internal ones such as
/// `refs/pull/*` or `refs/merge-requests/*`, nor peeled `^{}` entries).
#[must_use]
pub fn is_mirrored_ref(name: &str, with_notes: bool) -> bool {
    !name.ends_with("^{}")
        && (name.starts_with("refs/heads/")
            || name.starts_with("refs/tags/")
            || (with_notes && name.starts_with("refs/notes/")))
}

/// Sets libgit2's process-wide connect and read timeouts.
///
/// # Errors
/// libgit2 refused the option.
#[allow(unsafe_code)]
pub fn set_network_timeouts(timeout_secs: u64) -> Result<(), git2::Error> {
    let millis = i32::try_from(timeout_secs.saturating_mul(1000)).unwrap_or(i32::MAX);
    // SAFETY: these only store an integer in libgit2's global settings; we call them at start-up
    // (and in tests) before and between transfers, which libgit2 documents as safe.
    unsafe {
        git2::opts::set_server_connect_timeout_in_milliseconds(millis)?;
        git2::opts::set_server_timeout_in_milliseconds(millis)?;
    }
    Ok(())
}

/// No proxy at all, not one from the environment either: the egress is the way out.
fn no_proxy() -> ProxyOptions<'static> {
    ProxyOptions::new()
}

/// Makes libgit2 refuse every redirect, also while listing refs (where the connect options
/// cannot be passed): it reads `http.followRedirects` from the repository's config.
fn forbid_redirects(repo: &Repository) -> Result<(), git2::Error> {
    let mut config = repo.config()?;
    if config.get_bool("http.followRedirects").ok() != Some(false) {
        config.set_str("http.followRedirects", "false")?;
    }
    Ok(())
}

fn local_refs(repo: &Repository, with_notes: bool) -> Result<BTreeMap<String, Oid>, git2::Error> {
    let mut refs = BTreeMap::new();
    for reference in repo.references()? {
        let reference = reference?;
        let (Ok(name), Some(oid)) = (reference.name(), reference.target()) else {
            continue;
        };
        if is_mirrored_ref(name, with_notes) {
            refs.insert(name.to_owned(), oid);
        }
    }
    Ok(refs)
}

fn diff(before: &BTreeMap<String, Oid>, after: &BTreeMap<String, Oid>) -> Vec<RefChange> {
    let mut changes = Vec::new();
    for (name, old) in before {
        match after.get(name) {
            Some(new) if new == old => {}
            new => changes.push(RefChange {
                name: name.clone(),
                old: Some(old.to_string()),
                new: new.map(Oid::to_string),
            }),
        }
    }
    for (name, new) in after {
        if !before.contains_key(name) {
            changes.push(RefChange {
                name: name.clone(),
                old: None,
                new: Some(new.to_string()),
            });
        }
    }
    changes
}

/// Callbacks shared by fetch and push: one credential attempt, deadline checks, progress.
fn callbacks<'a>(
    creds: &'a Credentials,
    limits: Limits,
    progress: &'a Arc<Progress>,
) -> RemoteCallbacks<'a> {
    let mut cbs = RemoteCallbacks::new();
    let mut attempts = 0;
    cbs.credentials(move |_url, _username_from_url, allowed| {
        attempts += 1;
        let auth_failed = || {
            git2::Error::new(
                git2::ErrorCode::Auth,
                git2::ErrorClass::Http,
                "authentication failed",
            )
        };
        if attempts > 1 || !allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            return Err(auth_failed());
        }
        match (&creds.username, &creds.password) {
            (None, None) => Err(auth_failed()),
            (user, password) => Cred::userpass_plaintext(
                user.as_deref().unwrap_or("git"),
                password.as_deref().unwrap_or(""),
            ),
        }
    });
    let fetch_progress = Arc::clone(progress);
    cbs.transfer_progress(move |stats| {
        fetch_progress.set(
            stats.received_objects(),
            stats.total_objects(),
            stats.received_bytes(),
        );
        !limits.expired()
    });
    let push_progress = Arc::clone(progress);
    cbs.push_transfer_progress(move |current, total, bytes| {
        push_progress.set(current, total, bytes);
    });
    cbs.sideband_progress(move |_| !limits.expired());
    cbs
}

/// Makes the local branches, tags and notes equal to the remote's: forced, pruned.
/// Compares the advertised refs first and negotiates nothing when they already match.
///
/// # Errors
/// A [`TransferError`] describing what went wrong.
pub fn fetch_mirror(
    repo_path: &Path,
    remote_url: &RemoteUrl,
    via: &str,
    creds: &Credentials,
    limits: Limits,
    progress: &Arc<Progress>,
) -> Result<Outcome, TransferError> {
    let fail = |e: git2::Error| classify(&e, remote_url.as_str(), limits, creds.is_set());
    let repo = Repository::open_bare(repo_path).map_err(|e| TransferError::Other(e.to_string()))?;
    forbid_redirects(&repo).map_err(fail)?;
    let before = local_refs(&repo, true).map_err(fail)?;
    let mut remote = repo.remote_anonymous(via).map_err(fail)?;

    let (advertised, default_branch) = {
        let connection = remote
            .connect_auth(
                Direction::Fetch,
                Some(callbacks(creds, limits, progress)),
                Some(no_proxy()),
            )
            .map_err(fail)?;
        let advertised: BTreeMap<String, Oid> = connection
            .list()
            .map_err(fail)?
            .iter()
            .filter(|head| is_mirrored_ref(head.name(), true))
            .map(|head| (head.name().to_owned(), head.oid()))
            .collect();
        let default_branch = connection
            .default_branch()
            .ok()
            .and_then(|buf| buf.as_str().ok().map(str::to_owned));
        (advertised, default_branch)
    };
    let _ = remote.disconnect();

    let mut outcome = Outcome::default();
    if advertised == before {
        outcome.up_to_date = true;
    } else {
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(callbacks(creds, limits, progress))
            .proxy_options(no_proxy())
            .prune(FetchPrune::On)
            .download_tags(AutotagOption::None)
            .update_fetchhead(false)
            .follow_redirects(RemoteRedirect::None);
        let refspecs = [
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
            "+refs/notes/*:refs/notes/*",
        ];
        remote
            .fetch(&refspecs, Some(&mut options), None)
            .map_err(fail)?;
        let stats = remote.stats();
        outcome.objects = stats.received_objects() as u64;
        outcome.bytes = stats.received_bytes() as u64;
        // Prune by the advertisement too: whatever the remote did not list goes.
        for name in before.keys().filter(|n| !advertised.contains_key(*n)) {
            if let Ok(mut reference) = repo.find_reference(name) {
                reference.delete().map_err(fail)?;
            }
        }
    }
    if let Some(branch) = default_branch.filter(|b| b.starts_with("refs/heads/"))
        && repo.find_reference(&branch).is_ok()
    {
        repo.set_head(&branch).map_err(fail)?;
    }
    let after = local_refs(&repo, true).map_err(fail)?;
    outcome.changes = diff(&before, &after);
    Ok(outcome)
}

/// Threads the pack builder uses for a push: one per core (libgit2's default is one).
#[must_use]
pub fn default_pack_threads() -> u32 {
    std::thread::available_parallelism()
        .ok()
        .and_then(|n| u32::try_from(n.get()).ok())
        .unwrap_or(1)
}

/// Makes the remote's branches and tags equal to the local ones (the effect of
/// `git push --mirror`): forced updates, and deletion of what no longer exists here.
///
/// # Errors
/// A [`TransferError`]; refs the remote refused are named in [`TransferError::Rejected`].
pub fn push_mirror(
    repo_path: &Path,
    remote_url: &RemoteUrl,
    via: &str,
    creds: &Credentials,
    limits: Limits,
    progress: &Arc<Progress>,
) -> Result<Outcome, TransferError> {
    push_mirror_with_threads(
        repo_path,
        remote_url,
        via,
        creds,
        limits,
        progress,
        default_pack_threads(),
    )
}

/// [`push_mirror`] with an explicit pack-builder thread count (for benchmarks).
///
/// # Errors
/// As [`push_mirror`].
pub fn push_mirror_with_threads(
    repo_path: &Path,
    remote_url: &RemoteUrl,
    via: &str,
    creds: &Credentials,
    limits: Limits,
    progress: &Arc<Progress>,
    pack_threads: u32,
) -> Result<Outcome, TransferError> {
    let fail = |e: git2::Error| classify(&e, remote_url.as_str(), limits, creds.is_set());
    let repo = Repository::open_bare(repo_path).map_err(|e| TransferError::Other(e.to_string()))?;
    forbid_redirects(&repo).map_err(fail)?;
    let local = local_refs(&repo, false).map_err(fail)?;
    let mut remote = repo.remote_anonymous(via).map_err(fail)?;
    let advertised: BTreeMap<String, Oid> = {
        let connection = remote
            .connect_auth(
                Direction::Push,
                Some(callbacks(creds, limits, progress)),
                Some(no_proxy()),
            )
            .map_err(fail)?;
        connection
            .list()
            .map_err(fail)?
            .iter()
            .filter(|head| is_mirrored_ref(head.name(), false))
            .map(|head| (head.name().to_owned(), head.oid()))
            .collect()
    };
    let _ = remote.disconnect();

    let changes = diff(&advertised, &local);
    let mut outcome = Outcome {
        up_to_date: changes.is_empty(),
        ..Outcome::default()
    };
    if changes.is_empty() {
        return Ok(outcome);
    }
    let refspecs: Vec<String> = changes
        .iter()
        .map(|c| match c.new {
            Some(_) => format!("+{0}:{0}", c.name),
            None => format!(":{}", c.name),
        })
        .collect();

    let rejected = std::cell::RefCell::new(Vec::<String>::new());
    let mut cbs = callbacks(creds, limits, progress);
    cbs.push_update_reference(|name, status| {
        if let Some(reason) = status {
            rejected.borrow_mut().push(format!("{name} ({reason})"));
        }
        Ok(())
    });
    let mut options = PushOptions::new();
    options
        .remote_callbacks(cbs)
        .proxy_options(no_proxy())
        .packbuilder_parallelism(pack_threads.max(1))
        .follow_redirects(RemoteRedirect::None);
    remote.push(&refspecs, Some(&mut options)).map_err(fail)?;
    drop(options);
    let rejected = rejected.into_inner();
    if !rejected.is_empty() {
        return Err(TransferError::Rejected(rejected.join(", ")));
    }
    outcome.objects = progress.objects_done.load(Ordering::Relaxed);
    outcome.bytes = progress.bytes.load(Ordering::Relaxed);
    outcome.changes = changes;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrored_refs_exclude_host_internal_ones() {
        assert!(is_mirrored_ref("refs/heads/main", false));
        assert!(is_mirrored_ref("refs/tags/v1", false));
        assert!(!is_mirrored_ref("refs/tags/v1^{}", false));
        assert!(!is_mirrored_ref("refs/pull/1/head", true));
        assert!(!is_mirrored_ref("refs/merge-requests/1/head", true));
        assert!(!is_mirrored_ref("HEAD", true));
        assert!(is_mirrored_ref("refs/notes/commits", true));
        assert!(!is_mirrored_ref("refs/notes/commits", false));
    }

    #[test]
    fn diff_lists_created_moved_and_deleted() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let before = BTreeMap::from([
            ("refs/heads/x".to_owned(), a),
            ("refs/heads/gone".to_owned(), a),
        ]);
        let after = BTreeMap::from([
            ("refs/heads/x".to_owned(), b),
            ("refs/heads/new".to_owned(), b),
        ]);
        let changes = diff(&before, &after);
        assert_eq!(changes.len(), 3);
        assert!(
            changes
                .iter()
                .any(|c| c.name == "refs/heads/gone" && c.new.is_none())
        );
        assert!(
            changes
                .iter()
                .any(|c| c.name == "refs/heads/new" && c.old.is_none())
        );
    }
}
