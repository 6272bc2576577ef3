//! Webhook triggers: each repository's secret (made here, sealed at rest like mirror
//! passwords, shown once) and the check of a forge's call against it — GitHub's
//! `X-Hub-Signature-256`, Gitea's and Forgejo's signatures, GitLab's token — in constant time,
//! on the raw body, before anything reads the body.

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::repo_secret::RepoSecret;
use crate::{auth::same_secret, entities::repository};

/// Largest webhook body accepted (GitHub caps its payloads at 25 MiB; a push event's is small).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Where the webhook secret is kept, and what it is sealed as.
pub const SECRET: RepoSecret = RepoSecret {
    column: repository::Column::WebhookSecret,
    field: "webhook_secret",
};

/// The URL a forge calls for `owner/name`, under the public base URL.
#[must_use]
pub fn url(base: &str, owner: &str, name: &str) -> String {
    format!(
        "{}/api/v1/repos/{owner}/{name}/mirror/webhook",
        base.trim_end_matches('/')
    )
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
