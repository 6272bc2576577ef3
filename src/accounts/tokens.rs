//! Personal access tokens: create (shown once), list, revoke, authenticate.

use chrono::{DateTime, Utc};
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

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Clone, fetch and read (`GET`): nothing that changes anything.
    Read,
    /// Everything its user may do.
    Write,
}

impl TokenScope {
    /// Reads `read` or `write`.
    ///
    /// # Errors
    /// Any other word (422 naming `scope`).
    pub fn parse(word: &str) -> Result<Self> {
        match word {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            _ => Err(Error::field("scope", "scope must be \"read\" or \"write\"")),
        }
    }

    /// The word stored and shown.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// The scope of a stored row (`read` or anything else: `write`).
    #[must_use]
    pub fn of(row: &access_token::Model) -> Self {
        if row.scope == "read" {
            Self::Read
        } else {
            Self::Write
        }
    }
}

/// Why a read-only token is refused a change.
pub const READ_ONLY: &str =
    "this token may only read (clone, fetch and GET); use a token with the write scope";

/// What a token was made with besides its name.
#[derive(Debug, Clone, Copy)]
pub struct TokenTerms {
    /// When it stops working; `None`: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// What it may do.
    pub scope: TokenScope,
}

impl Default for TokenTerms {
    fn default() -> Self {
        Self {
            expires_at: None,
            scope: TokenScope::Write,
        }
    }
}

/// A token just created: the row and the only copy of the secret.
#[derive(Debug)]
pub struct CreatedToken {
    /// The stored row.
    pub row: access_token::Model,
    /// The token itself, to be shown once.
    pub secret: String,
}

/// Creates a token for a user that never expires and may do everything the user may.
///
/// # Errors
/// As [`create_with`].
pub async fn create(db: &DatabaseConnection, user_id: i64, name: &str) -> Result<CreatedToken> {
    create_with(db, user_id, name, TokenTerms::default()).await
}

/// Creates a token for a user on `terms`.
///
/// # Errors
/// An empty or too long name, or an expiry not in the future (422 naming the field), a name
/// the user's tokens already have (409), or the database.
pub async fn create_with(
    db: &DatabaseConnection,
    user_id: i64,
    name: &str,
    terms: TokenTerms,
) -> Result<CreatedToken> {
    let name = name.trim();
    if terms.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(Error::field(
            "expires_at",
            "expires_at must be in the future",
        ));
    }
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
        expires_at: Set(terms.expires_at),
        scope: Set(terms.scope.word().to_owned()),
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

/// The user a token belongs to and what it lets them do, if the token is valid: known, not
/// expired, of an account that is not disabled. Records its use.
///
/// # Errors
/// The database failed.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &str,
) -> Result<Option<(user::Model, TokenTerms)>> {
    let found = access_token::Entity::find()
        .filter(access_token::Column::TokenHash.eq(token::hash(secret)))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    let Some((row, Some(user))) = found else {
        return Ok(None);
    };
    let now = Utc::now();
    let terms = TokenTerms {
        expires_at: row.expires_at,
        scope: TokenScope::of(&row),
    };
    if user.disabled || terms.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    let stale = row
        .last_used_at
        .is_none_or(|t| (now - t).num_seconds() >= 60);
    if stale {
        let mut active: access_token::ActiveModel = row.into();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    Ok(Some((user, terms)))
}
