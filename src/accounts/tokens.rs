//! Personal access tokens: create (shown once), list, revoke, authenticate.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::known::KnownAccounts;
use crate::{
    auth::token,
    entities::{access_token, user},
    error::{Error, Result},
};

/// A token just created: the row and the only copy of the secret.
#[derive(Debug)]
pub struct CreatedToken {
    /// The stored row.
    pub row: access_token::Model,
    /// The token itself, to be shown once.
    pub secret: String,
}

/// Creates a token for a user.
///
/// # Errors
/// An empty or too long name (422), a name the user's tokens already have (409), or the
/// database.
pub async fn create(db: &DatabaseConnection, user_id: i64, name: &str) -> Result<CreatedToken> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::field("name", "name is required"));
    }
    if name.chars().count() > 100 {
        return Err(Error::field("name", "name must be at most 100 characters"));
    }
    let secret = token::generate();
    let row = access_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        token_hash: Set(token::hash(&secret)),
        token_last_eight: Set(token::last_eight(&secret)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            Error::Conflict(format!(
                "you already have a token named '{name}'; pick another name"
            ))
        } else {
            Error::Database(e)
        }
    })?;
    Ok(CreatedToken { row, secret })
}

/// The user's tokens, newest first.
///
/// # Errors
/// The database failed.
pub async fn list(db: &DatabaseConnection, user_id: i64) -> Result<Vec<access_token::Model>> {
    Ok(access_token::Entity::find()
        .filter(access_token::Column::UserId.eq(user_id))
        .order_by_desc(access_token::Column::Id)
        .all(db)
        .await?)
}

/// Revokes one of the user's tokens; `known` forgets the user's tokens at once.
///
/// # Errors
/// The token is not the user's (404), or the database.
pub async fn revoke(
    db: &DatabaseConnection,
    known: &KnownAccounts,
    user_id: i64,
    token_id: i64,
) -> Result<()> {
    let result = access_token::Entity::delete_many()
        .filter(access_token::Column::Id.eq(token_id))
        .filter(access_token::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    known.forget_user(user_id);
    if result.rows_affected == 0 {
        return Err(Error::NotFound("token"));
    }
    Ok(())
}

/// The user a token belongs to, if the token is valid; records its use.
///
/// # Errors
/// The database failed.
pub async fn authenticate(db: &DatabaseConnection, secret: &str) -> Result<Option<user::Model>> {
    let found = access_token::Entity::find()
        .filter(access_token::Column::TokenHash.eq(token::hash(secret)))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    let Some((row, Some(user))) = found else {
        return Ok(None);
    };
    let now = Utc::now();
    let stale = row
        .last_used_at
        .is_none_or(|t| (now - t).num_seconds() >= 60);
    if stale {
        let mut active: access_token::ActiveModel = row.into();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    Ok(Some(user))
}
