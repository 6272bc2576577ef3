//! Discoveries on their schedule: on every `MIRRORFORGE_SCHEDULER_CRON` tick the account
//! mirrors whose discovery is due (or whose discovering process died) are claimed and started.

use tokio_cron_scheduler::{Job, JobScheduler};

use super::discover::Discoverer;

/// The running discovery schedule; call [`DiscoverySchedule::shutdown`] on stop.
pub struct DiscoverySchedule {
    cron: JobScheduler,
    discoverer: Discoverer,
}

impl DiscoverySchedule {
    /// Stops the ticks, then the running discoveries (see [`Discoverer::shutdown`]).
    pub async fn shutdown(mut self) {
        if let Err(e) = self.cron.shutdown().await {
            tracing::warn!(error = %e, "discovery schedule did not stop cleanly");
        }
        self.discoverer.shutdown().await;
    }
}

/// Starts due discoveries on every tick of `cron`.
///
/// # Errors
/// The cron expression is invalid or the scheduler cannot start.
pub async fn start(discoverer: Discoverer, cron: &str) -> anyhow::Result<DiscoverySchedule> {
    let scheduler = JobScheduler::new().await?;
    let ticking = discoverer.clone();
    let job = Job::new_async(cron, move |_id, _lock| {
        let discoverer = ticking.clone();
        Box::pin(async move {
            let started = discoverer.start_due().await;
            if started > 0 {
                tracing::debug!(started, "Started due account mirror discoveries");
            }
        })
    })
    .map_err(|e| {
        anyhow::anyhow!("MIRRORFORGE_SCHEDULER_CRON {cron:?} is not a valid schedule: {e}")
    })?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    Ok(DiscoverySchedule {
        cron: scheduler,
        discoverer,
    })
}
