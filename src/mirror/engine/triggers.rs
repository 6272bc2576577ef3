//! Event triggers: a signed webhook call, or a `git push` for the sync-on-push targets. Each
//! starts a sync at once or, while one of the repository runs (in any process), is remembered
//! in the repository's row (`sync_queued`), and exactly one more sync runs as soon as the
//! running one ends, however many triggers came. The mark lives in the database, so neither a
//! restart nor a second process loses it.

use std::{sync::Arc, sync::atomic::Ordering};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{Engine, Scope};
use crate::{
    entities::{mirror_enums::Trigger, push_mirror, repository},
    error::Result,
};

/// Tries to take a changing mark before giving up to whoever changed it.
const CLAIM_ATTEMPTS: usize = 3;
/// Waiting triggers started per scheduler tick (after a restart, most often none).
const WAITING_PER_TICK: u64 = 100;

/// What became of a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Triggered {
    /// A sync started for it.
    Started,
    /// A sync runs: one more runs right after it.
    Queued,
    /// Nothing to do: mirroring is off, or (for a push) no target syncs on push.
    Ignored,
}

impl Engine {
    /// A webhook call for `repo`: a sync of whatever it mirrors, now or right after the one
    /// that runs.
    ///
    /// # Errors
    /// The database failed.
    pub async fn webhook(self: &Arc<Self>, repo: &repository::Model) -> Result<Triggered> {
        if !repo.mirror_enabled {
            return Ok(Triggered::Ignored);
        }
        self.trigger(repo.id, Trigger::Webhook).await
    }

    /// "Sync now" from a client that expects a queue rather than a refusal while a sync runs
    /// (Gitea's `mirror-sync`): a sync now, or one more right after the one that runs.
    ///
    /// # Errors
    /// The database failed.
    pub async fn sync_or_queue(self: &Arc<Self>, repo: &repository::Model) -> Result<Triggered> {
        if !repo.mirror_enabled {
            return Ok(Triggered::Ignored);
        }
        self.trigger(repo.id, Trigger::Manual).await
    }

    /// A `git push` changed refs of `repo_id`: its sync-on-push targets are pushed to now, or
    /// right after the sync that runs.
    pub fn pushed(self: &Arc<Self>, repo_id: i64) {
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            let wanted = engine.pushes_on_push(repo_id).await;
            let started = match wanted {
                Ok(true) => engine.trigger(repo_id, Trigger::Push).await,
                Ok(false) => Ok(Triggered::Ignored),
                Err(e) => Err(e),
            };
            if let Err(e) = started {
                tracing::error!(error = %e, repo_id, "could not start a sync after a push");
            }
        });
    }

    /// Marks the trigger, then starts it unless a sync runs (whose end will).
    async fn trigger(self: &Arc<Self>, repo_id: i64, trigger: Trigger) -> Result<Triggered> {
        self.claims.queue(repo_id, trigger).await?;
        Ok(if self.start_queued(repo_id).await? {
            Triggered::Started
        } else {
            Triggered::Queued
        })
    }

    /// Starts the sync a trigger left waiting for `repo_id`, unless one runs: `true` when it
    /// started here. Called by each trigger and at the end of every sync.
    ///
    /// # Errors
    /// The database failed.
    pub async fn start_queued(self: &Arc<Self>, repo_id: i64) -> Result<bool> {
        for _ in 0..CLAIM_ATTEMPTS {
            if self.stopping.load(Ordering::SeqCst) {
                return Ok(false);
            }
            // One read of the row answers every question below; a claim does not change the
            // owner or the id, so the same row starts the sync.
            let Some(repo) = repository::Entity::find_by_id(repo_id)
                .one(&self.db)
                .await?
            else {
                return Ok(false);
            };
            let Some(trigger) = repo.sync_queued else {
                return Ok(false);
            };
            if repo.sync_claimed_by.is_some() {
                return Ok(false); // its end starts this one
            }
            let still_wanted = match trigger {
                Trigger::Push => self.pushes_to_a_sync_on_push_target(&repo).await?,
                _ => repo.mirror_enabled,
            };
            if !still_wanted {
                self.claims.unqueue(repo_id, trigger).await?;
                return Ok(false);
            }
            if self.claims.claim_queued(repo_id, trigger).await? {
                self.spawn_claimed(&repo, trigger, Scope::Mirror);
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Starts the triggers left waiting with no sync running (after a restart, or when the
    /// process that ran the sync died); how many started.
    ///
    /// # Errors
    /// The database failed.
    pub async fn start_waiting(self: &Arc<Self>) -> Result<usize> {
        let mut started = 0;
        for repo_id in self.claims.waiting(WAITING_PER_TICK).await? {
            if self.start_queued(repo_id).await? {
                started += 1;
            }
        }
        Ok(started)
    }

    /// Whether `repo_id` mirrors downstream and has an enabled sync-on-push target.
    async fn pushes_on_push(&self, repo_id: i64) -> Result<bool> {
        match repository::Entity::find_by_id(repo_id)
            .one(&self.db)
            .await?
        {
            Some(repo) => self.pushes_to_a_sync_on_push_target(&repo).await,
            None => Ok(false),
        }
    }

    /// Whether `repo` mirrors downstream and has an enabled sync-on-push target.
    async fn pushes_to_a_sync_on_push_target(&self, repo: &repository::Model) -> Result<bool> {
        if !repo.mirror_enabled || !repo.mirror_direction.pushes() {
            return Ok(false);
        }
        let targets = push_mirror::Entity::find()
            .filter(push_mirror::Column::RepositoryId.eq(repo.id))
            .filter(push_mirror::Column::Enabled.eq(true))
            .filter(push_mirror::Column::SyncOnPush.eq(true))
            .count(&self.db)
            .await?;
        Ok(targets > 0)
    }
}
