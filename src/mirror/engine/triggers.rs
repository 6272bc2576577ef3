//! Sync on push: a `git push` into a repository that changed refs starts a push to its
//! sync-on-push targets, at once or, when a sync of it runs, right after that one ends. Pushes
//! in quick succession coalesce: per repository at most one such sync waits while one runs.

use std::{
    sync::Arc,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::Engine;
use crate::{
    entities::{mirror_enums::Trigger, push_mirror, repository},
    error::Result,
};

/// How often a waiting push-triggered sync tries to claim its repository.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// A repository's waiting mark, given up once its sync starts or, however it ends, when the
/// waiter ends.
struct Waiting {
    engine: Arc<Engine>,
    repo_id: i64,
    given_up: AtomicBool,
}

impl Waiting {
    /// Gives the mark up (once: a later mark is another push's).
    fn give_up(&self) {
        if !self.given_up.swap(true, Ordering::SeqCst)
            && let Ok(mut waiting) = self.engine.push_waiting.lock()
        {
            waiting.remove(&self.repo_id);
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.give_up();
    }
}

impl Engine {
    /// A `git push` changed refs of `repo_id`: its sync-on-push targets are pushed to now, or
    /// right after the sync that runs; a push while one already waits adds nothing.
    pub fn pushed(self: &Arc<Self>, repo_id: i64) {
        let Ok(mut waiting) = self.push_waiting.lock() else {
            return;
        };
        if !waiting.insert(repo_id) {
            return; // one already waits: it will push this push's refs too
        }
        drop(waiting);
        let waiter = Waiting {
            engine: Arc::clone(self),
            repo_id,
            given_up: AtomicBool::new(false),
        };
        tokio::spawn(async move {
            if let Err(e) = waiter.engine.push_when_free(&waiter).await {
                tracing::error!(error = %e, repo_id, "could not start a sync after a push");
            }
        });
    }

    /// Claims the repository as soon as no sync of it runs (for as long as a sync may take),
    /// then starts the push: the waiting mark goes first, so a push during it waits anew.
    async fn push_when_free(self: &Arc<Self>, waiter: &Waiting) -> Result<()> {
        let repo_id = waiter.repo_id;
        let patience = Duration::from_secs(self.config.sync_timeout.saturating_mul(2));
        let started = tokio::time::Instant::now();
        loop {
            let Some(repo) = self.pushes_on_push(repo_id).await? else {
                return Ok(());
            };
            if self.stopping.load(Ordering::SeqCst) {
                return Ok(());
            }
            if self.claim_now(repo_id).await? {
                waiter.give_up();
                self.spawn_claimed(&repo, Trigger::Push, super::Scope::Mirror);
                return Ok(());
            }
            if started.elapsed() > patience {
                tracing::warn!(
                    repo_id,
                    "a sync after a push waited too long and was dropped"
                );
                return Ok(());
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }

    /// The repository, when it mirrors downstream and has an enabled sync-on-push target.
    async fn pushes_on_push(&self, repo_id: i64) -> Result<Option<repository::Model>> {
        let Some(repo) = repository::Entity::find_by_id(repo_id)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if !repo.mirror_enabled || !repo.mirror_direction.pushes() {
            return Ok(None);
        }
        let targets = push_mirror::Entity::find()
            .filter(push_mirror::Column::RepositoryId.eq(repo_id))
            .filter(push_mirror::Column::Enabled.eq(true))
            .filter(push_mirror::Column::SyncOnPush.eq(true))
            .count(&self.db)
            .await?;
        Ok((targets > 0).then_some(repo))
    }
}
