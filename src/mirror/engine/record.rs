//! The end of a run, written in one transaction: the run's outcome and its ref updates, the
//! repository's new status and next sync, and the release of the claim.

use chrono::{TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait,
};

use super::{
    RunResult,
    claims::{Claims, Release},
};
use crate::{
    entities::{
        mirror_enums::{MirrorDirection, RefSide, RunStatus, SyncStatus},
        mirror_ref_update, mirror_run, repository,
    },
    error::Result,
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

/// Records `run`'s end and releases `holder`'s claim on the repository, all or nothing.
pub(super) async fn record(
    db: &DatabaseConnection,
    holder: &str,
    repo: &repository::Model,
    run: &mirror_run::Model,
    result: &RunResult,
) -> Result<()> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let mut run_row: mirror_run::ActiveModel = run.clone().into();
    run_row.finished_at = Set(Some(now));
    let failures = match result {
        RunResult::Done(outcomes) => {
            let up_to_date = outcomes.iter().all(|(_, o)| o.up_to_date);
            run_row.status = Set(if up_to_date {
                RunStatus::UpToDate
            } else {
                RunStatus::Success
            });
            run_row.objects_transferred = Set(outcomes.iter().map(|(_, o)| o.objects as i64).sum());
            run_row.bytes_transferred = Set(outcomes.iter().map(|(_, o)| o.bytes as i64).sum());
            let updates: Vec<mirror_ref_update::ActiveModel> = outcomes
                .iter()
                .flat_map(|(direction, outcome)| {
                    let side = match direction {
                        MirrorDirection::Downstream => RefSide::Downstream,
                        _ => RefSide::Upstream,
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
                            ..Default::default()
                        })
                })
                .collect();
            for chunk in updates.chunks(INSERT_CHUNK) {
                mirror_ref_update::Entity::insert_many(chunk.to_vec())
                    .exec(&txn)
                    .await?;
            }
            0
        }
        RunResult::Failed { message, .. } => {
            tracing::error!(error = %message, "Mirror sync failed");
            run_row.status = Set(RunStatus::Failed);
            run_row.error = Set(Some(message.clone()));
            repo.consecutive_failures.saturating_add(1)
        }
    };
    run_row.update(&txn).await?;

    // Read the settings again: they may have changed while the sync ran.
    let Some(current) = repository::Entity::find_by_id(repo.id).one(&txn).await? else {
        txn.commit().await?;
        return Ok(());
    };
    let next = next_in(result, failures, current.sync_interval.max(1));
    let (status, error, synced_at) = match result {
        RunResult::Done(_) => (SyncStatus::Success, None, Some(now)),
        RunResult::Failed { message, .. } => (SyncStatus::Failed, Some(message.clone()), None),
    };
    Claims::release(
        &txn,
        repo.id,
        holder,
        Release {
            status,
            error,
            next_sync_at: current
                .mirror_enabled
                .then(|| now + TimeDelta::seconds(next)),
            consecutive_failures: Some(failures),
            synced_at,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_retry_sooner_doubling_up_to_the_interval() {
        let transient = RunResult::Failed {
            message: String::new(),
            transient: true,
        };
        let lasting = RunResult::Failed {
            message: String::new(),
            transient: false,
        };
        assert_eq!(next_in(&transient, 1, 3600), 60);
        assert_eq!(next_in(&transient, 2, 3600), 120);
        assert_eq!(next_in(&transient, 7, 3600), 3600);
        assert_eq!(next_in(&transient, i32::MAX, 3600), 3600);
        assert_eq!(next_in(&lasting, 1, 3600), 3600);
        assert_eq!(next_in(&RunResult::Done(Vec::new()), 0, 900), 900);
    }
}
