//! One sync's work: pull from the upstream and/or push to every enabled push mirror in id order
//! (one failing does not stop the others), each transfer over its own HTTP or SSH connection, libgit2
//! on the blocking pool inside the sync's tracing span.

use std::{path::PathBuf, sync::Arc};

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::{OneTimeClone, RunResult, Target, record::PushTargets, transfer::Transfers};
use crate::{
    config::Config,
    entities::{mirror_enums::MirrorDirection, repository},
    git::fetch_push::Progress,
    mirror::secrets::SecretBox,
};

/// What a sync needs beyond the repository row.
pub(super) struct Pipeline<'a> {
    pub db: &'a DatabaseConnection,
    pub config: &'a Config,
    pub secrets: &'a SecretBox,
    /// Stops every transfer of the sync; what ended before is kept.
    pub cancel: CancellationToken,
    /// The run's id (what a pull overwrites is kept under it).
    pub run_id: i64,
    /// The pull goes without the mass-deletion guard this once.
    pub allow_mass_delete: bool,
}

impl Pipeline<'_> {
    /// Runs the sync of `repo` (at `path`) in `direction`, pushing to `targets` (its enabled
    /// push mirrors, oldest first); `one_time` replaces the upstream and its credentials for an
    /// import that keeps no mirror.
    pub(super) async fn perform(
        &self,
        repo: &repository::Model,
        targets: &PushTargets,
        path: PathBuf,
        direction: MirrorDirection,
        one_time: Option<OneTimeClone>,
        progress: &Arc<Progress>,
    ) -> RunResult {
        tracing::info!(direction = %direction.as_str(), "Performing mirror sync");
        let mut done = Vec::new();
        if self.cancel.is_cancelled() {
            return RunResult::Cancelled(done);
        }
        let transfers = Transfers {
            db: self.db,
            config: self.config,
            secrets: self.secrets,
            cancel: &self.cancel,
            run_id: self.run_id,
            allow_mass_delete: self.allow_mass_delete,
        };
        if direction.pulls() {
            let pulled = transfers
                .pull_upstream(repo, one_time.as_ref(), path.clone(), progress)
                .await;
            match pulled {
                Ok(outcome) => {
                    tracing::info!("Upstream sync completed");
                    if !outcome.up_to_date {
                        crate::git::maintenance::after_update(&path);
                    }
                    done.push((Target::Upstream, outcome));
                }
                Err(e) if e.is_cancelled() => return RunResult::Cancelled(done),
                Err(e) => return RunResult::pull_failed(&e, direction.pushes()),
            }
        }
        if direction.pushes() {
            if targets.enabled.is_empty() {
                return RunResult::failed(targets.none_because.to_owned(), false);
            }
            let mut failed_pushes = Vec::new();
            let mut sentences = Vec::new();
            let mut transient = true;
            for target in &targets.enabled {
                if self.cancel.is_cancelled() {
                    return RunResult::Cancelled(done);
                }
                match transfers
                    .push_to(repo, target, path.clone(), progress)
                    .await
                {
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
}
