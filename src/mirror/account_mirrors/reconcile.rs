//! Applying a discovery's plan here: each new repository of the account becomes a pull mirror
//! in the owner (created, then its settings saved through the one settings write path, due at
//! once so its first sync takes a fair slot like any other); a renamed one follows its new
//! URL; one gone from the source (or newly left out) is paused and marked, never deleted; one
//! that comes back is resumed.

use std::collections::HashSet;

use futures_util::StreamExt;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr,
};
use serde::Serialize;
use url::Url;

use super::{
    plan::{Made, Plan, Skipped, ToAdd},
    providers::Provider,
    spec::OnRemoved,
    store::AccountMirror,
    token_scope::token_may_go_to,
};
use crate::{
    config::Config,
    entities::{mirror_enums::MirrorDirection, repository},
    error::{Error, Result},
    mirror::{
        secrets::SecretBox,
        settings::{self, Current, SettingsPatch},
    },
    repos::{self, MadeBy, NewRepo},
};

/// New mirrors made at once.
const ADDING_AT_ONCE: usize = 4;

/// What applying a plan did, by repository name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    /// Mirrors made.
    pub added: Vec<String>,
    /// Mirrors paused (or, with `on_removed: keep`, only marked) because the source no longer
    /// lists or includes them.
    pub paused: Vec<String>,
    /// Mirrors whose repository is listed again.
    pub back: Vec<String>,
    /// Mirrors following a renamed repository's new URL.
    pub moved: Vec<String>,
    /// Repositories not mirrored, and why.
    pub skipped: Vec<Skipped>,
}

impl Applied {
    /// Whether anything here changed.
    #[must_use]
    pub fn changed_anything(&self) -> bool {
        !(self.added.is_empty() && self.paused.is_empty() && self.back.is_empty())
    }
}

/// A made repository as a plan reads it: id, name, source id, upstream URL, gone.
type MadeRow = (i64, String, Option<String>, Option<String>, bool);

/// The mirrors account mirror `id` made, as a plan reads them.
///
/// # Errors
/// The database failed.
pub async fn made(db: &DatabaseConnection, id: i64) -> Result<Vec<Made>> {
    let rows: Vec<MadeRow> = repository::Entity::find()
        .select_only()
        .column(repository::Column::Id)
        .column(repository::Column::Name)
        .column(repository::Column::SourceId)
        .column(repository::Column::UpstreamUrl)
        .column(repository::Column::GoneFromSource)
        .filter(repository::Column::AccountMirrorId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(repository_id, name, source_id, upstream_url, gone)| {
            Some(Made {
                repository_id,
                name,
                source_id: source_id?,
                upstream_url: upstream_url.unwrap_or_default(),
                gone,
            })
        })
        .collect())
}

/// The names (lowercase) taken in `owner_id` by repositories account mirror `id` did not make.
///
/// # Errors
/// The database failed.
pub async fn taken(db: &DatabaseConnection, owner_id: i64, id: i64) -> Result<HashSet<String>> {
    let names: Vec<(String, Option<i64>)> = repository::Entity::find()
        .select_only()
        .column(repository::Column::LowerName)
        .column(repository::Column::AccountMirrorId)
        .filter(repository::Column::OwnerId.eq(owner_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(names
        .into_iter()
        .filter(|(_, by)| *by != Some(id))
        .map(|(name, _)| name)
        .collect())
}

/// Applies plans of one account mirror.
pub struct Reconciler<'a> {
    /// Where repositories are recorded.
    pub db: &'a DatabaseConnection,
    /// Limits and the URL policy.
    pub config: &'a Config,
    /// Seals the mirrors' passwords.
    pub secrets: &'a SecretBox,
    /// The account mirror, with its owner.
    pub account: &'a AccountMirror,
    /// Its token, opened.
    pub token: Option<&'a str>,
}

impl Reconciler<'_> {
    /// The login a mirror of `clone_url` uses: the token, only where it may go.
    fn login(&self, clone_url: &str) -> (Option<String>, Option<String>) {
        let api = Url::parse(&self.account.row.api_url).ok();
        let clone = Url::parse(clone_url).ok();
        match (self.token, api, clone) {
            (Some(token), Some(api), Some(clone)) if token_may_go_to(&api, &clone) => {
                let provider =
                    Provider::parse(&self.account.row.provider).unwrap_or(Provider::Github);
                (
                    Some(provider.git_username().to_owned()),
                    Some(token.to_owned()),
                )
            }
            // Empty values clear a login a mirror had for another URL.
            _ => (Some(String::new()), Some(String::new())),
        }
    }

    /// Does what `plan` says, repository by repository: one that cannot be made is skipped
    /// with the reason, the others go on.
    ///
    /// # Errors
    /// The database failed.
    pub async fn apply(&self, plan: Plan) -> Result<Applied> {
        let mut applied = Applied {
            skipped: plan.skipped,
            ..Applied::default()
        };
        // A few at a time: each waits on its disk (the new repository) more than on the
        // database, whose writes take turns anyway.
        let mut adding = futures_util::stream::iter(plan.add)
            .map(|add| async move {
                let made = self.add(&add).await;
                (add, made)
            })
            .buffered(ADDING_AT_ONCE);
        while let Some((add, made)) = adding.next().await {
            match made {
                Ok(()) => applied.added.push(add.name),
                Err(Error::Database(e)) => return Err(Error::Database(e)),
                Err(refused) => applied.skipped.push(Skipped {
                    name: add.name,
                    reason: reason(&refused),
                }),
            }
        }
        drop(adding);
        for moved in plan.moved {
            let (username, password) = self.login(&moved.clone_url);
            let patch = SettingsPatch {
                upstream_url: Some(moved.clone_url),
                upstream_username: username,
                upstream_password: password,
                ..SettingsPatch::default()
            };
            if let Some(name) = self.patch(moved.repository_id, patch).await? {
                applied.moved.push(name);
            }
        }
        let pause = self.account.row.on_removed != OnRemoved::Keep.as_str();
        for (id, name) in plan.gone {
            if pause {
                let patch = SettingsPatch {
                    mirror_enabled: Some(false),
                    ..SettingsPatch::default()
                };
                self.patch(id, patch).await?;
            }
            mark_gone(self.db, id, true).await?;
            applied.paused.push(name);
        }
        for id in plan.back {
            if pause {
                let patch = SettingsPatch {
                    mirror_enabled: Some(true),
                    ..SettingsPatch::default()
                };
                if let Some(name) = self.patch(id, patch).await? {
                    applied.back.push(name);
                }
            }
            mark_gone(self.db, id, false).await?;
        }
        Ok(applied)
    }

    /// Gives every mirror this account mirror made the login its token now allows (after the
    /// token was set, changed or cleared); how many were changed.
    ///
    /// # Errors
    /// The database failed.
    pub async fn relogin(&self) -> Result<usize> {
        let mut changed = 0;
        for made in made(self.db, self.account.row.id).await? {
            let (username, password) = self.login(&made.upstream_url);
            let patch = SettingsPatch {
                upstream_username: username,
                upstream_password: password,
                ..SettingsPatch::default()
            };
            if self.patch(made.repository_id, patch).await?.is_some() {
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Makes the mirror of one new repository: its settings checked before anything is made.
    async fn add(&self, add: &ToAdd) -> Result<()> {
        let row = &self.account.row;
        let (username, password) = self.login(&add.clone_url);
        let patch = SettingsPatch {
            mirror_enabled: Some(true),
            mirror_direction: Some(MirrorDirection::Upstream.as_str().to_owned()),
            upstream_url: Some(add.clone_url.clone()),
            upstream_username: username.filter(|u| !u.is_empty()),
            upstream_password: password.filter(|p| !p.is_empty()),
            sync_interval: Some(row.sync_interval),
            lfs_enabled: Some(row.lfs),
            ..SettingsPatch::default()
        };
        let checked = settings::validate(self.config, &Current::Blank, &patch).await?;
        let made = repos::create(
            self.db,
            self.config,
            &self.account.owner,
            NewRepo {
                name: add.name.clone(),
                description: String::new(),
                private: add.private,
                made_by: Some(MadeBy {
                    account_mirror_id: row.id,
                    source_id: add.source_id.clone(),
                }),
                ..NewRepo::default()
            },
        )
        .await?;
        settings::save(self.db, self.secrets, made.repo, None, patch, checked).await?;
        Ok(())
    }

    /// Applies `patch` to repository `id` through the settings path; its name, or `None`
    /// when it is gone or the patch was refused (logged).
    async fn patch(&self, id: i64, patch: SettingsPatch) -> Result<Option<String>> {
        let Some(repo) = repository::Entity::find_by_id(id).one(self.db).await? else {
            return Ok(None);
        };
        let name = repo.name.clone();
        match settings::apply(self.db, self.config, self.secrets, repo, patch).await {
            Ok(_) => Ok(Some(name)),
            Err(Error::Database(e)) => Err(Error::Database(e)),
            Err(refused) => {
                tracing::warn!(repo_id = id, error = %refused, "account mirror could not change a mirror");
                Ok(None)
            }
        }
    }
}

/// Marks (or unmarks) repository `id` as gone from its account mirror's source.
async fn mark_gone(db: &DatabaseConnection, id: i64, gone: bool) -> Result<()> {
    repository::Entity::update_many()
        .col_expr(repository::Column::GoneFromSource, Expr::value(gone))
        .filter(repository::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Why a repository could not be made, in a few words for the preview and the page.
fn reason(refused: &Error) -> String {
    match refused {
        Error::Conflict(_) => "name taken".to_owned(),
        Error::Validation(fields) => fields.iter().next().map_or_else(
            || "refused".to_owned(),
            |(field, m)| format!("{field}: {m}"),
        ),
        other => other.to_string(),
    }
}
