//! The sync engine: claims a repository with one conditional UPDATE (so one sync per repository
//! holds across threads and processes), runs the transfers in a bounded number of slots
//! shared fairly between owners, keeps a heartbeat,
//! records every run with its ref updates, schedules the next attempt, and recovers claims left
//! behind by a process that died.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use tokio_util::task::TaskTracker;

use super::{
    secrets::SecretBox,
    settings::{MirrorDirection, direction_of},
    slots::Slots,
};
use crate::{
    config::Config,
    entities::{mirror_ref_update, mirror_run, repository, user},
    error::{Error, Result},
    git::{
        mirror::{self as transfer, Credentials, Limits, Outcome, Progress},
        mirror_error::TransferError,
    },
    net::{
        egress::{Egress, Refusal},
        remote_url::RemoteUrl,
        url_policy,
    },
};

/// How often a running sync refreshes its heartbeat.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// A claim whose heartbeat is older than this belongs to a process that died.
const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// How long shutdown waits for running syncs.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// First retry delay after a transient failure.
const FIRST_RETRY_SECS: i64 = 60;

/// What started a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// "Sync now" or `POST …/sync`.
    Manual,
    /// The scheduler found it due.
    Scheduled,
    /// The first sync of an imported repository.
    Import,
}

impl Trigger {
    /// The stored word.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Scheduled => "scheduled",
            Self::Import => "import",
        }
    }
}

/// A one-time clone for an import without mirroring: the credentials live only in memory.
#[derive(Debug, Clone)]
pub struct OneTimeClone {
    /// Where to clone from.
    pub url: String,
    /// Credentials for this clone only.
    pub credentials: Credentials,
}

/// How a finished run ended.
#[derive(Debug)]
pub enum RunResult {
    /// Synced (or already up to date).
    Done(Vec<(MirrorDirection, Outcome)>),
    /// Failed with a sentence for the user.
    Failed {
        /// The message, free of credentials.
        message: String,
        /// Worth retrying sooner.
        transient: bool,
    },
}

/// The process-wide sync engine, shared by the API, the pages and the scheduler.
pub struct Engine {
    db: DatabaseConnection,
    config: Arc<Config>,
    secrets: SecretBox,
    instance_id: String,
    slots: Arc<Slots>,
    tasks: TaskTracker,
    stopping: AtomicBool,
    progress: Mutex<HashMap<i64, Arc<Progress>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("instance_id", &self.instance_id)
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

impl Engine {
    /// A new engine; call [`Engine::recover`] before the first sync.
    #[must_use]
    pub fn new(db: DatabaseConnection, config: Arc<Config>, secrets: SecretBox) -> Arc<Self> {
        let slots = Slots::new(config.max_concurrent_syncs, config.max_syncs_per_owner);
        Arc::new(Self {
            db,
            config,
            secrets,
            instance_id: new_instance_id(),
            slots,
            tasks: TaskTracker::new(),
            stopping: AtomicBool::new(false),
            progress: Mutex::new(HashMap::new()),
        })
    }

    /// The credential box (for saving settings).
    #[must_use]
    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// Live transfer counters of a running sync in this process.
    #[must_use]
    pub fn progress(&self, repo_id: i64) -> Option<Arc<Progress>> {
        self.progress.lock().ok()?.get(&repo_id).cloned()
    }

    /// Claims the repository for one sync: one conditional UPDATE whose affected-row count
    /// decides, so it holds across threads and processes. `false` when a sync already runs.
    ///
    /// # Errors
    /// The database failed.
    pub async fn claim(&self, repo_id: i64) -> Result<bool> {
        self.claim_where(repo_id, false).await
    }

    /// Claims a mirror the scheduler found due, if it still is: a due list may be read
    /// before another tick's sync of the same mirror ended, and that mirror must not be
    /// synced again right away. `false` when it runs or is no longer due.
    ///
    /// # Errors
    /// The database failed.
    pub async fn claim_due(&self, repo_id: i64) -> Result<bool> {
        self.claim_where(repo_id, true).await
    }

    async fn claim_where(&self, repo_id: i64, only_if_due: bool) -> Result<bool> {
        if self.stopping.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let now = Utc::now();
        let mut update = repository::Entity::update_many()
            .col_expr(
                repository::Column::SyncClaimedBy,
                Expr::value(self.instance_id.clone()),
            )
            .col_expr(repository::Column::SyncHeartbeatAt, Expr::value(now))
            .col_expr(repository::Column::SyncStatus, Expr::value("syncing"))
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.is_null());
        if only_if_due {
            update = update
                .filter(repository::Column::MirrorEnabled.eq(true))
                .filter(repository::Column::NextSyncAt.lte(now));
        }
        Ok(update.exec(&self.db).await?.rows_affected == 1)
    }

    /// Claims and starts a sync in the background; `false` when one already runs.
    ///
    /// # Errors
    /// The database failed.
    pub async fn trigger(self: &Arc<Self>, repo_id: i64, trigger: Trigger) -> Result<bool> {
        self.trigger_with(repo_id, trigger, None).await
    }

    /// Like [`Engine::trigger`], for an import's one-time clone.
    ///
    /// # Errors
    /// The database failed.
    pub async fn trigger_with(
        self: &Arc<Self>,
        repo_id: i64,
        trigger: Trigger,
        one_time: Option<OneTimeClone>,
    ) -> Result<bool> {
        if !self.claim(repo_id).await? {
            return Ok(false);
        }
        let engine = Arc::clone(self);
        self.tasks.spawn(async move {
            engine.run_claimed(repo_id, trigger, one_time).await;
        });
        Ok(true)
    }

    /// Runs a claimed sync to the end, whatever happens, and releases the claim.
    pub async fn run_claimed(
        self: Arc<Self>,
        repo_id: i64,
        trigger: Trigger,
        one_time: Option<OneTimeClone>,
    ) -> Option<RunResult> {
        // Beat from the moment of the claim, also while waiting for a place in the pool, so no
        // other process mistakes a queued sync for a dead one.
        let _heartbeat = AbortOnDrop(tokio::spawn(Arc::clone(&self).heartbeat(repo_id)));
        let Ok(Some(queued)) = repository::Entity::find_by_id(repo_id).one(&self.db).await else {
            self.release_unrecorded(repo_id).await;
            return None;
        };
        let _slot = self.slots.acquire(queued.owner_id).await;
        // Read again: the settings may have changed while the sync waited for its slot.
        let Ok(Some(repo)) = repository::Entity::find_by_id(repo_id).one(&self.db).await else {
            self.release_unrecorded(repo_id).await;
            return None;
        };
        let direction = if one_time.is_some() {
            MirrorDirection::Upstream
        } else {
            direction_of(&repo)
        };
        let run = mirror_run::ActiveModel {
            repository_id: Set(repo_id),
            trigger: Set(trigger.as_str().to_owned()),
            direction: Set(direction.as_str().to_owned()),
            status: Set("running".to_owned()),
            started_at: Set(Utc::now()),
            claimed_by: Set(self.instance_id.clone()),
            ..Default::default()
        }
        .insert(&self.db)
        .await;
        let run = match run {
            Ok(run) => run,
            Err(e) => {
                tracing::error!(error = %e, repo_id, "could not record a mirror run");
                self.release_unrecorded(repo_id).await;
                return None;
            }
        };
        let progress = Arc::new(Progress::default());
        if let Ok(mut map) = self.progress.lock() {
            map.insert(repo_id, Arc::clone(&progress));
        }
        // Run in its own task so even a panic ends in a recorded result.
        let worker = {
            let engine = Arc::clone(&self);
            let repo = repo.clone();
            tokio::spawn(async move { engine.perform(&repo, direction, one_time, progress).await })
        };
        let result = worker.await.unwrap_or_else(|e| RunResult::Failed {
            message: format!("internal error during sync: {e}"),
            transient: true,
        });
        if let Ok(mut map) = self.progress.lock() {
            map.remove(&repo_id);
        }
        if let Err(e) = self.record(&repo, &run, &result).await {
            tracing::error!(error = %e, repo_id, "could not record the end of a mirror sync");
            self.release_unrecorded(repo_id).await;
        }
        Some(result)
    }

    async fn heartbeat(self: Arc<Self>, repo_id: i64) {
        let mut every = tokio::time::interval(HEARTBEAT_EVERY);
        loop {
            every.tick().await;
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
    }

    /// Releases a claim when no run could be recorded (the status must not stay `syncing`).
    async fn release_unrecorded(&self, repo_id: i64) {
        let released = repository::Entity::update_many()
            .col_expr(
                repository::Column::SyncClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(repository::Column::SyncStatus, Expr::value("failed"))
            .col_expr(
                repository::Column::SyncError,
                Expr::value(
                    "the sync could not start because of an internal error; see the server log",
                ),
            )
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.eq(self.instance_id.clone()))
            .exec(&self.db)
            .await;
        if let Err(e) = released {
            tracing::error!(error = %e, repo_id, "could not release a mirror claim");
        }
    }

    fn credentials(
        &self,
        repo: &repository::Model,
        username: Option<&String>,
        password_field: &str,
        password: Option<&String>,
    ) -> std::result::Result<Credentials, String> {
        let password = match password {
            Some(sealed) => Some(
                self.secrets
                    .decrypt(repo.id, password_field, sealed)
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        Ok(Credentials {
            username: username.cloned(),
            password,
        })
    }

    async fn transfer(
        &self,
        pull: bool,
        url: &str,
        creds: Credentials,
        repo_path: std::path::PathBuf,
        progress: &Arc<Progress>,
    ) -> std::result::Result<Outcome, TransferError> {
        // The addresses are checked where they are used: by the egress, at the moment of
        // connecting; it also refuses every redirect.
        let checked = RemoteUrl::parse(url, self.config.allow_local_networks)
            .map_err(TransferError::Other)?;
        let limits = Limits {
            deadline: Instant::now() + Duration::from_secs(self.config.sync_timeout),
            timeout_secs: self.config.sync_timeout,
        };
        // libgit2 reaches the remote only through the egress, which connects to checked
        // addresses only, and speaks TLS to an https remote itself.
        let egress = Egress::start(
            checked.url(),
            self.config.allow_local_networks,
            Duration::from_secs(self.config.sync_timeout),
        )
        .await
        .map_err(|e| TransferError::Other(format!("could not open the egress: {e}")))?;
        let via = egress.url().to_owned();
        let remote = checked.clone();
        let progress = Arc::clone(progress);
        let result = tokio::task::spawn_blocking(move || {
            if pull {
                transfer::fetch_mirror(&repo_path, &remote, &via, &creds, limits, &progress)
            } else {
                transfer::push_mirror(&repo_path, &remote, &via, &creds, limits, &progress)
            }
        })
        .await
        .unwrap_or_else(|e| Err(TransferError::Other(format!("internal error: {e}"))));
        // The egress's own reason says more than the status libgit2 saw from it.
        match (result, egress.refusal()) {
            (Err(_), Some(Refusal::Blocked(message))) => Err(TransferError::Other(message)),
            (Err(_), Some(Refusal::Unreachable(detail))) => Err(TransferError::Connect {
                url: url_policy::redact(url),
                detail,
            }),
            (Err(_), Some(Refusal::Tls(detail))) => Err(TransferError::tls(&detail)),
            (Err(_), Some(Refusal::Redirect(target))) => Err(TransferError::Redirect(target)),
            (result, _) => result,
        }
    }

    async fn repo_path(
        &self,
        repo: &repository::Model,
    ) -> std::result::Result<std::path::PathBuf, String> {
        let owner = user::Entity::find_by_id(repo.owner_id)
            .one(&self.db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the repository's owner no longer exists".to_owned())?;
        Ok(crate::repos::repo_path(
            &self.config,
            &owner.username,
            &repo.name,
        ))
    }

    async fn perform(
        &self,
        repo: &repository::Model,
        direction: MirrorDirection,
        one_time: Option<OneTimeClone>,
        progress: Arc<Progress>,
    ) -> RunResult {
        let repo_id = repo.id;
        tracing::info!(repo_id, direction = %direction.as_str(), "Performing mirror sync");
        let failed = |message: String, transient: bool| RunResult::Failed { message, transient };
        let path = match self.repo_path(repo).await {
            Ok(path) => path,
            Err(message) => return failed(message, false),
        };
        let mut done = Vec::new();
        if direction.pulls() {
            let (url, creds) = match &one_time {
                Some(clone) => (Some(clone.url.clone()), Ok(clone.credentials.clone())),
                None => (
                    repo.upstream_url.clone(),
                    self.credentials(
                        repo,
                        repo.upstream_username.as_ref(),
                        "upstream_password",
                        repo.upstream_password.as_ref(),
                    ),
                ),
            };
            let Some(url) = url else {
                return failed("no upstream URL is set".to_owned(), false);
            };
            let creds = match creds {
                Ok(creds) => creds,
                Err(message) => return failed(message, false),
            };
            match self
                .transfer(true, &url, creds, path.clone(), &progress)
                .await
            {
                Ok(outcome) => {
                    tracing::info!(repo_id, "Upstream sync completed");
                    done.push((MirrorDirection::Upstream, outcome));
                }
                Err(e) => {
                    let mut message = format!("upstream: {e}");
                    if direction.pushes() {
                        message.push_str("; the push to the downstream was skipped");
                    }
                    return failed(message, e.is_transient());
                }
            }
        }
        if direction.pushes() {
            let Some(url) = repo.downstream_url.clone() else {
                return failed("no downstream URL is set".to_owned(), false);
            };
            let creds = match self.credentials(
                repo,
                repo.downstream_username.as_ref(),
                "downstream_password",
                repo.downstream_password.as_ref(),
            ) {
                Ok(creds) => creds,
                Err(message) => return failed(message, false),
            };
            match self.transfer(false, &url, creds, path, &progress).await {
                Ok(outcome) => {
                    tracing::info!(repo_id, "Downstream sync completed");
                    done.push((MirrorDirection::Downstream, outcome));
                }
                Err(e) => return failed(format!("downstream: {e}"), e.is_transient()),
            }
        }
        RunResult::Done(done)
    }

    /// Writes the run's end, its ref updates, and the repository's new status; releases the claim.
    async fn record(
        &self,
        repo: &repository::Model,
        run: &mirror_run::Model,
        result: &RunResult,
    ) -> Result<()> {
        let now = Utc::now();
        let mut run_row: mirror_run::ActiveModel = run.clone().into();
        run_row.finished_at = Set(Some(now));
        let failures = match result {
            RunResult::Done(outcomes) => {
                let up_to_date = outcomes.iter().all(|(_, o)| o.up_to_date);
                run_row.status = Set(if up_to_date { "up_to_date" } else { "success" }.to_owned());
                run_row.objects_transferred =
                    Set(outcomes.iter().map(|(_, o)| o.objects as i64).sum());
                run_row.bytes_transferred = Set(outcomes.iter().map(|(_, o)| o.bytes as i64).sum());
                let updates: Vec<mirror_ref_update::ActiveModel> = outcomes
                    .iter()
                    .flat_map(|(side, o)| {
                        o.changes
                            .iter()
                            .map(move |c| mirror_ref_update::ActiveModel {
                                run_id: Set(run.id),
                                side: Set(side.as_str().to_owned()),
                                ref_name: Set(c.name.clone()),
                                old_id: Set(c.old.clone()),
                                new_id: Set(c.new.clone()),
                                ..Default::default()
                            })
                    })
                    .collect();
                for chunk in updates.chunks(200) {
                    mirror_ref_update::Entity::insert_many(chunk.to_vec())
                        .exec(&self.db)
                        .await?;
                }
                0
            }
            RunResult::Failed { message, .. } => {
                tracing::error!(error = %message, repo_id = repo.id, "Mirror sync failed");
                run_row.status = Set("failed".to_owned());
                run_row.error = Set(Some(message.clone()));
                repo.consecutive_failures.saturating_add(1)
            }
        };
        run_row.update(&self.db).await?;

        // Read the settings again: they may have changed while the sync ran.
        let current = repository::Entity::find_by_id(repo.id)
            .one(&self.db)
            .await?;
        let Some(current) = current else {
            return Ok(());
        };
        let interval = current.sync_interval.max(1);
        let next = match result {
            RunResult::Failed {
                transient: true, ..
            } => {
                let shift = u32::try_from(failures.saturating_sub(1))
                    .unwrap_or(0)
                    .min(20);
                (FIRST_RETRY_SECS.saturating_mul(1 << shift)).min(interval)
            }
            _ => interval,
        };
        let mut update = repository::Entity::update_many()
            .col_expr(
                repository::Column::SyncClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                repository::Column::ConsecutiveFailures,
                Expr::value(failures),
            )
            .col_expr(
                repository::Column::NextSyncAt,
                Expr::value(
                    current
                        .mirror_enabled
                        .then(|| now + chrono::TimeDelta::seconds(next)),
                ),
            );
        update = match result {
            RunResult::Done(_) => update
                .col_expr(repository::Column::SyncStatus, Expr::value("success"))
                .col_expr(
                    repository::Column::SyncError,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(repository::Column::LastSyncedAt, Expr::value(now)),
            RunResult::Failed { message, .. } => update
                .col_expr(repository::Column::SyncStatus, Expr::value("failed"))
                .col_expr(repository::Column::SyncError, Expr::value(message.clone())),
        };
        update
            .filter(repository::Column::Id.eq(repo.id))
            .filter(repository::Column::SyncClaimedBy.eq(self.instance_id.clone()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Takes over claims whose process died (stale heartbeat, or a dead pid on this host):
    /// their runs are recorded as interrupted and the repository is due again at once.
    ///
    /// # Errors
    /// The database failed.
    pub async fn recover(&self) -> Result<usize> {
        let stale_before = Utc::now() - STALE_AFTER;
        let claimed = repository::Entity::find()
            .filter(repository::Column::SyncClaimedBy.is_not_null())
            .all(&self.db)
            .await?;
        let mut recovered = 0;
        for repo in claimed {
            let Some(holder) = repo.sync_claimed_by.clone() else {
                continue;
            };
            let stale = repo.sync_heartbeat_at.is_none_or(|t| t < stale_before);
            if holder == self.instance_id
                || !(stale || claimant_is_dead_here(&holder, &self.instance_id))
            {
                continue;
            }
            if self
                .interrupt(repo.id, &holder, "the sync was interrupted because the server running it stopped; it will be retried")
                .await?
            {
                tracing::warn!(repo_id = repo.id, "recovered an interrupted mirror sync");
                recovered += 1;
            }
        }
        Ok(recovered)
    }

    /// Clears `holder`'s claim (if still theirs) and marks their running runs interrupted.
    async fn interrupt(&self, repo_id: i64, holder: &str, message: &str) -> Result<bool> {
        let now = Utc::now();
        let cleared = repository::Entity::update_many()
            .col_expr(
                repository::Column::SyncClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(repository::Column::SyncStatus, Expr::value("failed"))
            .col_expr(repository::Column::SyncError, Expr::value(message))
            .col_expr(repository::Column::NextSyncAt, Expr::value(now))
            .filter(repository::Column::Id.eq(repo_id))
            .filter(repository::Column::SyncClaimedBy.eq(holder))
            .exec(&self.db)
            .await?;
        if cleared.rows_affected == 0 {
            return Ok(false);
        }
        mirror_run::Entity::update_many()
            .col_expr(mirror_run::Column::Status, Expr::value("interrupted"))
            .col_expr(mirror_run::Column::FinishedAt, Expr::value(now))
            .col_expr(mirror_run::Column::Error, Expr::value(message))
            .filter(mirror_run::Column::RepositoryId.eq(repo_id))
            .filter(mirror_run::Column::ClaimedBy.eq(holder))
            .filter(mirror_run::Column::Status.eq("running"))
            .exec(&self.db)
            .await?;
        Ok(true)
    }

    /// Mirrors that are due, oldest first (the indexed query), at most `limit`.
    ///
    /// # Errors
    /// The database failed.
    pub async fn due(&self, limit: u64) -> Result<Vec<repository::Model>> {
        Ok(repository::Entity::find()
            .filter(repository::Column::MirrorEnabled.eq(true))
            .filter(repository::Column::NextSyncAt.lte(Utc::now()))
            .order_by_asc(repository::Column::NextSyncAt)
            .limit(limit)
            .all(&self.db)
            .await?)
    }

    /// Stops taking new syncs, waits up to 30 s for running ones, then records the rest as
    /// interrupted.
    pub async fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.tasks.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("mirror syncs still running after 30 s; recording them as interrupted");
        }
        let mine = repository::Entity::find()
            .filter(repository::Column::SyncClaimedBy.eq(self.instance_id.clone()))
            .all(&self.db)
            .await
            .unwrap_or_default();
        for repo in mine {
            if let Err(e) = self
                .interrupt(
                    repo.id,
                    &self.instance_id,
                    "the sync was interrupted by a server shutdown; it will be retried",
                )
                .await
            {
                tracing::error!(error = %e, repo_id = repo.id, "could not record an interrupted sync");
            }
        }
    }
}

/// Maps "already running" to the contract's 409.
#[must_use]
pub fn already_running() -> Error {
    Error::Conflict("a sync is already running for this repository".to_owned())
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
