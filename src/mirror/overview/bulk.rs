//! One action on many mirrors at once ("Sync now", pause, resume, a new interval): each
//! repository found, authorised and validated on its own, the results in request order.

use std::sync::Arc;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use super::is_mirror_condition;
use crate::{
    config::Config,
    entities::{repository, user},
    error::{Error, Result},
    mirror::{
        engine::{Engine, SyncRequest, already_running},
        secrets::SecretBox,
        settings::{self, SettingsPatch},
    },
    repos::{self, Permission, Repo},
};

/// Most repositories one batch may name.
pub const MAX_REPOSITORIES: usize = 500;

/// What to do to each repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Start a sync, as "Sync now" does.
    Sync,
    /// Resume mirroring.
    Enable,
    /// Pause mirroring.
    Disable,
    /// Sync every this many seconds.
    SetInterval(i64),
}

impl BulkAction {
    /// Reads `sync`, `enable`, `disable` or `set_interval` (which needs `sync_interval`).
    ///
    /// # Errors
    /// 422 naming `action` for another word, or `sync_interval` when `set_interval` has none.
    pub fn parse(word: &str, sync_interval: Option<i64>) -> Result<Self> {
        match word {
            "sync" => Ok(Self::Sync),
            "enable" => Ok(Self::Enable),
            "disable" => Ok(Self::Disable),
            "set_interval" => sync_interval.map(Self::SetInterval).ok_or_else(|| {
                Error::field("sync_interval", "required for the action set_interval")
            }),
            _ => Err(Error::field(
                "action",
                "must be one of sync, enable, disable, set_interval",
            )),
        }
    }
}

/// What happened to one repository that went well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// A sync was started (202).
    Started,
    /// The settings were changed (200).
    Changed,
}

/// The result for one named repository.
#[derive(Debug)]
pub struct BulkOutcome {
    /// The name as given.
    pub repository: String,
    /// Done, or why not (404, 403, 409, 422).
    pub result: std::result::Result<Done, Error>,
}

/// The services a batch uses.
#[derive(Debug, Clone, Copy)]
pub struct BulkRequest<'a> {
    /// The database.
    pub db: &'a DatabaseConnection,
    /// The configuration (the interval's minimum, URL rules).
    pub config: &'a Config,
    /// Seals credentials (the settings path needs it).
    pub secrets: &'a SecretBox,
    /// Starts syncs.
    pub engine: &'a Arc<Engine>,
}

impl BulkRequest<'_> {
    /// Applies `action` to each of `names` (`owner/name`) for `viewer`, in order.
    ///
    /// # Errors
    /// 422 naming `repositories` for more than [`MAX_REPOSITORIES`]; the database failed.
    pub async fn run(
        &self,
        viewer: &user::Model,
        action: BulkAction,
        names: Vec<String>,
    ) -> Result<Vec<BulkOutcome>> {
        if names.len() > MAX_REPOSITORIES {
            return Err(Error::field(
                "repositories",
                format!("at most {MAX_REPOSITORIES} repositories per batch"),
            ));
        }
        let mut outcomes = Vec::with_capacity(names.len());
        for name in names {
            let result = match self.one(viewer, action, &name).await {
                Err(e @ (Error::Database(_) | Error::Internal(_))) => return Err(e),
                other => other,
            };
            outcomes.push(BulkOutcome {
                repository: name,
                result,
            });
        }
        Ok(outcomes)
    }

    async fn one(&self, viewer: &user::Model, action: BulkAction, name: &str) -> Result<Done> {
        let (owner, repo_name) = name
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or(Error::NotFound("repository"))?;
        // Starting a sync takes write; pausing and resuming change settings, which takes admin.
        let needed = match action {
            BulkAction::Sync => Permission::Write,
            _ => Permission::Admin,
        };
        let found = repos::find(self.db, owner, repo_name).await?;
        let (repo, _) = repos::permitted(self.db, found, Some(viewer), needed).await?;
        if !self.is_mirror(&repo).await? {
            return Err(Error::field("repository", "is not a mirror"));
        }
        let patch = match action {
            BulkAction::Sync => {
                return match self.engine.request_sync(&repo.repo, false).await? {
                    SyncRequest::Started => {
                        tracing::info!(repo = %repo.full_name(), user_id = viewer.id, "sync started by a batch");
                        Ok(Done::Started)
                    }
                    SyncRequest::AlreadyRunning => Err(already_running()),
                    SyncRequest::Disabled => Err(Error::field(
                        "mirror_enabled",
                        "mirroring is paused for this repository; resume it first",
                    )),
                };
            }
            BulkAction::Enable => SettingsPatch {
                mirror_enabled: Some(true),
                ..SettingsPatch::default()
            },
            BulkAction::Disable => SettingsPatch {
                mirror_enabled: Some(false),
                ..SettingsPatch::default()
            },
            BulkAction::SetInterval(seconds) => SettingsPatch {
                sync_interval: Some(seconds),
                ..SettingsPatch::default()
            },
        };
        settings::apply(self.db, self.config, self.secrets, repo.repo, patch).await?;
        Ok(Done::Changed)
    }

    /// Whether `repo` mirrors, or is a paused mirror.
    async fn is_mirror(&self, repo: &Repo) -> Result<bool> {
        if repo.repo.mirror_enabled || repo.repo.upstream_url.is_some() {
            return Ok(true);
        }
        let found = repository::Entity::find()
            .filter(repository::Column::Id.eq(repo.repo.id))
            .filter(is_mirror_condition())
            .count(self.db)
            .await?;
        Ok(found > 0)
    }
}

/// The message of a refusal, naming the field of a validation failure
/// ("sync_interval: must be between 60 and 31536000 seconds").
#[must_use]
pub fn reason(err: &Error) -> String {
    match err {
        Error::Validation(fields) => fields
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.public_message(),
    }
}

/// One line for people: "2 syncs started, 1 already running, 1 not allowed".
#[must_use]
pub fn summary(action: BulkAction, outcomes: &[BulkOutcome]) -> String {
    let count = |wanted: fn(&std::result::Result<Done, Error>) -> bool| {
        outcomes.iter().filter(|o| wanted(&o.result)).count()
    };
    let done = count(|r| r.is_ok());
    let running = count(|r| matches!(r, Err(Error::Conflict(_))));
    let invalid = count(|r| matches!(r, Err(Error::Validation(_))));
    let refused = count(|r| matches!(r, Err(Error::NotFound(_) | Error::Forbidden(_))));
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut parts = vec![match action {
        BulkAction::Sync => plural(done, "sync started", "syncs started"),
        BulkAction::Enable => plural(done, "mirror resumed", "mirrors resumed"),
        BulkAction::Disable => plural(done, "mirror paused", "mirrors paused"),
        BulkAction::SetInterval(_) => plural(done, "interval changed", "intervals changed"),
    }];
    if running > 0 {
        parts.push(format!("{running} already running"));
    }
    if invalid > 0 {
        parts.push(match action {
            BulkAction::Sync => format!("{invalid} paused or not a mirror"),
            _ => format!("{invalid} refused"),
        });
    }
    if refused > 0 {
        parts.push(format!("{refused} not found or not allowed"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_summaries() {
        assert_eq!(BulkAction::parse("sync", None).ok(), Some(BulkAction::Sync));
        assert_eq!(
            BulkAction::parse("set_interval", Some(600)).ok(),
            Some(BulkAction::SetInterval(600))
        );
        assert!(BulkAction::parse("set_interval", None).is_err());
        assert!(BulkAction::parse("explode", None).is_err());
        let outcome = |result| BulkOutcome {
            repository: "a/b".into(),
            result,
        };
        let outcomes = vec![
            outcome(Ok(Done::Started)),
            outcome(Ok(Done::Started)),
            outcome(Err(already_running())),
        ];
        assert_eq!(
            summary(BulkAction::Sync, &outcomes),
            "2 syncs started, 1 already running"
        );
        assert_eq!(
            reason(&Error::field("sync_interval", "too small")),
            "sync_interval: too small"
        );
    }
}
