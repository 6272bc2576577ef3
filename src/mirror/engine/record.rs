//! The end of a run, written in one transaction: the run's outcome and its ref updates, the
//! repository's new status and next sync, and the release of the claim.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, sea_query::Expr,
};

use super::{
    RunResult, Target,
    claims::{Claims, Release},
};
use crate::{
    entities::{
        mirror_enums::{RefSide, RunStatus, SyncStatus},
        mirror_ref_update, mirror_run, push_mirror, repository,
    },
    error::Result,
    mirror::{runs::action_of, schedule::Schedule},
};

/// First retry delay after a transient failure, doubling with each failure up to the interval.
pub(super) const FIRST_RETRY_SECS: i64 = 60;

/// Ref updates inserted per statement.
const INSERT_CHUNK: usize = 200;

/// Seconds until the next sync: the interval, or sooner after a transient failure
/// (60 s, doubling with each failure in a row, at most the interval).
fn next_in(result: &RunResult, failures: i32, interval: i64) -> i64 {
    match result {
        RunResult::Failed {
            transient: true, ..
        } => {
            let shift = u32::try_from(failures.saturating_sub(1))
                .unwrap_or(0)
                .min(20);
            FIRST_RETRY_SECS.saturating_mul(1 << shift).min(interval)
        }
        _ => interval,
    }
}

/// When the scheduler syncs `repo` next after a run that ended `now`: by its schedule, or
/// sooner after a transient failure; never for a mirror switched off or synced by hand only.
fn next_sync(
    result: &RunResult,
    failures: i32,
    repo: &repository::Model,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !repo.mirror_enabled {
        return None;
    }
    let interval = repo.sync_interval.max(1);
    let planned = Schedule::stored(&repo.sync_schedule).next_after(now, interval)?;
    let retry = now + TimeDelta::seconds(next_in(result, failures, interval));
    Some(planned.min(retry))
}

/// Records one push mirror's last result (`synced_at` on success).
async fn push_result(
    txn: &DatabaseTransaction,
    id: i64,
    status: SyncStatus,
    error: Option<String>,
    synced_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let mut update = push_mirror::Entity::update_many()
        .col_expr(push_mirror::Column::LastStatus, Expr::value(status))
        .col_expr(push_mirror::Column::LastError, Expr::value(error))
        .filter(push_mirror::Column::Id.eq(id));
    if let Some(at) = synced_at {
        update = update.col_expr(push_mirror::Column::LastSyncedAt, Expr::value(at));
    }
    update.exec(txn).await?;
    Ok(())
}

/// What a recorded run ended as: its status word, the bytes it moved, and whether the
/// repository's outcome changed in a way worth announcing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Recorded {
    pub(super) status: RunStatus,
    pub(super) bytes: u64,
    pub(super) change: Option<Change>,
}

/// The two changes of outcome that are announced (never a repeated failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It synced, or had not failed, before; now it failed.
    Failed,
    /// It had failed; now it succeeded.
    Recovered,
}

/// The announced change of a run ending `status` after `failures_before` failures in a row.
fn change_of(status: RunStatus, failures_before: i32) -> Option<Change> {
    match status {
        RunStatus::Failed if failures_before == 0 => Some(Change::Failed),
        RunStatus::Success | RunStatus::UpToDate if failures_before > 0 => Some(Change::Recovered),
        _ => None,
    }
}

/// Records `run`'s end and releases `holder`'s claim on the repository, all or nothing.
pub(super) async fn record(
    db: &DatabaseConnection,
    holder: &str,
    repo: &repository::Model,
    run: &mirror_run::Model,
    result: &RunResult,
) -> Result<Recorded> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let mut run_row: mirror_run::ActiveModel = run.clone().into();
    run_row.finished_at = Set(Some(now));
    let cancelled = matches!(result, RunResult::Cancelled(_));
    let (transferred, failure, failed_pushes) = match result {
        RunResult::Done(done) | RunResult::Cancelled(done) => (done.as_slice(), None, &[][..]),
        RunResult::Failed {
            message,
            done,
            failed_pushes,
            ..
        } => (done.as_slice(), Some(message), failed_pushes.as_slice()),
    };
    run_row.objects_transferred = Set(transferred.iter().map(|(_, o)| o.objects as i64).sum());
    run_row.bytes_transferred = Set(transferred.iter().map(|(_, o)| o.bytes as i64).sum());
    run_row.lfs_objects_transferred =
        Set(transferred.iter().map(|(_, o)| o.lfs_objects as i64).sum());
    run_row.lfs_bytes_transferred = Set(transferred.iter().map(|(_, o)| o.lfs_bytes as i64).sum());
    let run_status = match failure {
        None if cancelled => RunStatus::Cancelled,
        Some(_) => RunStatus::Failed,
        None if transferred.iter().all(|(_, o)| o.up_to_date) => RunStatus::UpToDate,
        None => RunStatus::Success,
    };
    run_row.status = Set(run_status);
    if let Some(message) = failure {
        tracing::error!(error = %message, "Mirror sync failed");
        run_row.error = Set(Some(message.clone()));
    }
    if cancelled {
        tracing::info!("Mirror sync cancelled");
        run_row.error = Set(Some("the sync was cancelled".to_owned()));
    }
    let updates: Vec<mirror_ref_update::ActiveModel> = transferred
        .iter()
        .flat_map(|(target, outcome)| {
            let (side, push_mirror_id) = match target {
                Target::Upstream => (RefSide::Upstream, None),
                Target::PushMirror(id) => (RefSide::Downstream, Some(*id)),
            };
            outcome
                .changes
                .iter()
                .map(move |c| mirror_ref_update::ActiveModel {
                    run_id: Set(run.id),
                    side: Set(side),
                    ref_name: Set(c.name.clone()),
                    old_id: Set(c.old.clone()),
                    new_id: Set(c.new.clone()),
                    action: Set(Some(action_of(c))),
                    push_mirror_id: Set(push_mirror_id),
                    ..Default::default()
                })
        })
        .collect();
    for chunk in updates.chunks(INSERT_CHUNK) {
        mirror_ref_update::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    // Each push mirror keeps its own last result.
    for (target, _) in transferred {
        if let Target::PushMirror(id) = target {
            push_result(&txn, *id, SyncStatus::Success, None, Some(now)).await?;
        }
    }
    for (id, sentence) in failed_pushes {
        push_result(&txn, *id, SyncStatus::Failed, Some(sentence.clone()), None).await?;
    }
    let failures = if failure.is_some() {
        repo.consecutive_failures.saturating_add(1)
    } else if cancelled {
        repo.consecutive_failures
    } else {
        0
    };
    run_row.update(&txn).await?;

    // Read the settings again: they may have changed while the sync ran.
    let bytes: u64 = transferred.iter().map(|(_, o)| o.bytes).sum();
    let Some(current) = repository::Entity::find_by_id(repo.id).one(&txn).await? else {
        txn.commit().await?;
        return Ok(Recorded {
            status: run_status,
            bytes,
            change: None,
        });
    };
    let (status, error, synced_at) = match failure {
        None if cancelled => (SyncStatus::Idle, None, None),
        None => (SyncStatus::Success, None, Some(now)),
        Some(message) => (SyncStatus::Failed, Some(message.clone()), None),
    };
    Claims::release(
        &txn,
        repo.id,
        holder,
        Release {
            status,
            error,
            next_sync_at: next_sync(result, failures, &current, now),
            consecutive_failures: Some(failures),
            synced_at,
            run_status: Some(run_status),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Recorded {
        status: run_status,
        bytes,
        change: change_of(run_status, current.consecutive_failures),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_retry_sooner_doubling_up_to_the_interval() {
        let transient = RunResult::failed(String::new(), true);
        let lasting = RunResult::failed(String::new(), false);
        assert_eq!(next_in(&transient, 1, 3600), 60);
        assert_eq!(next_in(&transient, 2, 3600), 120);
        assert_eq!(next_in(&transient, 7, 3600), 3600);
        assert_eq!(next_in(&transient, i32::MAX, 3600), 3600);
        assert_eq!(next_in(&lasting, 1, 3600), 3600);
        assert_eq!(next_in(&RunResult::Done(Vec::new()), 0, 900), 900);
    }

    #[test]
    fn only_the_first_failure_and_the_recovery_are_announced() {
        assert_eq!(change_of(RunStatus::Failed, 0), Some(Change::Failed));
        assert_eq!(change_of(RunStatus::Failed, 1), None);
        assert_eq!(change_of(RunStatus::Success, 3), Some(Change::Recovered));
        assert_eq!(change_of(RunStatus::UpToDate, 1), Some(Change::Recovered));
        assert_eq!(change_of(RunStatus::Success, 0), None);
        assert_eq!(change_of(RunStatus::Cancelled, 2), None);
    }
}
