//! Webhook triggers: each repository's secret (made here, sealed at rest like mirror
//! passwords, shown once) and the check of a forge's call against it — GitHub's
//! `X-Hub-Signature-256`, Gitea's and Forgejo's signatures, GitLab's token — in constant time,
//! on the raw body, before anything reads the body.

use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use sha2::Sha256;

use super::secrets::{DecryptError, Place, SecretBox};
use crate::{auth::same_secret, entities::repository, error::Result};

/// Largest webhook body accepted (GitHub caps its payloads at 25 MiB; a push event's is small).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Random bytes in a new secret.
const SECRET_BYTES: usize = 32;
/// The field name sealed into the secret's associated data.
const FIELD: &str = "webhook_secret";

/// A new secret: 32 random bytes, URL-safe base64 without padding (43 characters).
#[must_use]
pub fn new_secret() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The URL a forge calls for `owner/name`, under the public base URL.
#[must_use]
pub fn url(base: &str, owner: &str, name: &str) -> String {
    format!(
        "{}/api/v1/repos/{owner}/{name}/mirror/webhook",
        base.trim_end_matches('/')
    )
}

/// Stores a new secret for `repo_id` (replacing any), sealed; returns it for showing once.
///
/// # Errors
/// The database failed.
pub async fn rotate(db: &DatabaseConnection, secrets: &SecretBox, repo_id: i64) -> Result<String> {
    let secret = new_secret();
    let sealed = secrets.seal(&Place::repository(repo_id, FIELD), &secret);
    set(db, repo_id, Some(sealed)).await?;
    Ok(secret)
}

/// Removes the secret of `repo_id`: the webhook is off.
///
/// # Errors
/// The database failed.
pub async fn remove(db: &DatabaseConnection, repo_id: i64) -> Result<()> {
    set(db, repo_id, None).await
}

async fn set(db: &DatabaseConnection, repo_id: i64, sealed: Option<String>) -> Result<()> {
    repository::Entity::update_many()
        .col_expr(repository::Column::WebhookSecret, Expr::value(sealed))
        .filter(repository::Column::Id.eq(repo_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The secret of `repo`, if it has one.
///
/// # Errors
/// The stored value does not decrypt (another key, or tampered with).
pub fn secret_of(
    secrets: &SecretBox,
    repo: &repository::Model,
) -> Result<Option<String>, DecryptError> {
    repo.webhook_secret
        .as_deref()
        .map(|sealed| secrets.open(&Place::repository(repo.id, FIELD), sealed))
        .transpose()
}

/// Whether one of the forges' headers verifies `body` with `secret`: GitHub's
/// `X-Hub-Signature-256: sha256=<hex HMAC>`, Gitea's `X-Gitea-Signature` or Forgejo's
/// `X-Forgejo-Signature: <hex HMAC>`, or GitLab's `X-Gitlab-Token: <secret>`. Every header
/// present is checked, each in constant time.
#[must_use]
pub fn verifies(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mut verified = false;
    if let Some(signature) = header("x-hub-signature-256").and_then(|v| v.strip_prefix("sha256=")) {
        verified |= hmac_matches(secret, body, signature);
    }
    for name in ["x-gitea-signature", "x-forgejo-signature"] {
        if let Some(signature) = header(name) {
            verified |= hmac_matches(secret, body, signature);
        }
    }
    if let Some(token) = headers.get("x-gitlab-token") {
        verified |= same_secret(secret.as_bytes(), token.as_bytes());
    }
    verified
}

/// HMAC-SHA256 of `body` under `secret`, compared in constant time with the hex `signature`.
fn hmac_matches(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn signed(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

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

    #[test]
    fn each_forge_verifies_and_any_tampering_does_not() {
        let secret = "s3cret";
        let body = br#"{"ref":"refs/heads/main"}"#;
        let sig = signed(secret, body);
        let github = format!("sha256={sig}");
        assert!(verifies(
            secret,
            &headers(&[("x-hub-signature-256", &github)]),
            body
        ));
        assert!(verifies(
            secret,
            &headers(&[("x-gitea-signature", &sig)]),
            body
        ));
        assert!(verifies(
            secret,
            &headers(&[("x-forgejo-signature", &sig)]),
            body
        ));
        assert!(verifies(
            secret,
            &headers(&[("x-gitlab-token", secret)]),
            body
        ));

        let mut changed = body.to_vec();
        changed[3] ^= 1;
        assert!(!verifies(
            secret,
            &headers(&[("x-hub-signature-256", &github)]),
            &changed
        ));
        assert!(!verifies(
            "other",
            &headers(&[("x-gitea-signature", &sig)]),
            body
        ));
        assert!(!verifies(
            secret,
            &headers(&[("x-hub-signature-256", &sig)]),
            body
        ));
        assert!(!verifies(
            secret,
            &headers(&[("x-gitlab-token", "s3cre")]),
            body
        ));
        assert!(!verifies(
            secret,
            &headers(&[("x-gitea-signature", "zz")]),
            body
        ));
        assert!(!verifies(secret, &HeaderMap::new(), body));
        assert!(!verifies(
            secret,
            &headers(&[("authorization", "Bearer s3cret")]),
            body
        ));
    }
}
