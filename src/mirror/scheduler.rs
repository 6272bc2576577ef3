//! The minute tick: on `MIRRORFORGE_SCHEDULER_CRON`, recover dead claims, select due mirrors
//! with the indexed query (oldest first), claim those still due and run them on the engine.

use std::sync::Arc;

use tokio_cron_scheduler::{Job, JobScheduler};

use super::engine::{Engine, RunResult};
use crate::entities::mirror_enums::Trigger;

/// How many due mirrors one tick looks at.
const DUE_BATCH: u64 = 500;

/// Counts of one tick, as logged.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    /// Due mirrors found.
    pub total_mirrors: usize,
    /// Synced without error.
    pub synced: usize,
    /// Due when listed, but already syncing or synced since.
    pub skipped: usize,
    /// Failed.
    pub errors: usize,
}

/// One scheduler pass: waits for the syncs it started (they run on the engine, which a
/// shutdown waits for).
pub async fn tick(engine: &Arc<Engine>) -> TickReport {
    tracing::debug!("Checking mirror repositories for sync");
    if let Err(e) = engine.recover().await {
        tracing::warn!(error = %e, "could not recover interrupted syncs");
    }
    let due = match engine.due(DUE_BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "could not select due mirrors");
            return TickReport::default();
        }
    };
    let mut report = TickReport {
        total_mirrors: due.len(),
        ..TickReport::default()
    };
    // The runs belong to the engine (so shutdown drains them); the tick only waits for them.
    let mut running = Vec::new();
    for repo in due {
        match engine.claim_due(repo.id).await {
            Ok(true) => running.push(engine.spawn_claimed(repo.id, Trigger::Scheduled, None)),
            Ok(false) => report.skipped += 1,
            Err(e) => {
                tracing::error!(error = %e, repo_id = repo.id, "could not claim a mirror");
                report.errors += 1;
            }
        }
    }
    for run in running {
        match run.await {
            Ok(Some(RunResult::Done(_))) => report.synced += 1,
            Ok(None) => report.skipped += 1,
            Ok(Some(RunResult::Failed { .. })) | Err(_) => report.errors += 1,
        }
    }
    tracing::info!(
        total_mirrors = report.total_mirrors,
        synced = report.synced,
        skipped = report.skipped,
        errors = report.errors,
        "Mirror sync check completed"
    );
    report
}

/// Starts the cron job; keep the returned scheduler and call `shutdown` on stop.
///
/// # Errors
/// The cron expression is invalid or the scheduler cannot start.
pub async fn start(engine: Arc<Engine>, cron: &str) -> anyhow::Result<JobScheduler> {
    let scheduler = JobScheduler::new().await?;
    let job = Job::new_async(cron, move |_id, _lock| {
        let engine = Arc::clone(&engine);
        Box::pin(async move {
            tick(&engine).await;
        })
    })
    .map_err(|e| {
        anyhow::anyhow!("MIRRORFORGE_SCHEDULER_CRON {cron:?} is not a valid schedule: {e}")
    })?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(scheduler)
}
