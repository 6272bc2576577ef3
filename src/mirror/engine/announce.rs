//! What follows a recorded run: its numbers into the metrics, and a notification when the
//! repository's outcome changed (into failed, or back from it), sent in the background.

use chrono::Utc;
use sea_orm::EntityTrait;

use super::{
    Engine,
    record::{Recorded, Run},
};
use crate::{entities::repository, mirror::notify::Notice};

impl Engine {
    /// Counts the run ended as `recorded`, and announces a change of outcome without waiting.
    pub(super) fn after_record(&self, recorded: &Recorded, run: Run) {
        let Run {
            row: run,
            asked,
            owner,
            ..
        } = run;
        let direction = asked.direction;
        let took = (Utc::now() - run.started_at).to_std().unwrap_or_default();
        self.metrics.sync_ended(
            direction.as_str(),
            recorded.status.as_str(),
            took,
            recorded.bytes,
        );
        let Some(change) = recorded.change else {
            return;
        };
        let (db, notifier) = (self.db.clone(), self.notifier.clone());
        let base_url = self.config.base_url();
        let (repo_id, run_id) = (run.repository_id, run.id);
        tokio::spawn(async move {
            // The row as the run left it: its error and failure count.
            match repository::Entity::find_by_id(repo_id).one(&db).await {
                Ok(Some(repo)) => {
                    let notice = Notice::new(change, &repo, &owner, run_id, Utc::now(), &base_url);
                    notifier.announce(&repo, &owner, &notice);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the repository to notify about it");
                }
            }
        });
    }
}
