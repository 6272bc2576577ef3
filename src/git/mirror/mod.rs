//! git2 transfers for mirroring: fetch from an upstream, push to a downstream. Blocking code —
//! call it inside `spawn_blocking`, with `via` the URL of the transfer's egress. Credentials go
//! only through the credentials callback ([`session`]); the remote is anonymous, so nothing is
//! written to the repository's config. Which refs move is [`refs`]' business; why a transfer
//! failed, in words, is [`error`]'s.

pub mod error;
pub mod refs;
pub mod session;

use std::{collections::BTreeMap, path::Path, sync::Arc, sync::atomic::Ordering};

use git2::{
    AutotagOption, Direction, FetchOptions, FetchPrune, Oid, ProxyOptions, PushOptions,
    RemoteRedirect, Repository,
};

use self::{
    error::{TransferError, classify},
    refs::{diff, local_refs},
    session::callbacks,
};
pub use self::{
    refs::{RefChange, is_mirrored_ref},
    session::{Credentials, Limits, Progress},
};
use crate::net::remote_url::RemoteUrl;

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
