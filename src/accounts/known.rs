//! Which user a token or a user id stands for, remembered for a few seconds
//! ([`crate::auth::recent`]): asked on every authenticated request, changed rarely.

use sea_orm::DatabaseConnection;

use super::{
    tokens::{self, TokenTerms},
    users,
};
use crate::{auth::recent::Recent, auth::token, entities::user, error::Result};

/// The accounts recently looked up, by token and by id.
#[derive(Debug, Default)]
pub struct KnownAccounts {
    /// By the token's hash (the token itself is never kept).
    by_token: Recent<String, (user::Model, TokenTerms)>,
    by_id: Recent<i64, user::Model>,
}

impl KnownAccounts {
    /// The user a token belongs to and its terms, if the token is valid (an expired one is
    /// not, also when it was remembered before it expired).
    ///
    /// # Errors
    /// The database failed.
    pub async fn by_token(
        &self,
        db: &DatabaseConnection,
        secret: &str,
    ) -> Result<Option<(user::Model, TokenTerms)>> {
        let hash = token::hash(secret);
        if let Some((user, terms)) = self.by_token.get(&hash) {
            if terms.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
                self.by_token.forget(&hash);
                return Ok(None);
            }
            return Ok(Some((user, terms)));
        }
        let found = tokens::authenticate(db, secret).await?;
        if let Some(found) = &found {
            self.by_token.remember(hash, found.clone());
        }
        Ok(found)
    }

    /// The user with this id, if there is one.
    ///
    /// # Errors
    /// The database failed.
    pub async fn by_id(&self, db: &DatabaseConnection, id: i64) -> Result<Option<user::Model>> {
        if let Some(user) = self.by_id.get(&id) {
            return Ok(Some(user));
        }
        let found = users::find_by_id(db, id).await?;
        if let Some(user) = &found {
            self.by_id.remember(id, user.clone());
        }
        Ok(found)
    }

    /// Forgets everything known of one user: call it after changing the user or their tokens.
    pub fn forget_user(&self, user_id: i64) {
        self.by_token
            .forget_where(|_, (user, _)| user.id == user_id);
        self.by_id.forget(&user_id);
    }
}
