//! The notification key: made here (shown once), sealed at rest under its own field, and the
//! HMAC-SHA256 that signs each notification with it. Never the webhook secret: a notification's
//! body and signature are not a webhook call anyone can replay.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{entities::repository, mirror::repo_secret::RepoSecret};

/// Where the notification key is kept, and what it is sealed as.
pub const KEY: RepoSecret = RepoSecret {
    column: repository::Column::NotifySecret,
    field: FIELD,
};

/// The field name sealed into the key's associated data.
const FIELD: &str = "notify_secret";

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
    use crate::mirror::secrets::{SealedField, SecretBox};

    #[test]
    fn a_key_sealed_for_notifications_does_not_open_as_the_webhook_secret() {
        let secrets = SecretBox::from_key(&[3; 32]);
        let sealed = secrets.seal(&SealedField::repository(1, FIELD), "k");
        assert_eq!(
            secrets
                .open(&SealedField::repository(1, FIELD), &sealed)
                .unwrap(),
            "k"
        );
        assert!(
            secrets
                .open(&SealedField::repository(1, "webhook_secret"), &sealed)
                .is_err()
        );
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
