//! git2 transfers for mirroring: fetch from an upstream (one path: [`fetch_objects`], then
//! [`StagedPull::apply`]), push to a downstream. Blocking code — call it inside
//! `spawn_blocking`. libgit2 speaks the git protocol over our own HTTP
//! or SSH ([`transport`]); our code reads the ref advertisement first ([`advertisement`]), so a
//! sync with nothing to do costs that one request. Credentials live only in the transfer's
//! [`crate::net::remote_http::RemoteHttp`] or [`crate::net::remote_ssh::RemoteSsh`]; the
//! remote is anonymous, so nothing is written to the repository's config. Which refs move is
//! [`refs`]' business; why a transfer failed, in words, is [`error`]'s.

pub mod advertisement;
pub mod error;
pub mod filter;
pub mod lfs_pointers;
pub mod pack_index;
pub mod pack_push;
pub mod pull_plan;
pub mod ref_map;
pub mod ref_preview;
mod ref_write;
pub mod refs;
pub mod restore;
pub mod session;
pub mod shallow;
pub mod transport;

use std::{collections::BTreeMap, path::Path, sync::Arc, sync::atomic::Ordering};

use git2::{AutotagOption, FetchOptions, Oid, PushOptions, RemoteRedirect, Repository};

use self::{
    error::{TransferError, classify},
    refs::{diff, local_refs},
    session::callbacks,
    transport::{GitService, Registered, Transfer},
};
pub use self::{
    pull_plan::{MassDeletion, PullRules},
    refs::{RefChange, is_mirrored_ref},
    session::{Limits, Progress, RemoteLogin},
};

/// Which refs a push carries and how: only those `filter` selects (the others are neither
/// pushed nor deleted there), and with `keep_divergent` nothing forced or deleted there (a ref
/// whose remote value does not descend from ours is left as it is and reported `diverged`).
#[derive(Debug, Clone, Default)]
pub struct PushRules {
    /// The refs to carry.
    pub filter: filter::RefFilter,
    /// How their names change there (the filter judges the names here).
    pub map: ref_map::RefMap,
    /// Never force or delete on the remote.
    pub keep_divergent: bool,
}

/// What a transfer did.
#[derive(Debug, Default)]
pub struct TransferOutcome {
    /// True when the refs already matched and nothing was negotiated.
    pub up_to_date: bool,
    /// Every ref changed.
    pub changes: Vec<RefChange>,
    /// Objects transferred.
    pub objects: u64,
    /// Bytes transferred.
    pub bytes: u64,
    /// HTTP requests sent to the remote.
    pub requests: usize,
    /// LFS objects moved.
    pub lfs_objects: u64,
    /// Their bytes.
    pub lfs_bytes: u64,
}

/// A libgit2 error of `transfer` as a sentence: what our HTTP side saw, else libgit2's words.
fn failure(transfer: &Transfer, err: &git2::Error) -> TransferError {
    transfer.explain(classify(
        err,
        &transfer.remote_shown(),
        transfer.limits(),
        transfer.has_credentials(),
    ))
}

/// The advertised refs a mirror carries.
fn mirrored(refs: &BTreeMap<String, Oid>, with_notes: bool) -> BTreeMap<String, Oid> {
    refs.iter()
        .filter(|(name, _)| is_mirrored_ref(name, with_notes))
        .map(|(name, oid)| (name.clone(), *oid))
        .collect()
}

/// Both sides of a pull before it: the refs here the pull covers, and those there that the
/// filter selects, by their names here.
struct PullSides {
    /// The covered refs here.
    before: BTreeMap<String, Oid>,
    /// Whether the repository has no ref at all yet.
    first: bool,
    /// The remote's advertisement (one request).
    listed: advertisement::Advertisement,
    /// The selected refs a mirror carries from there, by their names there.
    sources: BTreeMap<String, Oid>,
    /// The same refs by their names here, with where each renamed one came from.
    advertised: ref_map::Mapped,
}

fn pull_sides(
    repo: &Repository,
    transfer: &Arc<Transfer>,
    rules: &PullRules,
) -> Result<PullSides, TransferError> {
    let fail = |e: git2::Error| failure(transfer, &e);
    let before = local_refs(repo, true)
        .map_err(fail)?
        .into_iter()
        .filter(|(name, _)| rules.covers(name))
        .collect();
    let first = refs::none_yet(repo).map_err(fail)?;
    let listed = transfer.advertise(GitService::UploadPack)?;
    let sources: BTreeMap<String, Oid> = mirrored(&listed.refs, true)
        .into_iter()
        .filter(|(name, _)| rules.filter.selects(name))
        .collect();
    let advertised = rules.map.apply(&sources, true)?;
    Ok(PullSides {
        before,
        first,
        listed,
        sources,
        advertised,
    })
}

/// A pull whose objects are here and whose refs have not moved yet: what comes between (the
/// LFS objects those commits point to) can still stop it.
#[derive(Debug)]
pub struct StagedPull {
    before: BTreeMap<String, Oid>,
    advertised: BTreeMap<String, Oid>,
    /// Mapped name → the upstream's name, for the refs a branch map renamed.
    sources: BTreeMap<String, String>,
    head: Option<String>,
    first: bool,
    outcome: TransferOutcome,
    /// The upstream's changes left as they are here (only fast-forwards are applied).
    diverged: Vec<RefChange>,
}

/// Fetches the objects of the refs `rules` select without moving a ref (one request when
/// the refs already match); [`StagedPull::apply`] then moves them. This is the one way a pull
/// goes: with LFS, the LFS objects are fetched between the two. With only fast-forwards, the
/// refs the upstream rewrote or deleted are planned to stay; with the mass-deletion guard, a
/// pull that would delete most refs here stops before anything is fetched.
///
/// # Errors
/// A [`TransferError`] describing what went wrong ([`TransferError::MassDeletion`] from the
/// guard).
pub fn fetch_objects(
    repo_path: &Path,
    transfer: &Arc<Transfer>,
    progress: &Arc<Progress>,
    rules: &PullRules,
) -> Result<StagedPull, TransferError> {
    let filter = &rules.filter;
    let repo = Repository::open_bare(repo_path).map_err(|e| TransferError::Other(e.to_string()))?;
    let fail = |e: git2::Error| failure(transfer, &e);
    let PullSides {
        before,
        first,
        listed,
        sources: fetched,
        advertised:
            ref_map::Mapped {
                refs: mut advertised,
                sources,
            },
    } = pull_sides(&repo, transfer, rules)?;
    if rules.mass_delete_guard
        && !rules.fast_forward_only
        && let Some(held) = pull_plan::mass_deletion(&before, &advertised)
    {
        return Err(TransferError::MassDeletion(held));
    }
    let mut outcome = TransferOutcome::default();
    // A shallow history shorter than the setting asks is deepened even when the refs match.
    let boundary = shallow::roots(repo_path);
    let tips: Vec<Oid> = before.values().copied().collect();
    let deepen = shallow::needs_deepening(&repo, &boundary, &tips, rules.depth);
    if advertised == before && !deepen {
        outcome.up_to_date = true;
    } else if !advertised.is_empty() {
        let registered = Registered::new(Arc::clone(transfer))?;
        // The received pack is indexed on every core; a repository with refs may receive a
        // thin pack, completed from its own objects.
        pack_index::install(&repo, !first).map_err(fail)?;
        let mut remote = repo.remote_anonymous(&registered.url()).map_err(fail)?;
        // Without a filter, every mirrored ref by pattern (libgit2 matches each advertised ref
        // against each refspec: one per ref would cost refs × refs); with one, by name. Only
        // objects are downloaded: the refs are named as the upstream names them.
        let refspecs: Vec<String> = if filter.is_empty() {
            ["refs/heads/*", "refs/tags/*", "refs/notes/*"]
                .iter()
                .map(|r| format!("+{r}:{r}"))
                .collect()
        } else {
            fetched.keys().map(|r| format!("+{r}:{r}")).collect()
        };
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(callbacks(transfer.limits().clone(), progress))
            .download_tags(AutotagOption::None)
            .update_fetchhead(false)
            .follow_redirects(RemoteRedirect::None)
            .depth(shallow::fetch_depth(rules.depth, !boundary.is_empty()));
        remote
            .download(&refspecs, Some(&mut options))
            .map_err(fail)?;
        let stats = remote.stats();
        outcome.objects = stats.received_objects() as u64;
        outcome.bytes = stats.received_bytes() as u64;
    }
    // With the objects here, what rewrites history shows; held back, those refs stay.
    let mut diverged = Vec::new();
    if rules.fast_forward_only && !outcome.up_to_date {
        let mut changes = diff(&before, &advertised);
        refs::mark_forced(&repo, &mut changes);
        pull_plan::hold_back(&mut changes, true);
        pull_plan::name_sources(&mut changes, &sources);
        diverged = changes.into_iter().filter(|c| c.diverged).collect();
        pull_plan::keep_diverged(&mut advertised, &before, &diverged);
        outcome.up_to_date = advertised == before;
    }
    outcome.requests = transfer.requests();
    let head = listed.head.map(|name| rules.map.name_of(&name));
    Ok(StagedPull {
        before,
        advertised,
        sources,
        head,
        first,
        outcome,
        diverged,
    })
}

impl StagedPull {
    /// Whether the refs already matched (nothing was fetched).
    #[must_use]
    pub fn up_to_date(&self) -> bool {
        self.outcome.up_to_date
    }

    /// The LFS objects the fetched commits point to (those not reachable before).
    ///
    /// # Errors
    /// The repository cannot be read.
    pub fn lfs_pointers(&self, repo_path: &Path) -> Result<BTreeMap<String, u64>, TransferError> {
        let repo =
            Repository::open_bare(repo_path).map_err(|e| TransferError::Other(e.to_string()))?;
        let tips: Vec<Oid> = self.advertised.values().copied().collect();
        let known: Vec<Oid> = self.before.values().copied().collect();
        lfs_pointers::introduced(&repo, &tips, &known)
            .map_err(|e| TransferError::Other(format!("could not read the fetched commits: {e}")))
    }

    /// Moves the refs to the remote's (deleting those it no longer has), points `HEAD` where
    /// the remote's does, and says what changed; `lfs` counts the LFS objects that came along.
    /// The old value of each ref deleted or moved to a commit that does not contain it is kept
    /// as a kept ref of run `run_id`, in the same ref transaction (`ref_write`).
    ///
    /// # Errors
    /// A ref cannot be written.
    pub fn apply(
        self,
        repo_path: &Path,
        lfs: (u64, u64),
        run_id: i64,
    ) -> Result<TransferOutcome, TransferError> {
        let repo =
            Repository::open_bare(repo_path).map_err(|e| TransferError::Other(e.to_string()))?;
        let written = |e: &dyn std::fmt::Display| {
            TransferError::Other(format!("could not write the refs: {e}"))
        };
        let mut outcome = self.outcome;
        let mut kept = std::collections::BTreeSet::new();
        if !outcome.up_to_date {
            if self.first {
                refs::create_packed(&repo, &self.advertised).map_err(|e| written(&e))?;
            } else {
                let writes = ref_write::RefWrites {
                    deletes: self
                        .before
                        .iter()
                        .filter(|(n, _)| !self.advertised.contains_key(*n))
                        .map(|(n, oid)| (n.clone(), *oid))
                        .collect(),
                    sets: self
                        .advertised
                        .iter()
                        .filter(|(n, oid)| self.before.get(*n) != Some(*oid))
                        .map(|(n, oid)| (n.clone(), self.before.get(n).copied(), *oid))
                        .collect(),
                };
                kept = writes.write(&repo, run_id).map_err(|e| written(&e))?;
            }
        }
        if let Some(branch) = self.head.filter(|b| b.starts_with("refs/heads/"))
            && repo.find_reference(&branch).is_ok()
        {
            repo.set_head(&branch).map_err(|e| written(&e))?;
        }
        let after = local_refs(&repo, true).map_err(|e| written(&e))?;
        let before_all = self.before;
        outcome.changes = diff(&before_all, &after)
            .into_iter()
            .filter(|c| before_all.contains_key(&c.name) || self.advertised.contains_key(&c.name))
            .collect();
        refs::mark_forced(&repo, &mut outcome.changes);
        pull_plan::name_sources(&mut outcome.changes, &self.sources);
        for change in &mut outcome.changes {
            change.kept = kept.contains(&change.name);
        }
        outcome.changes.extend(self.diverged);
        (outcome.lfs_objects, outcome.lfs_bytes) = lfs;
        Ok(outcome)
    }
}

/// What a push by `rules` of `local` (the refs here) would change on a remote that advertises
/// `advertised`: refs outside the filter left out, names mapped to the remote's (each change
/// naming its ref here when they differ), moves that are not fast-forwards marked forced, and
/// with `keep_divergent` every force and deletion marked diverged instead.
///
/// # Errors
/// The branch map lands two refs here on one name there (both named), or on a name that
/// cannot be.
pub fn plan_push(
    repo: &Repository,
    local: &BTreeMap<String, Oid>,
    advertised: &BTreeMap<String, Oid>,
    rules: &PushRules,
) -> Result<Vec<RefChange>, TransferError> {
    let selected: BTreeMap<String, Oid> = local
        .iter()
        .filter(|(name, _)| is_mirrored_ref(name, false) && rules.filter.selects(name))
        .map(|(name, oid)| (name.clone(), *oid))
        .collect();
    let mapped = rules.map.apply(&selected, false)?;
    let there: BTreeMap<String, Oid> = advertised
        .iter()
        .filter(|(name, _)| {
            is_mirrored_ref(name, false) && rules.map.could_produce(name, &rules.filter, false)
        })
        .map(|(name, oid)| (name.clone(), *oid))
        .collect();
    let mut changes = diff(&there, &mapped.refs);
    refs::mark_forced(repo, &mut changes);
    pull_plan::name_sources(&mut changes, &mapped.sources);
    if rules.keep_divergent {
        for change in &mut changes {
            change.diverged = change.new.is_none() || change.forced;
        }
    }
    Ok(changes)
}

/// The LFS objects a push by `rules` would make the remote need: those the commits of the
/// selected refs here point to, which the remote's refs do not reach (one request: the
/// remote's advertisement).
///
/// # Errors
/// The remote cannot be read, or the repository here.
pub fn lfs_to_push(
    repo_path: &Path,
    transfer: &Arc<Transfer>,
    rules: &PushRules,
) -> Result<BTreeMap<String, u64>, TransferError> {
    let repo = Repository::open_bare(repo_path).map_err(|e| TransferError::Other(e.to_string()))?;
    let local = local_refs(&repo, false).map_err(|e| failure(transfer, &e))?;
    let listed = transfer.advertise(GitService::ReceivePack)?;
    let tips: Vec<Oid> = local
        .iter()
        .filter(|(name, _)| rules.filter.selects(name))
        .map(|(_, oid)| *oid)
        .collect();
    let known: Vec<Oid> = listed.refs.values().copied().collect();
    lfs_pointers::introduced(&repo, &tips, &known)
        .map_err(|e| TransferError::Other(format!("could not read the commits to push: {e}")))
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
    transfer: &Arc<Transfer>,
    progress: &Arc<Progress>,
    rules: &PushRules,
) -> Result<TransferOutcome, TransferError> {
    push_mirror_with_threads(repo_path, transfer, progress, rules, default_pack_threads())
}

/// [`push_mirror`] with an explicit pack-builder thread count (for benchmarks).
///
/// # Errors
/// As [`push_mirror`].
pub fn push_mirror_with_threads(
    repo_path: &Path,
    transfer: &Arc<Transfer>,
    progress: &Arc<Progress>,
    rules: &PushRules,
    pack_threads: u32,
) -> Result<TransferOutcome, TransferError> {
    let repo = Repository::open_bare(repo_path).map_err(|e| TransferError::Other(e.to_string()))?;
    let fail = |e: git2::Error| failure(transfer, &e);
    let selected = |refs: BTreeMap<String, Oid>| -> BTreeMap<String, Oid> {
        refs.into_iter()
            .filter(|(name, _)| rules.filter.selects(name))
            .collect()
    };
    let local = local_refs(&repo, false).map_err(fail)?;
    let listed = transfer.advertise(GitService::ReceivePack)?;
    let changes = plan_push(&repo, &local, &listed.refs, rules)?;
    let local = selected(local);
    let mut outcome = TransferOutcome {
        up_to_date: changes.iter().all(|c| c.diverged),
        ..TransferOutcome::default()
    };
    if outcome.up_to_date {
        outcome.changes = changes;
        outcome.requests = transfer.requests();
        return Ok(outcome);
    }
    // Nothing there yet, everything here in one pack and every ref here pushed (so the pack
    // holds nothing the remote should not get): that pack is the push.
    if transfer.http().is_some()
        && pack_push::fits(&listed)
        && pack_push::every_ref_pushed(&repo, local.len())
        && let Some(pack) = pack_push::single_pack(repo_path)
    {
        return pack_push::push(transfer, &listed, &pack, changes, progress);
    }
    let registered = Registered::new(Arc::clone(transfer))?;
    let mut remote = repo.remote_anonymous(&registered.url()).map_err(fail)?;
    // Forced unless the remote keeps divergent refs (then only fast-forwards are left here).
    let force = if rules.keep_divergent { "" } else { "+" };
    let refspecs: Vec<String> = changes
        .iter()
        .filter(|c| !c.diverged)
        .map(|c| match c.new {
            Some(_) => format!(
                "{force}{}:{}",
                c.source_ref.as_deref().unwrap_or(&c.name),
                c.name
            ),
            None => format!(":{}", c.name),
        })
        .collect();

    let rejected = std::cell::RefCell::new(Vec::<String>::new());
    let mut cbs = callbacks(transfer.limits().clone(), progress);
    cbs.push_update_reference(|name, status| {
        if let Some(reason) = status {
            rejected.borrow_mut().push(format!("{name} ({reason})"));
        }
        Ok(())
    });
    let mut options = PushOptions::new();
    options
        .remote_callbacks(cbs)
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
    outcome.requests = transfer.requests();
    Ok(outcome)
}
