//! The paths repositories were known by before a rename or a move: each leads to the
//! repository (by id) until a new repository takes the path.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};

use super::Repo;
use crate::{
    entities::{repository, repository_redirect, user},
    error::Result,
};

/// The repository `owner/name` (any case) was renamed or moved to, if it was.
///
/// # Errors
/// The database failed.
pub async fn follow(db: &DatabaseConnection, owner: &str, name: &str) -> Result<Option<Repo>> {
    let Some(redirect) = repository_redirect::Entity::find()
        .filter(repository_redirect::Column::LowerOwner.eq(owner.to_ascii_lowercase()))
        .filter(repository_redirect::Column::LowerName.eq(name.to_ascii_lowercase()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let found = repository::Entity::find_by_id(redirect.repository_id)
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(repo, owner)| {
        Some(Repo {
            repo,
            owner: owner?,
        })
    }))
}

/// Makes `owner/name` lead to `repository_id` (replacing what it led to before).
///
/// # Errors
/// The database failed.
pub async fn remember<C: ConnectionTrait>(
    db: &C,
    owner: &str,
    name: &str,
    repository_id: i64,
) -> Result<()> {
    release(db, owner, name).await?;
    repository_redirect::ActiveModel {
        lower_owner: Set(owner.to_ascii_lowercase()),
        lower_name: Set(name.to_ascii_lowercase()),
        repository_id: Set(repository_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Frees `owner/name` of any redirect: a repository now has that path.
///
/// # Errors
/// The database failed.
pub async fn release<C: ConnectionTrait>(db: &C, owner: &str, name: &str) -> Result<()> {
    repository_redirect::Entity::delete_many()
        .filter(repository_redirect::Column::LowerOwner.eq(owner.to_ascii_lowercase()))
        .filter(repository_redirect::Column::LowerName.eq(name.to_ascii_lowercase()))
        .exec(db)
        .await?;
    Ok(())
}
