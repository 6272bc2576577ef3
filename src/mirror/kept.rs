//! Kept refs as people see them and as they go: each with the time its run kept it and when
//! it expires (`MIRRORFORGE_KEEP_DAYS` later), and the daily removal of expired ones. The refs
//! themselves are `git::kept`'s; served repositories' background gc then frees their objects.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use serde::Serialize;

use crate::{
    config::Config,
    entities::{mirror_run, repository, user},
    error::{Error, Result},
    git::kept,
    repos::{Repo, repo_path},
};

/// One kept ref: the old value of a ref a run overwrote or deleted here.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeptView {
    /// The run that overwrote or deleted it.
    pub run_id: i64,
    /// The full original ref name.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The id it had.
    pub sha: String,
    /// When its run ended (or started, when it never ended); null when the run is unknown.
    pub kept_at: Option<DateTime<Utc>>,
    /// When it is removed; null when kept for ever (`MIRRORFORGE_KEEP_DAYS=0`) or its run is
    /// unknown.
    pub expires_at: Option<DateTime<Utc>>,
}

/// How long kept refs live by `config`; `None` for ever.
fn lifetime(config: &Config) -> Option<TimeDelta> {
    (config.keep_days > 0).then(|| TimeDelta::days(i64::from(config.keep_days)))
}

/// When a run kept what it kept: its end, or its start when it never ended.
fn kept_at(run: &mirror_run::Model) -> DateTime<Utc> {
    run.finished_at.unwrap_or(run.started_at)
}

/// The kept refs of `repo`, newest first.
///
/// # Errors
/// The repository cannot be read, or the database failed.
pub async fn list(db: &DatabaseConnection, config: &Config, repo: &Repo) -> Result<Vec<KeptView>> {
    let path = repo.path(config);
    let refs = tokio::task::spawn_blocking(move || kept::list(&path))
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)?;
    let ids: BTreeSet<i64> = refs.iter().map(|k| k.run_id).collect();
    let runs: HashMap<i64, DateTime<Utc>> = if ids.is_empty() {
        HashMap::new()
    } else {
        mirror_run::Entity::find()
            .filter(mirror_run::Column::RepositoryId.eq(repo.repo.id))
            .filter(mirror_run::Column::Id.is_in(ids))
            .all(db)
            .await?
            .iter()
            .map(|run| (run.id, kept_at(run)))
            .collect()
    };
    let lifetime = lifetime(config);
    Ok(refs
        .into_iter()
        .map(|k| {
            let kept_at = runs.get(&k.run_id).copied();
            KeptView {
                expires_at: kept_at.zip(lifetime).map(|(at, days)| at + days),
                kept_at,
                run_id: k.run_id,
                reference: k.reference,
                sha: k.sha,
            }
        })
        .collect())
}

/// The commits of `kept` in `repo`, by id (what each one's first line, author and date are).
///
/// # Errors
/// The repository cannot be read.
pub async fn commits(
    config: &Config,
    repo: &Repo,
    kept: &[KeptView],
) -> Result<HashMap<String, kept::KeptCommit>> {
    let path = repo.path(config);
    let shas: Vec<String> = kept.iter().map(|k| k.sha.clone()).collect();
    tokio::task::spawn_blocking(move || kept::commits(&path, &shas))
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)
}

/// Removes every kept ref older than `MIRRORFORGE_KEEP_DAYS` at `now` (nothing when it is 0):
/// the daily job, callable directly. Returns how many went; a repository that cannot be
/// cleaned is logged and skipped.
///
/// # Errors
/// The database failed.
pub async fn expire(db: &DatabaseConnection, config: &Config, now: DateTime<Utc>) -> Result<usize> {
    let Some(lifetime) = lifetime(config) else {
        return Ok(0);
    };
    let cutoff = now - lifetime;
    // Runs whose kept refs are still here and started before the cutoff (the index); their
    // end decides.
    let mut expired: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for run in mirror_run::Entity::find()
        .filter(mirror_run::Column::HoldsKeptRefs.eq(true))
        .filter(mirror_run::Column::StartedAt.lt(cutoff))
        .all(db)
        .await?
    {
        if kept_at(&run) < cutoff {
            expired.entry(run.repository_id).or_default().insert(run.id);
        }
    }
    let mut removed = 0;
    for (repo_id, runs) in expired {
        let Some((repo, Some(owner))) = repository::Entity::find_by_id(repo_id)
            .find_also_related(user::Entity)
            .one(db)
            .await?
        else {
            continue;
        };
        let path = repo_path(config, &owner.username, &repo.name);
        let ids: Vec<i64> = runs.iter().copied().collect();
        let gone =
            tokio::task::spawn_blocking(move || kept::remove(&path, |run| runs.contains(&run)))
                .await;
        match gone {
            Ok(Ok(count)) => {
                removed += count;
                mirror_run::Entity::update_many()
                    .col_expr(mirror_run::Column::HoldsKeptRefs, Expr::value(false))
                    .filter(mirror_run::Column::Id.is_in(ids))
                    .exec(db)
                    .await?;
            }
            Ok(Err(e)) => tracing::warn!(repo_id, error = %e, "could not remove expired kept refs"),
            Err(e) => tracing::warn!(repo_id, error = %e, "could not remove expired kept refs"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed expired kept refs");
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_for_the_configured_days_or_for_ever() {
        let mut config = Config::for_data_dir(std::path::PathBuf::from("/nonexistent"));
        assert_eq!(lifetime(&config), Some(TimeDelta::days(90)));
        config.keep_days = 0;
        assert_eq!(lifetime(&config), None);
    }
}
