//! A repository's own settings changed: its name and owner (a rename or a move, its old path
//! remembered so links, remotes and scripts keep working), description, visibility and default
//! branch. Mirrors, runs, push mirrors, kept refs and LFS objects stay with it: they hang on
//! its id, and its directory moves whole.

use chrono::Utc;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait, sea_query::Expr,
};

use super::{Repo, access, check_description, redirects, repo_path, taken};
use crate::{
    config::Config,
    entities::{repository, user},
    error::{Error, FieldErrors, Result},
    git, names,
};

/// What a caller asks to change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct RepoChange {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// Private (`true`) or public.
    pub private: Option<bool>,
    /// The branch HEAD names: what a clone checks out and the pages show first.
    pub default_branch: Option<String>,
    /// The account or organisation to move it to.
    pub owner: Option<String>,
}

/// Applies `change` to `repo` for `caller` (who may administer it), all or nothing.
///
/// # Errors
/// A bad field (422 naming it), an owner the caller may not move it to (403), a taken path or
/// a sync running during a rename or move (409), the database or the disk.
pub async fn apply(
    db: &DatabaseConnection,
    config: &Config,
    caller: &user::Model,
    repo: Repo,
    change: RepoChange,
) -> Result<Repo> {
    let name = change.name.as_deref().map(str::trim);
    let branch = change.default_branch.as_deref().map(str::trim);
    check(config, &repo, name, change.description.as_deref(), branch).await?;
    let owner = match change.owner.as_deref() {
        Some(owner) => access::owner_to_move_into(db, caller, owner).await?,
        None => repo.owner.clone(),
    };
    let name = name.map_or_else(|| repo.repo.name.clone(), str::to_owned);
    let moves = owner.id != repo.owner.id || name != repo.repo.name;
    let same_path = owner.id == repo.owner.id && name.eq_ignore_ascii_case(&repo.repo.name);
    if moves && !same_path {
        let exists = repository::Entity::find()
            .filter(repository::Column::OwnerId.eq(owner.id))
            .filter(repository::Column::LowerName.eq(name.to_ascii_lowercase()))
            .one(db)
            .await?;
        if exists.is_some() {
            return Err(taken(&owner.username, &name));
        }
    }
    let txn = db.begin().await?;
    let mut update = repository::Entity::update_many()
        .col_expr(repository::Column::Name, Expr::value(name.clone()))
        .col_expr(
            repository::Column::LowerName,
            Expr::value(name.to_ascii_lowercase()),
        )
        .col_expr(repository::Column::OwnerId, Expr::value(owner.id))
        .col_expr(repository::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(repository::Column::Id.eq(repo.repo.id));
    if let Some(description) = &change.description {
        update = update.col_expr(
            repository::Column::Description,
            Expr::value(description.trim().to_owned()),
        );
    }
    if let Some(private) = change.private {
        update = update.col_expr(repository::Column::IsPrivate, Expr::value(private));
    }
    // A sync writes into the directory by its path: none may run while the path changes
    // (the row stays locked until the directory has moved, so none starts meanwhile either).
    if moves {
        update = update.filter(repository::Column::SyncClaimedBy.is_null());
    }
    let updated = update.exec(&txn).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            taken(&owner.username, &name)
        } else {
            Error::Database(e)
        }
    })?;
    if updated.rows_affected == 0 {
        return Err(Error::Conflict(format!(
            "a sync of {} is running; rename or move it once the sync has ended",
            repo.full_name()
        )));
    }
    let (from, to) = (repo.path(config), repo_path(config, &owner.username, &name));
    if moves {
        if !same_path {
            redirects::remember(&txn, &repo.owner.username, &repo.repo.name, repo.repo.id).await?;
            redirects::release(&txn, &owner.username, &name).await?;
        }
        git::storage::move_dir(from.clone(), to.clone()).await?;
        if let Err(e) = txn.commit().await {
            // The row still names the old path: the directory goes back there.
            let _ = git::storage::move_dir(to, from).await;
            return Err(e.into());
        }
        tracing::info!(from = %repo.full_name(), to = %format!("{}/{name}", owner.username), "repository renamed or moved");
    } else {
        txn.commit().await?;
    }
    if let Some(branch) = branch {
        git::storage::set_head(to, branch.to_owned()).await?;
    }
    let found = repository::Entity::find_by_id(repo.repo.id)
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    match found {
        Some((repo, Some(owner))) => Ok(Repo { repo, owner }),
        _ => Err(Error::NotFound("repository")),
    }
}

/// Checks the fields that need no database: the name, the description's length, and that
/// the default branch exists in the repository.
async fn check(
    config: &Config,
    repo: &Repo,
    name: Option<&str>,
    description: Option<&str>,
    branch: Option<&str>,
) -> Result<()> {
    let mut fields = FieldErrors::new();
    if let Some(name) = name
        && let Err(message) = names::check_repo_name(name)
    {
        fields.insert("name".to_owned(), message);
    }
    if let Some(Err(message)) = description.map(check_description) {
        fields.insert("description".to_owned(), message);
    }
    if let Some(branch) = branch {
        let exists = !branch.is_empty()
            && git::storage::has_branch(repo.path(config), branch.to_owned()).await?;
        if !exists {
            fields.insert(
                "default_branch".to_owned(),
                format!("there is no branch '{branch}' in this repository"),
            );
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(fields))
    }
}
