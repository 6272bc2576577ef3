//! The notification key: made here (shown once), sealed at rest under its own field, and the
//! HMAC-SHA256 that signs each notification with it. Never the webhook secret: a notification's
//! body and signature are not a webhook call anyone can replay.

use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use sha2::Sha256;

use crate::{
    entities::repository,
    error::Result,
    mirror::{
        secrets::{DecryptError, Place, SecretBox},
        webhook,
    },
};

/// The field name sealed into the key's associated data.
const FIELD: &str = "notify_secret";

/// Stores a new key for `repo_id` (replacing any), sealed; returns it for showing once.
///
/// # Errors
/// The database failed.
pub async fn rotate(db: &DatabaseConnection, secrets: &SecretBox, repo_id: i64) -> Result<String> {
    let key = webhook::new_secret();
    let sealed = secrets.seal(&Place::repository(repo_id, FIELD), &key);
    set(db, repo_id, Some(sealed)).await?;
    Ok(key)
}

/// Removes the key of `repo_id`: notifications go unsigned.
///
/// # Errors
/// The database failed.
pub async fn remove(db: &DatabaseConnection, repo_id: i64) -> Result<()> {
    set(db, repo_id, None).await
}

async fn set(db: &DatabaseConnection, repo_id: i64, sealed: Option<String>) -> Result<()> {
    repository::Entity::update_many()
        .col_expr(repository::Column::NotifySecret, Expr::value(sealed))
        .filter(repository::Column::Id.eq(repo_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The key of `repo`, if it has one.
///
/// # Errors
/// The stored value does not decrypt (another key, or tampered with).
pub fn key_of(
    secrets: &SecretBox,
    repo: &repository::Model,
) -> Result<Option<String>, DecryptError> {
    repo.notify_secret
        .as_deref()
        .map(|sealed| secrets.open(&Place::repository(repo.id, FIELD), sealed))
        .transpose()
}

/// The hex HMAC-SHA256 of `body` under `key`: the notification's signature.
#[must_use]
pub fn sign(key: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC accepts keys of every length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_sealed_for_notifications_does_not_open_as_the_webhook_secret() {
        let secrets = SecretBox::from_key(&[3; 32]);
        let sealed = secrets.seal(&Place::repository(1, FIELD), "k");
        assert_eq!(
            secrets.open(&Place::repository(1, FIELD), &sealed).unwrap(),
            "k"
        );
        assert!(
            secrets
                .open(&Place::repository(1, "webhook_secret"), &sealed)
                .is_err()
        );
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
