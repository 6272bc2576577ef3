//! The sync engine: every run — "Sync now", scheduled, import — is claimed (`claims`), waits
//! for a slot shared fairly between owners (`slots`), has its life recorded (`record`: the
//! run started, its end written in one transaction, the claim released), does its transfers
//! (`pipeline`, each one in the `transfer` room: the remote parsed once and handed down by
//! reference) and is tracked, so shutdown waits for all of them. `announce` counts and
//! notifies after a run, `triggers` starts or queues webhook and push triggers, `scheduler`
//! starts the due mirrors; `request` and `run_result` hold what a run is asked and how it
//! ended.

mod announce;
mod claims;
mod pipeline;
mod record;
mod request;
mod restore;
mod run_result;
pub mod scheduler;
pub mod slots;
pub mod transfer;
mod triggers;

pub use self::{
    record::Change,
    request::{OneTimeClone, Scope, SyncRequest},
    run_result::{RunResult, Target},
    triggers::Triggered,
};

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sea_orm::DatabaseConnection;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::Instrument;

use self::{
    claims::Claims,
    pipeline::Pipeline,
    record::{PushTargets, Run},
    slots::{Place, Queued, Slots, Urgency},
};
use super::{notify::Notifier, secrets::SecretBox};
use crate::{
    config::Config,
    entities::{mirror_enums::Trigger, push_mirror, repository},
    error::{Error, Result},
    git::{fetch_push::Progress, stale_locks},
    metrics::Metrics,
    repos::repo_path,
};

/// How long shutdown waits for running syncs.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The process-wide sync engine, shared by the API, the pages and the scheduler.
pub struct Engine {
    db: DatabaseConnection,
    config: Arc<Config>,
    secrets: SecretBox,
    claims: Arc<Claims>,
    slots: Arc<Slots>,
    tasks: TaskTracker,
    stopping: AtomicBool,
    progress: Mutex<HashMap<i64, Arc<Progress>>>,
    /// The cancel switch of each sync this process holds, by repository.
    cancels: Mutex<HashMap<i64, CancellationToken>>,
    /// Told each time a sync ends (a slot is free again).
    ended: tokio::sync::Notify,
    /// Counts and times the syncs.
    metrics: Arc<Metrics>,
    /// Announces failures and recoveries.
    notifier: Notifier,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("instance_id", &self.claims.instance_id())
            .finish_non_exhaustive()
    }
}

/// Aborts a background task when dropped (the heartbeat ends with its sync, on every path).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    /// A new engine; call [`Engine::recover`] before the first sync.
    #[must_use]
    pub fn new(
        db: DatabaseConnection,
        config: Arc<Config>,
        secrets: SecretBox,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let slots = Slots::new(config.max_concurrent_syncs, config.max_syncs_per_owner);
        let notifier = Notifier::new(Arc::clone(&config), secrets.clone());
        Arc::new(Self {
            metrics,
            notifier,
            claims: Arc::new(Claims::new(db.clone())),
            db,
            config,
            secrets,
            slots,
            tasks: TaskTracker::new(),
            stopping: AtomicBool::new(false),
            progress: Mutex::new(HashMap::new()),
            cancels: Mutex::new(HashMap::new()),
            ended: tokio::sync::Notify::new(),
        })
    }

    /// Live transfer counters of a running sync in this process.
    #[must_use]
    pub fn progress(&self, repo_id: i64) -> Option<Arc<Progress>> {
        self.progress.lock().ok()?.get(&repo_id).cloned()
    }

    async fn claim(&self, repo_id: i64, only_if_due: bool) -> Result<bool> {
        if self.stopping.load(Ordering::SeqCst) {
            return Ok(false);
        }
        self.claims.claim(repo_id, only_if_due).await
    }

    /// Claims the repository for one sync, whether or not it is due; `false` when a sync
    /// already runs. One conditional UPDATE decides, across threads and processes.
    ///
    /// # Errors
    /// The database failed.
    pub async fn claim_now(&self, repo_id: i64) -> Result<bool> {
        self.claim(repo_id, false).await
    }

    /// Claims a mirror the scheduler found due, if it still is: a due list may be read
    /// before another tick's sync of the same mirror ended, and that mirror must not be
    /// synced again right away. `false` when it runs or is no longer due.
    ///
    /// # Errors
    /// The database failed.
    pub async fn claim_due(&self, repo_id: i64) -> Result<bool> {
        self.claim(repo_id, true).await
    }

    /// "Sync now" for `repo` (with `allow_mass_delete`, its pull once without the
    /// mass-deletion guard): started, refused because one runs, or refused because mirroring
    /// is off.
    ///
    /// # Errors
    /// The database failed.
    pub async fn request_sync(
        self: &Arc<Self>,
        repo: &repository::Model,
        allow_mass_delete: bool,
    ) -> Result<SyncRequest> {
        if !repo.mirror_enabled {
            return Ok(SyncRequest::Disabled);
        }
        if !self.claim_now(repo.id).await? {
            return Ok(SyncRequest::AlreadyRunning);
        }
        let scope = if allow_mass_delete {
            Scope::Unguarded
        } else {
            Scope::Mirror
        };
        self.spawn_claimed(repo, Trigger::Manual, scope);
        Ok(SyncRequest::Started)
    }

    /// "Sync now" next to one push mirror: a push to it alone, claimed like any sync; refused
    /// as disabled when mirroring or the push mirror is switched off.
    ///
    /// # Errors
    /// The database failed.
    pub async fn request_push_to(
        self: &Arc<Self>,
        repo: &repository::Model,
        target: &push_mirror::Model,
    ) -> Result<SyncRequest> {
        if !repo.mirror_enabled || !target.enabled {
            return Ok(SyncRequest::Disabled);
        }
        if !self.claim_now(repo.id).await? {
            return Ok(SyncRequest::AlreadyRunning);
        }
        self.spawn_claimed(repo, Trigger::Manual, Scope::PushTo(target.id));
        Ok(SyncRequest::Started)
    }

    /// Starts a push to every enabled push mirror of `repo`, and no pull (Gitea's
    /// `push_mirrors-sync`).
    ///
    /// # Errors
    /// The database failed.
    pub async fn request_push_all(
        self: &Arc<Self>,
        repo: &repository::Model,
    ) -> Result<SyncRequest> {
        if !repo.mirror_enabled || !repo.mirror_direction.pushes() {
            return Ok(SyncRequest::Disabled);
        }
        if !self.claim_now(repo.id).await? {
            return Ok(SyncRequest::AlreadyRunning);
        }
        self.spawn_claimed(repo, Trigger::Manual, Scope::PushAll);
        Ok(SyncRequest::Started)
    }

    /// Starts the first transfer of an imported repository (`one_time` for a clone that keeps
    /// no mirror); `false` when a sync of it already runs (the scheduler was quicker).
    ///
    /// # Errors
    /// The database failed.
    pub async fn start_import(
        self: &Arc<Self>,
        repo: &repository::Model,
        one_time: Option<OneTimeClone>,
    ) -> Result<bool> {
        if !self.claim_now(repo.id).await? {
            return Ok(false);
        }
        let scope = one_time.map_or(Scope::Mirror, Scope::OneTime);
        self.spawn_claimed(repo, Trigger::Import, scope);
        Ok(true)
    }

    /// Runs a sync of `repo` this process has claimed, tracked for shutdown; it takes its
    /// place in line for a slot at once. The handle gives the result (`None` when it could not
    /// even start).
    pub fn spawn_claimed(
        self: &Arc<Self>,
        repo: &repository::Model,
        trigger: Trigger,
        scope: Scope,
    ) -> tokio::task::JoinHandle<Option<RunResult>> {
        let engine = Arc::clone(self);
        let urgency = if trigger == Trigger::Scheduled {
            Urgency::Scheduled
        } else {
            Urgency::Asked
        };
        let queued = self.slots.queue(Place {
            owner: repo.owner_id,
            repo_id: repo.id,
            urgency,
        });
        let repo_id = repo.id;
        let cancel = CancellationToken::new();
        if let Ok(mut cancels) = self.cancels.lock() {
            cancels.insert(repo_id, cancel.clone());
        }
        // Every line the sync logs, from its heartbeat to the start of a queued successor,
        // carries `repo = "owner/name"` (filled in once the row is read) and `repo_id`; its
        // own span, not a child of whatever started it.
        let span = tracing::info_span!(
            parent: None,
            "sync",
            repo = tracing::field::Empty,
            repo_id,
            trigger = %trigger,
        );
        self.tasks.spawn(
            async move {
                let result = Arc::clone(&engine)
                    .run_claimed(repo_id, queued, trigger, scope, cancel)
                    .await;
                if let Ok(mut cancels) = engine.cancels.lock() {
                    cancels.remove(&repo_id);
                }
                // A trigger that came while this sync ran starts the next one now.
                if let Err(e) = engine.start_queued(repo_id).await {
                    tracing::error!(error = %e, "could not start a queued sync");
                }
                engine.ended.notify_one();
                result
            }
            .instrument(span),
        )
    }

    /// Asks the running sync of `repo` to stop (here at once, in another process within a
    /// second) and drops a trigger waiting behind it; `false` when no sync runs.
    ///
    /// # Errors
    /// The database failed.
    pub async fn cancel(&self, repo_id: i64) -> Result<bool> {
        if !self.claims.request_cancel(repo_id).await? {
            return Ok(false);
        }
        if let Some(cancel) = self
            .cancels
            .lock()
            .ok()
            .and_then(|c| c.get(&repo_id).cloned())
        {
            cancel.cancel();
        }
        Ok(true)
    }

    /// The place in line of `repo_id`'s sync while it waits for a slot in this process (1:
    /// the next to start); `None` when it does not wait here.
    #[must_use]
    pub fn queue_position(&self, repo_id: i64) -> Option<usize> {
        self.slots.position(repo_id)
    }

    /// How many more syncs could start now in this process.
    #[must_use]
    pub fn free_slots(&self) -> usize {
        self.slots.free()
    }

    /// Whether one more sync of `owner`'s fits their share (counting those in line).
    #[must_use]
    pub fn owner_has_room(&self, owner: i64) -> bool {
        self.slots.load(owner) < self.slots.max_per_owner()
    }

    /// Has the scheduler look for due mirrors now (new mirrors were made due).
    pub fn wake(&self) {
        self.ended.notify_one();
    }

    /// Resolves when a sync has ended since the last call (a slot may be free).
    pub async fn sync_ended(&self) {
        self.ended.notified().await;
    }

    /// Runs a claimed sync to the end, whatever happens, and releases the claim: the run's
    /// record starts, the transfers are performed, the record finishes.
    async fn run_claimed(
        self: Arc<Self>,
        repo_id: i64,
        queued: Queued,
        trigger: Trigger,
        scope: Scope,
        cancel: CancellationToken,
    ) -> Option<RunResult> {
        // Beat from the moment of the claim, also while waiting for a slot, so no other
        // process mistakes a queued sync for a dead one; the beat also hears a cancel.
        let _heartbeat = AbortOnDrop(tokio::spawn(
            Arc::clone(&self.claims)
                .heartbeat(repo_id, cancel.clone())
                .in_current_span(),
        ));
        // Cancelled while in line: it starts, and ends at once as cancelled.
        let _slot = tokio::select! {
            slot = queued.wait() => Some(slot),
            () = cancel.cancelled() => None,
        };
        let holder = self.claims.instance_id();
        let (run, targets) = Run::start(&self.db, holder, repo_id, trigger, &scope).await?;
        let result = Arc::clone(&self)
            .perform(&run, targets, scope, cancel)
            .await;
        if let Some(recorded) = run.finish(&self.db, holder, &result).await {
            self.after_record(&recorded, run);
        }
        Some(result)
    }

    /// Does the transfers of a run, its progress visible meanwhile, in its own task so even a
    /// panic ends in a result.
    async fn perform(
        self: Arc<Self>,
        run: &Run,
        targets: PushTargets,
        scope: Scope,
        cancel: CancellationToken,
    ) -> RunResult {
        let (repo, owner, direction) = (&run.repo, &run.owner, run.asked.direction);
        let progress = Arc::new(Progress::default());
        if let Ok(mut map) = self.progress.lock() {
            map.insert(repo.id, Arc::clone(&progress));
        }
        let path = crate::repos::repo_path(&self.config, &owner.username, &repo.name);
        let run_id = run.row.id;
        let worker = {
            let engine = Arc::clone(&self);
            let repo = repo.clone();
            let progress = Arc::clone(&progress);
            tokio::spawn(
                async move {
                    let pipeline = Pipeline {
                        db: &engine.db,
                        config: &engine.config,
                        secrets: &engine.secrets,
                        cancel,
                        run_id,
                        allow_mass_delete: matches!(scope, Scope::Unguarded),
                    };
                    let one_time = match scope {
                        Scope::OneTime(clone) => Some(clone),
                        _ => None,
                    };
                    pipeline
                        .perform(&repo, &targets, path, direction, one_time, &progress)
                        .await
                }
                .in_current_span(),
            )
        };
        let result = worker.await.unwrap_or_else(|e| {
            RunResult::failed(format!("internal error during sync: {e}"), true)
        });
        if let Ok(mut map) = self.progress.lock() {
            map.remove(&repo.id);
        }
        result
    }

    /// Takes over claims whose process died (stale heartbeat, or a dead pid on this host):
    /// their runs are recorded as interrupted and the repository is due again at once; the
    /// ref locks its git may have left there are removed once they are old enough
    /// ([`stale_locks`]). How many were taken over.
    ///
    /// # Errors
    /// The database failed.
    pub async fn recover(&self) -> Result<usize> {
        let recovered = self.claims.recover().await?;
        for (owner, name) in &recovered {
            let path = repo_path(&self.config, owner, name);
            let repo = format!("{owner}/{name}");
            tokio::spawn(async move {
                // Every lock of the dead process is older than this by then.
                tokio::time::sleep(stale_locks::GRACE).await;
                let removed = tokio::task::spawn_blocking(move || {
                    stale_locks::remove(&path, stale_locks::GRACE, std::time::SystemTime::now())
                })
                .await;
                match removed {
                    Ok(Ok(paths)) if !paths.is_empty() => {
                        tracing::warn!(repo, locks = ?paths, "removed ref locks a stopped sync left behind");
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(repo, error = %e, "could not remove stale ref locks")
                    }
                    Err(e) => tracing::warn!(repo, error = %e, "could not remove stale ref locks"),
                }
            });
        }
        Ok(recovered.len())
    }

    /// Mirrors that are due, oldest first (the indexed query), at most `limit`.
    ///
    /// # Errors
    /// The database failed.
    pub async fn due(&self, limit: u64) -> Result<Vec<repository::Model>> {
        self.claims.due(limit).await
    }

    /// Stops taking new syncs, waits up to 30 s for every running one (scheduled, manual and
    /// imports alike), then records the rest as interrupted.
    pub async fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.tasks.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("mirror syncs still running after 30 s; recording them as interrupted");
        }
        let held = match self.claims.held().await {
            Ok(held) => held,
            Err(e) => {
                tracing::error!(error = %e, "could not list the syncs still held");
                return;
            }
        };
        let message = "the sync was interrupted by a server shutdown; it will be retried";
        for repo_id in held {
            let interrupted = self
                .claims
                .interrupt(repo_id, self.claims.instance_id(), message)
                .await;
            if let Err(e) = interrupted {
                tracing::error!(error = %e, repo_id, "could not record an interrupted sync");
            }
        }
    }
}

/// Maps "already running" to the contract's 409.
#[must_use]
pub fn already_running() -> Error {
    Error::Conflict("a sync is already running for this repository".to_owned())
}

/// Maps "mirroring is off" (a sync asked of a repository that mirrors nothing) to the
/// contract's 422 naming `mirror_enabled`.
#[must_use]
pub fn mirroring_off() -> Error {
    Error::field(
        "mirror_enabled",
        "mirroring is disabled for this repository; enable it first",
    )
}
