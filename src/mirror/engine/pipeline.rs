//! One sync's work: pull from the upstream and/or push to every enabled push mirror in id order
//! (one failing does not stop the others), each transfer over its own HTTP or SSH connection, libgit2
//! on the blocking pool inside the sync's tracing span.

use std::{path::PathBuf, sync::Arc};

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::{
    OneTimeClone, RunResult, Target,
    transfer::{
        Transfers, Way,
        error::SyncError,
        remote::{push_login, upstream_login},
    },
};
use crate::{
    config::Config,
    entities::{mirror_enums::MirrorDirection, push_mirror, repository},
    git::mirror::{Progress, PushRules, TransferOutcome, filter::RefFilter},
    mirror::secrets::SecretBox,
};

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
                None => upstream_login(self.secrets, repo)
                    .map(|login| (repo.upstream_url.clone(), login)),
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
                Err(e) => return RunResult::pull_failed(e.to_string(), false, pushes),
            };
            match self
                .transfers()
                .run(repo, Way::Pull(filter), &url, creds, path.clone(), progress)
                .await
            {
                Ok(outcome) => {
                    tracing::info!("Upstream sync completed");
                    if !outcome.up_to_date {
                        crate::git::maintenance::after_update(&path);
                    }
                    done.push((Target::Upstream, outcome));
                }
                Err(e) if e.is_cancelled() => return RunResult::Cancelled(done),
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
                    Err(e) => {
                        let sentence = e.to_string();
                        transient &= e.is_transient();
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

    /// One push to `target`: its credentials decrypted, then the transfer.
    async fn push_to(
        &self,
        repo: &repository::Model,
        target: &push_mirror::Model,
        path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<TransferOutcome, SyncError> {
        let login = push_login(self.secrets, target)?;
        let rules = PushRules {
            filter: RefFilter::from_json(&target.ref_filter),
            keep_divergent: target.keep_divergent_refs,
        };
        self.transfers()
            .run(
                repo,
                Way::Push(rules),
                &target.remote_url,
                login,
                path,
                progress,
            )
            .await
    }

    /// The transfer room of this sync.
    fn transfers(&self) -> Transfers<'_> {
        Transfers {
            db: self.db,
            config: self.config,
            secrets: self.secrets,
            cancel: &self.cancel,
        }
    }
}
