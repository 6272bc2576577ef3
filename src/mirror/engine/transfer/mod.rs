//! One transfer of a sync, in one room: the remote made once from the stored row ([`remote`]:
//! URL parsed once, login, SSH key and pins) and handed by reference to git, SSH, HTTP and LFS
//! ([`lfs_objects`]); why it failed, typed ([`error`]).

pub mod error;
pub mod lfs_objects;
pub mod remote;

use std::{path::PathBuf, sync::Arc};

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use self::{
    error::{LfsObjectsError, SyncError},
    lfs_objects::LfsObjects,
    remote::{Connected, Remote, Side, Way},
};
use super::OneTimeClone;
use crate::{
    config::Config,
    entities::{push_mirror, repository},
    git::fetch_push::{
        self as fetch_push, Limits, Progress, PullRules, PushRules, TransferOutcome,
        error::TransferError, transport::Transfer,
    },
    mirror::{host_keys, secrets::SecretBox},
};

/// What the transfers of one sync share.
pub(in crate::mirror::engine) struct Transfers<'a> {
    /// The pinned host keys and the LFS links.
    pub db: &'a DatabaseConnection,
    /// Limits, the address policy, the data directory.
    pub config: &'a Config,
    /// Opens the stored logins and keys.
    pub secrets: &'a SecretBox,
    /// Stops every transfer of the sync.
    pub cancel: &'a CancellationToken,
    /// The run they belong to: what a pull overwrites is kept under its id.
    pub run_id: i64,
    /// This run's pull goes without the mass-deletion guard ("Sync anyway").
    pub allow_mass_delete: bool,
}

impl Transfers<'_> {
    /// The pull of `repo` (at `repo_path`) from its upstream with its stored login and ref
    /// filter; or, for an import that keeps no mirror, from `one_time`'s URL with its login,
    /// taking every ref.
    ///
    /// # Errors
    /// The login does not decrypt, no upstream is set, or the transfer failed.
    pub(in crate::mirror::engine) async fn pull_upstream(
        &self,
        repo: &repository::Model,
        one_time: Option<&OneTimeClone>,
        repo_path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<TransferOutcome, SyncError> {
        let side = one_time.map_or(Side::Upstream, Side::OneTime);
        self.run(repo, side, repo_path, progress).await
    }

    /// The push of `repo` (at `repo_path`) to `target`, with its stored login and its rules.
    ///
    /// # Errors
    /// The login does not decrypt, or the transfer failed.
    pub(in crate::mirror::engine) async fn push_to(
        &self,
        repo: &repository::Model,
        target: &push_mirror::Model,
        repo_path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<TransferOutcome, SyncError> {
        self.run(repo, Side::PushMirror(target), repo_path, progress)
            .await
    }

    /// One fetch or push of `repo` (at `repo_path`) with its remote on `side`, over its own
    /// HTTP or SSH connection (addresses checked when connecting, no redirect followed); an
    /// SSH host key met for the first time is pinned, whatever the outcome.
    ///
    /// # Errors
    /// The remote cannot be opened, or the transfer failed.
    async fn run(
        &self,
        repo: &repository::Model,
        side: Side<'_>,
        repo_path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<TransferOutcome, SyncError> {
        let limits = Limits::new(self.config.sync_timeout, self.cancel.clone());
        let Connected {
            remote,
            transfer,
            way,
        } = Remote::connect(self.db, self.config, self.secrets, repo, side, limits).await?;
        let outcome = match way {
            Way::Pull(mut rules) => {
                rules.mass_delete_guard &= !self.allow_mass_delete;
                self.pull(repo, &remote, &transfer, rules, repo_path, progress)
                    .await
            }
            Way::Push(rules) => {
                self.push(repo, &remote, &transfer, rules, repo_path, progress)
                    .await
            }
        };
        if let Some(key) = transfer.host_key_to_pin() {
            tracing::info!(host = %key.host, key_type = %key.key_type, fingerprint = %key.fingerprint_sha256, "Pinned the SSH host key on first use");
            if let Err(e) = host_keys::pin(self.db, repo.id, &[key]).await {
                tracing::warn!(error = %e, "Could not pin the SSH host key");
            }
        }
        outcome
    }

    /// A pull: the git objects first; with LFS, then every LFS object their commits point to;
    /// and only then the refs (a missing object leaves them where they were).
    async fn pull(
        &self,
        repo: &repository::Model,
        remote: &Remote,
        transfer: &Arc<Transfer>,
        rules: PullRules,
        repo_path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<TransferOutcome, SyncError> {
        let progress = Arc::clone(progress);
        let path = repo_path.clone();
        let run_id = self.run_id;
        if !repo.lfs_enabled {
            // Without LFS nothing comes between: objects and refs in one blocking call.
            return Ok(blocking(transfer, move |working| {
                fetch_push::fetch_objects(&path, working, &progress, &rules)?.apply(
                    &path,
                    (0, 0),
                    run_id,
                )
            })
            .await?);
        }
        let (staged, pointers) = blocking(transfer, move |working| {
            let staged = fetch_push::fetch_objects(&path, working, &progress, &rules)?;
            let pointers = staged.lfs_pointers(&path)?;
            Ok((staged, pointers))
        })
        .await?;
        let fetched = within(
            transfer.limits(),
            self.lfs(repo, remote, transfer).pull(&pointers),
        )
        .await?;
        Ok(
            tokio::task::spawn_blocking(move || staged.apply(&repo_path, fetched, run_id))
                .await
                .unwrap_or_else(|e| Err(internal(&e)))?,
        )
    }

    /// A push: with LFS, first the LFS objects its refs need and the target lacks; then the
    /// refs.
    async fn push(
        &self,
        repo: &repository::Model,
        remote: &Remote,
        transfer: &Arc<Transfer>,
        rules: PushRules,
        repo_path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<TransferOutcome, SyncError> {
        let mut lfs_pushed = (0, 0);
        if repo.lfs_enabled {
            let (path, rules) = (repo_path.clone(), rules.clone());
            let pointers = blocking(transfer, move |working| {
                fetch_push::lfs_to_push(&path, working, &rules)
            })
            .await?;
            lfs_pushed = within(
                transfer.limits(),
                self.lfs(repo, remote, transfer).push(&pointers),
            )
            .await?;
        }
        let progress = Arc::clone(progress);
        let mut outcome = blocking(transfer, move |working| {
            fetch_push::push_mirror(&repo_path, working, &progress, &rules)
        })
        .await?;
        (outcome.lfs_objects, outcome.lfs_bytes) = lfs_pushed;
        Ok(outcome)
    }

    /// The LFS side of the transfer of `repo` with `remote`.
    fn lfs<'a>(
        &'a self,
        repo: &'a repository::Model,
        remote: &'a Remote,
        transfer: &'a Arc<Transfer>,
    ) -> LfsObjects<'a> {
        LfsObjects {
            db: self.db,
            config: self.config,
            secrets: self.secrets,
            repo,
            remote,
            transfer,
        }
    }
}

/// Runs `work` with `transfer` on the blocking pool, inside the current tracing span; the SSH
/// command it left open is ended there too.
async fn blocking<T: Send + 'static>(
    transfer: &Arc<Transfer>,
    work: impl FnOnce(&Arc<Transfer>) -> Result<T, TransferError> + Send + 'static,
) -> Result<T, TransferError> {
    let span = tracing::Span::current();
    let working = Arc::clone(transfer);
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let done = work(&working);
        working.finish();
        done
    })
    .in_current_span()
    .await
    .unwrap_or_else(|e| Err(internal(&e)))
}

/// A blocking task that did not end in words.
fn internal(e: &tokio::task::JoinError) -> TransferError {
    TransferError::Other(format!("internal error: {e}"))
}

/// Runs `work` (the LFS part of a transfer) within the transfer's deadline, until a cancel.
async fn within<T>(
    limits: &Limits,
    work: impl Future<Output = Result<T, LfsObjectsError>>,
) -> Result<T, SyncError> {
    let remaining = limits
        .deadline
        .saturating_duration_since(std::time::Instant::now());
    tokio::select! {
        biased;
        () = limits.cancel.cancelled() => Err(TransferError::Cancelled.into()),
        done = tokio::time::timeout(remaining, work) => Ok(done
            .map_err(|_| TransferError::Timeout(limits.timeout_secs))??),
    }
}
