//! The scheduler: mirrors that are due are started as soon as a slot is free for them, never
//! more than can start (free slots plus a small margin, each owner within their share), so a
//! large backlog flows evenly instead of in per-tick batches. It looks on every
//! `MIRRORFORGE_SCHEDULER_CRON` tick (which also recovers claims of dead processes) and
//! whenever a sync ends; what it does not claim stays due and visible as such. Once a day it
//! also removes the kept refs older than `MIRRORFORGE_KEEP_DAYS`.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler};

use super::{Engine, RunResult};
use crate::entities::mirror_enums::Trigger;

/// Syncs claimed beyond the free slots, so one is ready the moment a slot frees.
const MARGIN: usize = 1;
/// Due mirrors read per look, per sync that can start (room to skip owners at their share).
const CANDIDATES_PER_SLOT: usize = 8;

/// Counts of one look, as logged.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    /// Due mirrors looked at.
    pub total_mirrors: usize,
    /// Claimed and started.
    pub started: usize,
    /// Due when listed, but already syncing or synced since.
    pub skipped: usize,
    /// Claims that failed.
    pub errors: usize,
}

/// What one look started.
#[derive(Debug, Default)]
pub struct Filled {
    /// Its counts.
    pub report: TickReport,
    /// The syncs it started, each ending with its result.
    pub runs: Vec<tokio::task::JoinHandle<Option<RunResult>>>,
}

impl Filled {
    /// Waits for every sync this look started; how many synced without error.
    pub async fn synced(self) -> usize {
        let mut synced = 0;
        for run in self.runs {
            if let Ok(Some(RunResult::Done(_))) = run.await {
                synced += 1;
            }
        }
        synced
    }
}

/// One look: claims due mirrors, oldest first, as many as can start now (each owner within
/// their share), and starts them on the engine.
pub async fn fill(engine: &Arc<Engine>) -> Filled {
    let room = engine.free_slots() + MARGIN;
    let mut filled = Filled::default();
    if engine.free_slots() == 0 {
        return filled;
    }
    let limit = u64::try_from(room * CANDIDATES_PER_SLOT).unwrap_or(u64::MAX);
    let due = match engine.due(limit).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "could not select due mirrors");
            return filled;
        }
    };
    filled.report.total_mirrors = due.len();
    for repo in due {
        if filled.runs.len() >= room {
            break;
        }
        // A started sync is in line at once, so an owner's share counts it already.
        if !engine.owner_has_room(repo.owner_id) {
            continue; // this owner's share is full: their mirror stays due
        }
        match engine.claim_due(repo.id).await {
            Ok(true) => {
                filled.runs.push(engine.spawn_claimed(
                    &repo,
                    Trigger::Scheduled,
                    super::Scope::Mirror,
                ));
            }
            Ok(false) => filled.report.skipped += 1,
            Err(e) => {
                tracing::error!(error = %e, repo_id = repo.id, "could not claim a mirror");
                filled.report.errors += 1;
            }
        }
    }
    filled.report.started = filled.runs.len();
    if filled.report.started > 0 || filled.report.errors > 0 {
        tracing::debug!(
            total_mirrors = filled.report.total_mirrors,
            started = filled.report.started,
            skipped = filled.report.skipped,
            errors = filled.report.errors,
            "Mirror sync check completed"
        );
    }
    filled
}

/// The running scheduler; call [`Scheduler::shutdown`] on stop.
pub struct Scheduler {
    cron: JobScheduler,
    looker: tokio::task::JoinHandle<()>,
}

impl Scheduler {
    /// Stops the cron job and the looks.
    pub async fn shutdown(mut self) {
        if let Err(e) = self.cron.shutdown().await {
            tracing::warn!(error = %e, "scheduler did not stop cleanly");
        }
        self.looker.abort();
    }
}

/// When the kept refs older than `MIRRORFORGE_KEEP_DAYS` are removed: daily, 03:17 UTC.
const KEPT_EXPIRY_CRON: &str = "0 17 3 * * *";

/// The daily job removing expired kept refs.
fn expiry_job(engine: &Arc<Engine>) -> anyhow::Result<Job> {
    let engine = Arc::clone(engine);
    Ok(Job::new_async(KEPT_EXPIRY_CRON, move |_id, _lock| {
        let engine = Arc::clone(&engine);
        Box::pin(async move {
            let now = chrono::Utc::now();
            if let Err(e) = crate::mirror::kept::expire(&engine.db, &engine.config, now).await {
                tracing::warn!(error = %e, "could not remove expired kept refs");
            }
        })
    })?)
}

/// Starts the scheduler: a look on every cron tick and whenever a sync ends, and the daily
/// removal of expired kept refs.
///
/// # Errors
/// The cron expression is invalid or the scheduler cannot start.
pub async fn start(engine: Arc<Engine>, cron: &str) -> anyhow::Result<Scheduler> {
    let tick = Arc::new(Notify::new());
    let scheduler = JobScheduler::new().await?;
    let job = Job::new_async(cron, {
        let (engine, tick) = (Arc::clone(&engine), Arc::clone(&tick));
        move |_id, _lock| {
            let (engine, tick) = (Arc::clone(&engine), Arc::clone(&tick));
            Box::pin(async move {
                tracing::debug!("Checking mirror repositories for sync");
                if let Err(e) = engine.recover().await {
                    tracing::warn!(error = %e, "could not recover interrupted syncs");
                }
                // Triggers whose sync's process died wait here for no one else.
                if let Err(e) = engine.start_waiting().await {
                    tracing::warn!(error = %e, "could not start waiting syncs");
                }
                tick.notify_one();
            })
        }
    })
    .map_err(|e| {
        anyhow::anyhow!("MIRRORFORGE_SCHEDULER_CRON {cron:?} is not a valid schedule: {e}")
    })?;
    scheduler.add(job).await?;
    scheduler.add(expiry_job(&engine)?).await?;
    scheduler.start().await?;
    // One looker, so looks never overlap.
    let looker = tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tick.notified() => {}
                () = engine.sync_ended() => {}
            }
            fill(&engine).await;
        }
    });
    Ok(Scheduler {
        cron: scheduler,
        looker,
    })
}
