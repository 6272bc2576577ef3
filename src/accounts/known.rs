//! Which user a token or a user id stands for, remembered for a few seconds
//! ([`crate::auth::recent`]): asked on every authenticated request, changed rarely.

use sea_orm::DatabaseConnection;

use super::{tokens, users};
use crate::{auth::recent::Recent, auth::token, entities::user, error::Result};

/// The accounts recently looked up, by token and by id.
#[derive(Debug, Default)]
pub struct KnownAccounts {
    /// By the token's hash (the token itself is never kept).
    by_token: Recent<String, user::Model>,
    by_id: Recent<i64, user::Model>,
}

impl KnownAccounts {
    /// The user a token belongs to, if the token is valid.
    ///
    /// # Errors
    /// The database failed.
    pub async fn by_token(
        &self,
        db: &DatabaseConnection,
        secret: &str,
    ) -> Result<Option<user::Model>> {
        let hash = token::hash(secret);
        if let Some(user) = self.by_token.get(&hash) {
            return Ok(Some(user));
        }
        let found = tokens::authenticate(db, secret).await?;
        if let Some(user) = &found {
            self.by_token.remember(hash, user.clone());
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
        self.by_token.forget_where(|_, user| user.id == user_id);
        self.by_id.forget(&user_id);
    }
}
