//! Who runs which repository's sync. A claim is one conditional UPDATE whose affected-row
//! count decides, across threads and processes; a heartbeat keeps it fresh; one release
//! ends it; the claims of a process that died are taken over and its runs marked interrupted.

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, sea_query::Expr,
};

use crate::{
    entities::{
        mirror_enums::{MirrorDirection, RunStatus, SyncStatus, Trigger},
        mirror_run, repository, user,
    },
    error::Result,
    mirror::{
        push_mirrors,
        state::{self, Attempt, Summary},
    },
};

/// How often a running sync looks whether it was cancelled (from any process).
const CANCEL_CHECK_EVERY: Duration = Duration::from_secs(1);
/// How many cancel checks make one heartbeat (every 5 s).
const CHECKS_PER_HEARTBEAT: u32 = 5;
/// A claim whose heartbeat is older than this belongs to a process that died.
const STALE_AFTER: TimeDelta = TimeDelta::seconds(30);

/// What an interrupted restore's run says: each ref is at its old or its restored value, and
/// restoring again finishes it.
const RESTORE_INTERRUPTED: &str = "the restore was interrupted because the server running it \
     stopped; each ref is either back or as it was, and restoring the run again finishes it";

/// A claimed repository as recovery reads it: id, holder, heartbeat, name, owner's username.
type Claimed = (i64, Option<String>, Option<DateTime<Utc>>, String, String);

/// The repository row's state once a claim ends.
#[derive(Debug, Clone)]
pub(super) struct Release {
    /// What it shows now, derived from its parts.
    pub summary: Summary,
    /// When the scheduler syncs next (`None`: not at all).
    pub next_sync_at: Option<DateTime<Utc>>,
    /// How the run ended, when one was recorded.
    pub run_status: Option<RunStatus>,
}

/// Claims held and taken by this process (`instance_id`).
#[derive(Debug)]
pub(super) struct Claims {
    db: DatabaseConnection,
    instance_id: String,
}

impl Claims {
    /// Claims of a new process on `db`.
    pub(super) fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            instance_id: new_instance_id(),
        }
    }

    /// This process's name in `sync_claimed_by`.
    pub(super) fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// Claims the repository: `true` when this process now holds it. With `only_if_due`,
    /// only while it is still due (a due list may be older than another tick's sync).
    pub(super) async fn claim(&self, repo_id: i64, only_if_due: bool) -> Result<bool> {
        let now = Utc::now();
        let mut update = repository::Entity::update_many()
            .col_expr(
                repository::Column::SyncClaimedBy,
                Expr::value(self.instance_id.clone()),
            )
            .col_expr(repository::Column::SyncHeartbeatAt, Expr::value(now))
            .col_expr(
                repository::Column::SyncStatus,
                Expr::value(SyncStatus::Syncing),
            )
            .col_expr(repository::Column::SyncCancelRequested, Expr::value(false))
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.is_null());
        if only_if_due {
            update = update
                .filter(repository::Column::MirrorEnabled.eq(true))
                .filter(repository::Column::NextSyncAt.lte(now));
        }
        Ok(update.exec(&self.db).await?.rows_affected == 1)
    }

    /// Until dropped: refreshes the heartbeat of this process's claim on `repo_id`, and
    /// cancels `cancel` once anyone (any process) has asked the sync to stop.
    pub(super) async fn heartbeat(self: Arc<Self>, repo_id: i64, cancel: CancellationToken) {
        let mut every = tokio::time::interval(CANCEL_CHECK_EVERY);
        let mut checks = 0u32;
        loop {
            every.tick().await;
            if checks.is_multiple_of(CHECKS_PER_HEARTBEAT) {
                let beat = repository::Entity::update_many()
                    .col_expr(repository::Column::SyncHeartbeatAt, Expr::value(Utc::now()))
                    .filter(repository::Column::Id.eq(repo_id))
                    .filter(repository::Column::SyncClaimedBy.eq(self.instance_id.clone()))
                    .exec(&self.db)
                    .await;
                if let Err(e) = beat {
                    tracing::warn!(error = %e, repo_id, "mirror sync heartbeat failed");
                }
            }
            checks = checks.wrapping_add(1);
            if !cancel.is_cancelled() && self.cancel_requested(repo_id).await {
                cancel.cancel();
            }
        }
    }

    /// Whether someone asked this process's sync of `repo_id` to stop.
    async fn cancel_requested(&self, repo_id: i64) -> bool {
        let asked: Result<Option<bool>, _> = repository::Entity::find()
            .select_only()
            .column(repository::Column::SyncCancelRequested)
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.eq(self.instance_id.clone()))
            .into_tuple()
            .one(&self.db)
            .await;
        match asked {
            Ok(asked) => asked.unwrap_or(false),
            Err(e) => {
                tracing::warn!(error = %e, repo_id, "could not look for a cancel");
                false
            }
        }
    }

    /// Asks the sync of `repo_id` that runs (in any process) to stop, and drops a trigger
    /// waiting behind it; `false` when none runs.
    pub(super) async fn request_cancel(&self, repo_id: i64) -> Result<bool> {
        let asked = repository::Entity::update_many()
            .col_expr(repository::Column::SyncCancelRequested, Expr::value(true))
            .col_expr(
                repository::Column::SyncQueued,
                Expr::value(Option::<Trigger>::None),
            )
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.is_not_null())
            .exec(&self.db)
            .await?;
        Ok(asked.rows_affected == 1)
    }

    /// Remembers `trigger` for one more sync of `repo_id` once no sync of it runs. A webhook
    /// (a sync of everything) replaces a waiting push; a push never replaces a webhook.
    pub(super) async fn queue(&self, repo_id: i64, trigger: Trigger) -> Result<()> {
        let mut update = repository::Entity::update_many()
            .col_expr(repository::Column::SyncQueued, Expr::value(trigger))
            .filter(repository::Column::Id.eq(repo_id));
        if trigger != Trigger::Webhook {
            update = update.filter(repository::Column::SyncQueued.is_null());
        }
        update.exec(&self.db).await?;
        Ok(())
    }

    /// Claims `repo_id` for the waiting `trigger` and takes the mark, in one UPDATE: `false`
    /// when a sync runs or the mark changed meanwhile.
    pub(super) async fn claim_queued(&self, repo_id: i64, trigger: Trigger) -> Result<bool> {
        let claimed = repository::Entity::update_many()
            .col_expr(
                repository::Column::SyncClaimedBy,
                Expr::value(self.instance_id.clone()),
            )
            .col_expr(repository::Column::SyncHeartbeatAt, Expr::value(Utc::now()))
            .col_expr(
                repository::Column::SyncStatus,
                Expr::value(SyncStatus::Syncing),
            )
            .col_expr(repository::Column::SyncCancelRequested, Expr::value(false))
            .col_expr(
                repository::Column::SyncQueued,
                Expr::value(Option::<Trigger>::None),
            )
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.is_null())
            .filter(repository::Column::SyncQueued.eq(trigger))
            .exec(&self.db)
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    /// Drops the waiting `trigger` of `repo_id` (its sync has nothing to do any more).
    pub(super) async fn unqueue(&self, repo_id: i64, trigger: Trigger) -> Result<()> {
        repository::Entity::update_many()
            .col_expr(
                repository::Column::SyncQueued,
                Expr::value(Option::<Trigger>::None),
            )
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncQueued.eq(trigger))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Repositories with a trigger waiting and no sync running (after a restart, say).
    pub(super) async fn waiting(&self, limit: u64) -> Result<Vec<i64>> {
        Ok(repository::Entity::find()
            .select_only()
            .column(repository::Column::Id)
            .filter(repository::Column::SyncQueued.is_not_null())
            .filter(repository::Column::SyncClaimedBy.is_null())
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Ends `holder`'s claim on `repo_id` with `release`, within `txn` (the transaction that
    /// records the run, or one of its own): the one UPDATE that ends a claim. `false` when
    /// `holder` no longer held it.
    pub(super) async fn release(
        txn: &DatabaseTransaction,
        repo_id: i64,
        holder: &str,
        release: Release,
    ) -> Result<bool> {
        let mut update = state::shown(repository::Entity::update_many(), &release.summary)
            .col_expr(
                repository::Column::SyncStatus,
                Expr::value(release.summary.status),
            )
            .col_expr(
                repository::Column::SyncClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(repository::Column::SyncCancelRequested, Expr::value(false))
            .col_expr(
                repository::Column::NextSyncAt,
                Expr::value(release.next_sync_at),
            );
        if let Some(run_status) = release.run_status {
            update = update.col_expr(
                repository::Column::LastRunStatus,
                Expr::value(Some(run_status)),
            );
        }
        let released = update
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.eq(holder))
            .exec(txn)
            .await?;
        Ok(released.rows_affected == 1)
    }

    /// Ends `holder`'s claim after a failure that belongs to no one transfer, within `txn`:
    /// the pull (when `pulled`) or every enabled push mirror failed with `message`, the
    /// summary derived again, due at `next_sync_at`. `false` when `holder` no longer held it
    /// (then nothing of it is written).
    pub(super) async fn release_failed(
        txn: &DatabaseTransaction,
        repo_id: i64,
        holder: &str,
        pulled: bool,
        message: &str,
        next_sync_at: DateTime<Utc>,
    ) -> Result<bool> {
        if !Self::touch(txn, repo_id, holder).await? {
            return Ok(false);
        }
        let failed = Attempt::Failed(message.to_owned());
        if pulled {
            state::record_pull(txn, repo_id, &failed).await?;
        } else {
            for target in push_mirrors::list(txn, repo_id).await? {
                if target.enabled {
                    state::record_push(txn, target.id, &failed).await?;
                }
            }
        }
        let Some(summary) = state::current(txn, repo_id).await? else {
            return Ok(false);
        };
        let release = Release {
            summary,
            next_sync_at: Some(next_sync_at),
            run_status: None,
        };
        Self::release(txn, repo_id, holder, release).await
    }

    /// Refreshes `holder`'s heartbeat on `repo_id` within `txn`: `false` when `holder` no
    /// longer holds the claim (then nothing else of it is to be written).
    async fn touch(txn: &DatabaseTransaction, repo_id: i64, holder: &str) -> Result<bool> {
        let touched = repository::Entity::update_many()
            .col_expr(repository::Column::SyncHeartbeatAt, Expr::value(Utc::now()))
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.eq(holder))
            .exec(txn)
            .await?;
        Ok(touched.rows_affected == 1)
    }

    /// Takes over claims whose process died (stale heartbeat, or a dead pid on this host):
    /// their runs are recorded as interrupted and the repository is due again at once. The
    /// repositories taken over, as (owner, name).
    pub(super) async fn recover(&self) -> Result<Vec<(String, String)>> {
        let stale_before = Utc::now() - STALE_AFTER;
        // With the names, so the log says which repository (`repo = "owner/name"`).
        let claimed: Vec<Claimed> = repository::Entity::find()
            .select_only()
            .columns([
                repository::Column::Id,
                repository::Column::SyncClaimedBy,
                repository::Column::SyncHeartbeatAt,
                repository::Column::Name,
            ])
            .column(user::Column::Username)
            .join(JoinType::InnerJoin, repository::Relation::User.def())
            .filter(repository::Column::SyncClaimedBy.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut recovered = Vec::new();
        for (repo_id, holder, heartbeat, name, owner) in claimed {
            let Some(holder) = holder else { continue };
            let stale = heartbeat.is_none_or(|t| t < stale_before);
            if holder == self.instance_id
                || !(stale || claimant_is_dead_here(&holder, &self.instance_id))
            {
                continue;
            }
            let message = "the sync was interrupted because the server running it stopped; it will be retried";
            if self.interrupt(repo_id, &holder, message).await? {
                tracing::warn!(
                    repo = %format!("{owner}/{name}"),
                    repo_id,
                    "recovered an interrupted mirror sync"
                );
                recovered.push((owner, name));
            }
        }
        Ok(recovered)
    }

    /// Ends `holder`'s claim (if still theirs) and marks their running runs interrupted; the
    /// repository is due again at once.
    pub(super) async fn interrupt(
        &self,
        repo_id: i64,
        holder: &str,
        message: &str,
    ) -> Result<bool> {
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db).await?;
        if !Self::touch(&txn, repo_id, holder).await? {
            return Ok(false);
        }
        // The part the interrupted run was for; a claim still waiting for its slot had not
        // tried any part yet.
        let running: Option<(MirrorDirection, Trigger)> = mirror_run::Entity::find()
            .select_only()
            .column(mirror_run::Column::Direction)
            .column(mirror_run::Column::Trigger)
            .filter(mirror_run::Column::RepositoryId.eq(repo_id))
            .filter(mirror_run::Column::ClaimedBy.eq(holder))
            .filter(mirror_run::Column::Status.eq(RunStatus::Running))
            .into_tuple()
            .one(&txn)
            .await?;
        // A restore is not retried by itself (the pull stays paused): the person restores again.
        let message = match running {
            Some((_, Trigger::Restore)) => RESTORE_INTERRUPTED,
            _ => message,
        };
        let released = match running {
            Some((direction, _)) => {
                Self::release_failed(&txn, repo_id, holder, direction.pulls(), message, now).await?
            }
            None => match state::current(&txn, repo_id).await? {
                Some(summary) => {
                    let release = Release {
                        summary,
                        next_sync_at: Some(now),
                        run_status: None,
                    };
                    Self::release(&txn, repo_id, holder, release).await?
                }
                None => false,
            },
        };
        if !released {
            return Ok(false);
        }
        mirror_run::Entity::update_many()
            .col_expr(
                mirror_run::Column::Status,
                Expr::value(RunStatus::Interrupted),
            )
            .col_expr(mirror_run::Column::FinishedAt, Expr::value(now))
            .col_expr(mirror_run::Column::Error, Expr::value(message))
            .filter(mirror_run::Column::RepositoryId.eq(repo_id))
            .filter(mirror_run::Column::ClaimedBy.eq(holder))
            .filter(mirror_run::Column::Status.eq(RunStatus::Running))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Ids of the repositories this process holds.
    pub(super) async fn held(&self) -> Result<Vec<i64>> {
        Ok(repository::Entity::find()
            .select_only()
            .column(repository::Column::Id)
            .filter(repository::Column::SyncClaimedBy.eq(self.instance_id.clone()))
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Mirrors that are due, oldest first (the indexed query), at most `limit`.
    pub(super) async fn due(&self, limit: u64) -> Result<Vec<repository::Model>> {
        Ok(repository::Entity::find()
            .filter(repository::Column::MirrorEnabled.eq(true))
            .filter(repository::Column::NextSyncAt.lte(Utc::now()))
            .order_by_asc(repository::Column::NextSyncAt)
            .limit(limit)
            .all(&self.db)
            .await?)
    }
}

/// `host:pid:random`, so a restart on the same host can tell its dead predecessor's claims.
fn new_instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    let nonce: u32 = rand::random();
    format!("{host}:{}:{nonce:08x}", std::process::id())
}

/// True when `claimed_by` names a process on this host that no longer runs.
fn claimant_is_dead_here(claimed_by: &str, my_id: &str) -> bool {
    let mut theirs = claimed_by.split(':');
    let mut mine = my_id.split(':');
    let (Some(their_host), Some(their_pid)) = (theirs.next(), theirs.next()) else {
        return false;
    };
    if Some(their_host) != mine.next() || claimed_by == my_id {
        return false;
    }
    their_pid
        .parse::<u32>()
        .is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_claimants_on_this_host_are_recognised() {
        let me = new_instance_id();
        let host = me.split(':').next().unwrap();
        assert!(claimant_is_dead_here(&format!("{host}:999999999:abc"), &me));
        assert!(!claimant_is_dead_here(
            &format!("{host}:{}:other", std::process::id()),
            &me
        ));
        assert!(!claimant_is_dead_here("elsewhere:1:abc", &me));
        assert!(!claimant_is_dead_here(&me, &me));
    }
}
