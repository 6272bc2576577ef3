//! A secret a repository keeps sealed in one column of its row under its own field name (the
//! webhook secret, the notification key): made here and shown once, removed, opened.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::Rng;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use super::secrets::{DecryptError, SealedField, SecretBox};
use crate::{entities::repository, error::Result};

/// Random bytes in a new secret.
const SECRET_BYTES: usize = 32;

/// One kind of repository secret: where it is stored and what it is sealed as.
#[derive(Debug, Clone, Copy)]
pub struct RepoSecret {
    /// The column holding it, sealed.
    pub column: repository::Column,
    /// The field name sealed into its associated data (a copy in another column does not open).
    pub field: &'static str,
}

impl RepoSecret {
    /// Stores a new secret for `repo_id` (replacing any), sealed; returns it for showing once.
    ///
    /// # Errors
    /// The database failed.
    pub async fn rotate(
        self,
        db: &DatabaseConnection,
        secrets: &SecretBox,
        repo_id: i64,
    ) -> Result<String> {
        let secret = new_secret();
        let sealed = secrets.seal(&SealedField::repository(repo_id, self.field), &secret);
        self.set(db, repo_id, Some(sealed)).await?;
        Ok(secret)
    }

    /// Removes the secret of `repo_id`.
    ///
    /// # Errors
    /// The database failed.
    pub async fn remove(self, db: &DatabaseConnection, repo_id: i64) -> Result<()> {
        self.set(db, repo_id, None).await
    }

    async fn set(
        self,
        db: &DatabaseConnection,
        repo_id: i64,
        sealed: Option<String>,
    ) -> Result<()> {
        repository::Entity::update_many()
            .col_expr(self.column, Expr::value(sealed))
            .filter(repository::Column::Id.eq(repo_id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// The secret of repository `repo_id` from its stored (sealed) value, if it has one.
    ///
    /// # Errors
    /// The stored value does not decrypt (another key, or tampered with).
    pub fn open(
        self,
        secrets: &SecretBox,
        repo_id: i64,
        stored: Option<&str>,
    ) -> Result<Option<String>, DecryptError> {
        stored
            .map(|sealed| secrets.open(&SealedField::repository(repo_id, self.field), sealed))
            .transpose()
    }
}

/// A new secret: 32 random bytes, URL-safe base64 without padding (43 characters).
#[must_use]
pub fn new_secret() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_url_safe() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
