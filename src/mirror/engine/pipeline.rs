//! One sync's work: pull from the upstream and/or push to every enabled push mirror in id order
//! (one failing does not stop the others), each transfer over its own HTTP or SSH connection, libgit2
//! on the blocking pool inside the sync's tracing span.

use std::{path::PathBuf, sync::Arc};

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{OneTimeClone, RunResult, Target};
use crate::{
    config::Config,
    entities::{mirror_enums::MirrorDirection, push_mirror, repository},
    git::mirror::transport::Transfer,
    git::mirror::{
        self as transfer, Credentials, Limits, Outcome, Progress, PushRules, error::TransferError,
        filter::RefFilter,
    },
    mirror::{
        connect::{self, SshAccess},
        lfs,
        secrets::SecretBox,
    },
};

/// Which way one transfer goes.
#[derive(Debug, Clone)]
enum Way {
    /// A pull, of the refs its filter selects.
    Pull(RefFilter),
    /// A push, with its target's rules.
    Push(PushRules),
}

/// What a sync needs beyond the repository row.
pub(super) struct Pipeline<'a> {
    pub db: &'a DatabaseConnection,
    pub config: &'a Config,
    pub secrets: &'a SecretBox,
    /// Stops every transfer of the sync; what ended before is kept.
    pub cancel: CancellationToken,
}

impl Pipeline<'_> {
    /// Runs the sync of `repo` (at `path`) in `direction`, pushing to `targets` (its enabled
    /// push mirrors, oldest first); `one_time` replaces the upstream and its credentials for an
    /// import that keeps no mirror.
    pub(super) async fn perform(
        &self,
        repo: &repository::Model,
        targets: &[push_mirror::Model],
        path: PathBuf,
        direction: MirrorDirection,
        one_time: Option<OneTimeClone>,
        progress: &Arc<Progress>,
    ) -> RunResult {
        tracing::info!(direction = %direction.as_str(), "Performing mirror sync");
        let failed = RunResult::failed;
        let mut done = Vec::new();
        if self.cancel.is_cancelled() {
            return RunResult::Cancelled(done);
        }
        if direction.pulls() {
            let source = match &one_time {
                Some(clone) => Ok((Some(clone.url.clone()), clone.credentials.clone())),
                None => connect::upstream_credentials(self.secrets, repo)
                    .map(|creds| (repo.upstream_url.clone(), creds)),
            };
            // A one-time clone takes everything; a mirror what its filter selects.
            let filter = match &one_time {
                Some(_) => RefFilter::default(),
                None => RefFilter::from_json(&repo.upstream_ref_filter),
            };
            let pushes = direction.pushes();
            let (url, creds) = match source {
                Ok((Some(url), creds)) => (url, creds),
                Ok((None, _)) => {
                    return RunResult::pull_failed(
                        "no upstream URL is set".to_owned(),
                        false,
                        pushes,
                    );
                }
                Err(message) => return RunResult::pull_failed(message, false, pushes),
            };
            match self
                .transfer(repo, Way::Pull(filter), &url, creds, path.clone(), progress)
                .await
            {
                Ok(outcome) => {
                    tracing::info!("Upstream sync completed");
                    if !outcome.up_to_date {
                        crate::git::maintenance::after_update(&path);
                    }
                    done.push((Target::Upstream, outcome));
                }
                Err(TransferError::Cancelled) => return RunResult::Cancelled(done),
                Err(e) => return RunResult::pull_failed(e.to_string(), e.is_transient(), pushes),
            }
        }
        if direction.pushes() {
            if targets.is_empty() {
                return failed(self.nowhere_to_push(repo.id).await.to_owned(), false);
            }
            let mut failed_pushes = Vec::new();
            let mut sentences = Vec::new();
            let mut transient = true;
            for target in targets {
                if self.cancel.is_cancelled() {
                    return RunResult::Cancelled(done);
                }
                match self.push_to(repo, target, path.clone(), progress).await {
                    Ok(outcome) => {
                        tracing::info!(push_mirror_id = target.id, "Downstream sync completed");
                        done.push((Target::PushMirror(target.id), outcome));
                    }
                    Err(_) if self.cancel.is_cancelled() => return RunResult::Cancelled(done),
                    Err((sentence, retry_sooner)) => {
                        transient &= retry_sooner;
                        sentences.push(format!("push {}: {sentence}", target.remote_url));
                        failed_pushes.push((target.id, sentence));
                    }
                }
            }
            if !failed_pushes.is_empty() {
                return RunResult::Failed {
                    message: sentences.join("; "),
                    transient,
                    done,
                    failed_pushes,
                    pull_error: None,
                };
            }
        }
        RunResult::Done(done)
    }

    /// Why a push has no target: none is set, or each one set is switched off (it exists, it
    /// is off, as Gitea shows it).
    async fn nowhere_to_push(&self, repo_id: i64) -> &'static str {
        match crate::mirror::push_mirrors::list(self.db, repo_id).await {
            Ok(all) => crate::mirror::state::nowhere_to_push(&all),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the push mirrors");
                "no push mirror is set"
            }
        }
    }

    /// One push to `target`: its credentials decrypted, then the transfer. On failure, the
    /// sentence (free of credentials) and whether to retry sooner.
    async fn push_to(
        &self,
        repo: &repository::Model,
        target: &push_mirror::Model,
        path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<Outcome, (String, bool)> {
        let creds = connect::push_credentials(self.secrets, target).map_err(|e| (e, false))?;
        let rules = PushRules {
            filter: RefFilter::from_json(&target.ref_filter),
            keep_divergent: target.keep_divergent_refs,
        };
        self.transfer(
            repo,
            Way::Push(rules),
            &target.remote_url,
            creds,
            path,
            progress,
        )
        .await
        .map_err(|e| (e.to_string(), e.is_transient()))
    }

    /// One fetch or push of `repo` (at `repo_path`), over its own HTTP or SSH connection to
    /// the remote (addresses checked when connecting, no redirect followed); an SSH host key
    /// met for the first time is pinned, whatever the outcome.
    async fn transfer(
        &self,
        repo: &repository::Model,
        way: Way,
        url: &str,
        creds: Credentials,
        repo_path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<Outcome, TransferError> {
        let limits = Limits::new(self.config.sync_timeout, self.cancel.clone());
        let ssh = SshAccess::for_remote(self.db, self.secrets, repo, url)
            .await
            .map_err(TransferError::Other)?;
        let transfer = connect::transfer_to(self.config, url, &creds, ssh, limits.clone())?;
        if let Way::Pull(filter) = &way
            && repo.lfs_enabled
        {
            let outcome = self
                .pull_with_lfs(
                    repo,
                    filter.clone(),
                    url,
                    &creds,
                    &transfer,
                    repo_path,
                    progress,
                )
                .await;
            connect::pin_host_key(self.db, repo.id, &transfer).await;
            return outcome;
        }
        let mut lfs_pushed = (0, 0);
        if let Way::Push(rules) = &way
            && repo.lfs_enabled
        {
            lfs_pushed = self
                .push_lfs(
                    repo,
                    rules.clone(),
                    url,
                    &creds,
                    &transfer,
                    repo_path.clone(),
                )
                .await?;
        }
        let progress = Arc::clone(progress);
        let span = tracing::Span::current();
        let working = Arc::clone(&transfer);
        let outcome = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let outcome = match way {
                Way::Pull(filter) => {
                    transfer::fetch_mirror(&repo_path, &working, &progress, &filter)
                }
                Way::Push(rules) => transfer::push_mirror(&repo_path, &working, &progress, &rules),
            };
            working.finish();
            outcome
        })
        .in_current_span()
        .await
        .unwrap_or_else(|e| Err(TransferError::Other(format!("internal error: {e}"))));
        connect::pin_host_key(self.db, repo.id, &transfer).await;
        outcome.map(|mut outcome| {
            (outcome.lfs_objects, outcome.lfs_bytes) = lfs_pushed;
            outcome
        })
    }

    /// Before a push: uploads the LFS objects its refs need and the target lacks; the objects
    /// and bytes uploaded.
    async fn push_lfs(
        &self,
        repo: &repository::Model,
        rules: PushRules,
        url: &str,
        creds: &Credentials,
        transfer: &Arc<Transfer>,
        repo_path: PathBuf,
    ) -> Result<(u64, u64), TransferError> {
        let working = Arc::clone(transfer);
        let pointers = tokio::task::spawn_blocking(move || {
            let pointers = transfer::lfs_to_push(&repo_path, &working, &rules);
            working.finish();
            pointers
        })
        .await
        .unwrap_or_else(|e| Err(TransferError::Other(format!("internal error: {e}"))))?;
        within(
            transfer.limits(),
            lfs::push_objects(self.db, self.config, repo, url, creds, transfer, &pointers),
        )
        .await
    }

    /// A pull that also carries LFS objects: the git objects first, then every LFS object
    /// their commits point to, and only then the refs (a missing object leaves them where
    /// they were).
    #[allow(clippy::too_many_arguments)]
    async fn pull_with_lfs(
        &self,
        repo: &repository::Model,
        filter: RefFilter,
        url: &str,
        creds: &Credentials,
        transfer: &Arc<Transfer>,
        repo_path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<Outcome, TransferError> {
        let span = tracing::Span::current();
        let (working, path, progress) = (
            Arc::clone(transfer),
            repo_path.clone(),
            Arc::clone(progress),
        );
        let staged = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let staged =
                transfer::fetch_objects(&path, &working, &progress, &filter).and_then(|staged| {
                    let pointers = staged.lfs_pointers(&path)?;
                    Ok((staged, pointers))
                });
            working.finish();
            staged
        })
        .in_current_span()
        .await
        .unwrap_or_else(|e| Err(TransferError::Other(format!("internal error: {e}"))))?;
        let (staged, pointers) = staged;
        let lfs_creds = connect::lfs_credentials(self.secrets, repo, url, creds)
            .map_err(TransferError::Other)?;
        let fetched = within(
            transfer.limits(),
            lfs::pull_objects(
                self.db,
                self.config,
                repo,
                url,
                &lfs_creds,
                transfer,
                &pointers,
            ),
        )
        .await?;
        tokio::task::spawn_blocking(move || staged.apply(&repo_path, fetched))
            .await
            .unwrap_or_else(|e| Err(TransferError::Other(format!("internal error: {e}"))))
    }
}

/// Runs `work` (the LFS part of a transfer) within the transfer's deadline, until a cancel.
async fn within<T>(
    limits: &Limits,
    work: impl Future<Output = Result<T, String>>,
) -> Result<T, TransferError> {
    let remaining = limits
        .deadline
        .saturating_duration_since(std::time::Instant::now());
    tokio::select! {
        biased;
        () = limits.cancel.cancelled() => Err(TransferError::Cancelled),
        done = tokio::time::timeout(remaining, work) => done
            .map_err(|_| TransferError::Timeout(limits.timeout_secs))?
            .map_err(TransferError::Other),
    }
}
