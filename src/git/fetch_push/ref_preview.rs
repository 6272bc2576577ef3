//! What a sync would change, read from the remotes' ref advertisements alone: nothing is
//! fetched, pushed or written. Blocking (it opens the repository): call it inside
//! `spawn_blocking`.

use std::{collections::BTreeMap, path::Path, sync::Arc};

use git2::{Oid, Repository};

use super::{
    PullRules, PushRules, RefChange,
    error::TransferError,
    mirrored, plan_push, pull_plan,
    refs::{diff, local_refs, mark_forced},
    transport::{GitService, Transfer},
};

/// The refs here, and what a pull would make of them.
#[derive(Debug, Clone)]
pub struct PullPlan {
    /// Each ref the pull would create, move, force or delete here.
    pub changes: Vec<RefChange>,
    /// The refs here once it did.
    pub after: BTreeMap<String, Oid>,
}

fn open(repo_path: &Path) -> Result<Repository, TransferError> {
    Repository::open_bare(repo_path).map_err(|e| TransferError::Other(e.to_string()))
}

/// The refs a mirror carries here now.
///
/// # Errors
/// The repository cannot be read.
pub fn local(repo_path: &Path) -> Result<BTreeMap<String, Oid>, TransferError> {
    let repo = open(repo_path)?;
    local_refs(&repo, true).map_err(|e| TransferError::Other(e.to_string()))
}

/// What a pull through `transfer` by `rules` would change here (one request: the
/// upstream's advertisement); with only fast-forwards, deletions and moves that rewrite
/// history are listed diverged and stay. A move to a commit not here yet reads as an update:
/// whether it rewrites history shows only once it is fetched.
///
/// # Errors
/// The upstream cannot be read, or the repository here.
pub fn pull(
    repo_path: &Path,
    transfer: &Arc<Transfer>,
    rules: &PullRules,
) -> Result<PullPlan, TransferError> {
    let repo = open(repo_path)?;
    let here = local_refs(&repo, true).map_err(|e| TransferError::Other(e.to_string()))?;
    let listed = transfer.advertise(GitService::UploadPack)?;
    let before: BTreeMap<String, Oid> = here
        .iter()
        .filter(|(name, _)| rules.covers(name))
        .map(|(name, oid)| (name.clone(), *oid))
        .collect();
    let sources: BTreeMap<String, Oid> = mirrored(&listed.refs, true)
        .into_iter()
        .filter(|(name, _)| rules.filter.selects(name))
        .collect();
    let advertised = rules.map.apply(&sources, true)?;
    let mut changes = diff(&before, &advertised.refs);
    mark_forced(&repo, &mut changes);
    pull_plan::hold_back(&mut changes, rules.fast_forward_only);
    pull_plan::name_sources(&mut changes, &advertised.sources);
    let mut after: BTreeMap<String, Oid> = here
        .into_iter()
        .filter(|(name, _)| !rules.covers(name))
        .collect();
    after.extend(advertised.refs);
    pull_plan::keep_diverged(&mut after, &before, &changes);
    Ok(PullPlan { changes, after })
}

/// What a push of `local` (the refs here, or as a pull would leave them) through `transfer`
/// with `rules` would change there (one request: the target's advertisement).
///
/// # Errors
/// The target cannot be read, or the repository here.
pub fn push(
    repo_path: &Path,
    transfer: &Arc<Transfer>,
    rules: &PushRules,
    local: &BTreeMap<String, Oid>,
) -> Result<Vec<RefChange>, TransferError> {
    let repo = open(repo_path)?;
    let listed = transfer.advertise(GitService::ReceivePack)?;
    plan_push(&repo, local, &listed.refs, rules)
}
