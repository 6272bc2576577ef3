//! A restore as a run of its own: claimed like "Sync now" (so no sync runs beside it), its
//! refs written through the pull's one transaction (what it overwrites kept under its own
//! id), its end recorded with its ref updates and the claim released in one transaction; then
//! the pull is paused so the next sync does not undo it.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

use super::{
    Engine, already_running,
    claims::{Claims, Release},
};
use crate::{
    entities::{
        mirror_enums::{MirrorDirection, RefSide, RunStatus, Trigger},
        mirror_ref_update, mirror_run, repository,
    },
    error::{Error, Result},
    git::fetch_push::{refs::RefChange, restore as git_restore},
    mirror::{
        push_mirrors,
        restore::{self, error_of},
        runs::action_of,
        settings::{self, SettingsPatch},
        state,
    },
    repos::Repo,
};

/// A restore's failure in words for its run: a refusal's own sentence, else the error.
fn sentence(e: &Error) -> String {
    match e {
        Error::Validation(fields) => fields.values().cloned().collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

impl Engine {
    /// Restores run `run_id` of `repo` as a new run with trigger `restore` and pauses the
    /// pull; the new run's id. 404 for an unknown run, 409 while a sync runs, 422 when the run
    /// changed nothing here or a commit it overwrote is no longer kept.
    ///
    /// # Errors
    /// As above, or the repository or the database failed.
    pub async fn restore(self: &Arc<Self>, repo: &Repo, run_id: i64) -> Result<i64> {
        let plan = restore::plan(&self.db, &self.config, repo, run_id).await?;
        if !self.claim_now(repo.repo.id).await? {
            return Err(already_running());
        }
        let holder = self.claims.instance_id().to_owned();
        let row = mirror_run::ActiveModel {
            repository_id: Set(repo.repo.id),
            trigger: Set(Trigger::Restore),
            direction: Set(MirrorDirection::Upstream),
            status: Set(RunStatus::Running),
            started_at: Set(Utc::now()),
            claimed_by: Set(holder.clone()),
            restored_run_id: Set(Some(run_id)),
            // Until it ends: a restore killed midway may already have kept refs.
            holds_kept_refs: Set(true),
            ..Default::default()
        }
        .insert(&self.db)
        .await;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                self.release_restore(repo.repo.id, &holder, None, &Ok(Vec::new()))
                    .await?;
                return Err(e.into());
            }
        };
        let new_id = row.id;
        // Paused before any ref moves, so a sync after a restore cut short (a crash) does not
        // undo what it put back; resumed below only when the restore wrote nothing.
        let was_enabled = match self.set_pull_enabled(repo.repo.id, false).await {
            Ok(was) => was,
            Err(e) => {
                let failed = Err(Error::internal_msg(format!(
                    "the pull could not be paused first: {e}"
                )));
                self.release_restore(repo.repo.id, &holder, Some(row), &failed)
                    .await?;
                return Err(e);
            }
        };
        let path = repo.path(&self.config);
        let wanted = plan.wanted;
        let written = tokio::task::spawn_blocking(move || {
            git_restore::restore(&path, &wanted, new_id).map_err(error_of)
        })
        .await
        .unwrap_or_else(|e| Err(Error::internal(e)));
        self.release_restore(repo.repo.id, &holder, Some(row), &written)
            .await?;
        if let Err(e) = written {
            tracing::error!(run_id = new_id, error = %e, "restore failed");
            if was_enabled {
                self.set_pull_enabled(repo.repo.id, true).await?;
            }
            return Err(e);
        }
        tracing::info!(
            restored = run_id,
            run_id = new_id,
            "run restored; pull paused"
        );
        Ok(new_id)
    }

    /// Switches mirroring of `repo_id` on or off through the settings service; whether it
    /// was on before.
    async fn set_pull_enabled(&self, repo_id: i64, enabled: bool) -> Result<bool> {
        let current = repository::Entity::find_by_id(repo_id)
            .one(&self.db)
            .await?
            .ok_or(Error::NotFound("repository"))?;
        let was = current.mirror_enabled;
        if was != enabled {
            let patch = SettingsPatch {
                mirror_enabled: Some(enabled),
                ..SettingsPatch::default()
            };
            settings::apply(&self.db, &self.config, &self.secrets, current, patch).await?;
        }
        Ok(was)
    }

    /// Records the restore run `row` as `written` ended (its ref updates, its status) and
    /// releases `holder`'s claim, in one transaction; the next sync stays as it was.
    async fn release_restore(
        &self,
        repo_id: i64,
        holder: &str,
        row: Option<mirror_run::Model>,
        written: &Result<Vec<RefChange>>,
    ) -> Result<()> {
        let txn = crate::db::begin_write(&self.db).await?;
        let mut run_status = None;
        if let Some(row) = row {
            let run_id = row.id;
            let mut run: mirror_run::ActiveModel = row.into();
            run.finished_at = Set(Some(Utc::now()));
            let status = match written {
                Ok(changes) if changes.is_empty() => RunStatus::UpToDate,
                Ok(_) => RunStatus::Success,
                Err(e) => {
                    run.error = Set(Some(format!("the restore failed: {}", sentence(e))));
                    RunStatus::Failed
                }
            };
            run.status = Set(status);
            if let Ok(changes) = written {
                run.holds_kept_refs = Set(changes.iter().any(|c| c.kept));
            }
            run_status = Some(status);
            let updates: Vec<mirror_ref_update::ActiveModel> = written
                .iter()
                .flatten()
                .map(|c| mirror_ref_update::ActiveModel {
                    run_id: Set(run_id),
                    side: Set(RefSide::Upstream),
                    ref_name: Set(c.name.clone()),
                    old_id: Set(c.old.clone()),
                    new_id: Set(c.new.clone()),
                    action: Set(Some(action_of(c))),
                    push_mirror_id: Set(None),
                    kept: Set(c.kept),
                    ..Default::default()
                })
                .collect();
            for chunk in updates.chunks(200) {
                mirror_ref_update::Entity::insert_many(chunk.to_vec())
                    .exec(&txn)
                    .await?;
            }
            run.update(&txn).await?;
        }
        if let Some(current) = repository::Entity::find_by_id(repo_id).one(&txn).await? {
            let targets = push_mirrors::list(&txn, repo_id).await?;
            let release = Release {
                summary: state::summarize(&current, &targets),
                next_sync_at: current.next_sync_at,
                run_status,
            };
            Claims::release(&txn, repo_id, holder, release).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
