//! Mirror credentials at rest: AES-256-GCM, a random nonce per value, and the repository id and
//! field name as associated data (a ciphertext copied to another row or field does not decrypt).

use std::{io::Write, path::Path};

use aes_gcm::{
    Aes256Gcm, Nonce,
    aead::{Aead, KeyInit, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::Rng;

use crate::config::Config;

/// Prefix of stored values, so the format can change later.
const VERSION_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// Why the key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// `MIRRORFORGE_SECRET_KEY` or the key file is not base64 of 32 bytes.
    #[error("{0} must be base64 of exactly 32 bytes")]
    Malformed(&'static str),
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    File {
        /// The key file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// A stored value that cannot be decrypted (the key changed, or the value was tampered with).
#[derive(Debug, thiserror::Error)]
#[error("the stored {field} cannot be decrypted (the secret key has changed?); enter it again")]
pub struct DecryptError {
    /// Which field, in words (`upstream password`).
    pub field: String,
}

/// Encrypts and decrypts mirror credentials.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A box from 32 raw key bytes.
    #[must_use]
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Loads the key from `MIRRORFORGE_SECRET_KEY`, or from `DATA_DIR/secret.key`, creating that
    /// file once (mode 0600) with a fresh random key.
    ///
    /// # Errors
    /// A malformed key, or a key file that cannot be read or created.
    pub fn load(config: &Config) -> Result<Self, KeyError> {
        if let Some(encoded) = &config.secret_key {
            return Ok(Self::from_key(&decode_key(
                encoded,
                "MIRRORFORGE_SECRET_KEY",
            )?));
        }
        let path = config.data_dir.join("secret.key");
        let file_error = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Self::from_key(&decode_key(text.trim(), "the key file")?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::rng().random();
                match write_key_file(&path, &STANDARD.encode(key)) {
                    Ok(()) => Ok(Self::from_key(&key)),
                    // Another process (`serve` and an `admin` command starting together) made
                    // it first: its key is the one.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let text = std::fs::read_to_string(&path).map_err(file_error)?;
                        Ok(Self::from_key(&decode_key(text.trim(), "the key file")?))
                    }
                    Err(e) => Err(file_error(e)),
                }
            }
            Err(e) => Err(file_error(e)),
        }
    }

    /// Encrypts `plaintext` for `field` of repository `repo_id`.
    #[must_use]
    pub fn encrypt(&self, repo_id: i64, field: &str, plaintext: &str) -> String {
        self.seal(&SealedField::repository(repo_id, field), plaintext)
    }

    /// Decrypts a value stored by [`SecretBox::encrypt`] for the same repository and field.
    ///
    /// # Errors
    /// The value was made with another key, for another row or field, or is damaged.
    pub fn decrypt(&self, repo_id: i64, field: &str, stored: &str) -> Result<String, DecryptError> {
        self.open(&SealedField::repository(repo_id, field), stored)
    }

    /// Encrypts `plaintext` for `field`.
    #[must_use]
    pub fn seal(&self, field: &SealedField, plaintext: &str) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::rng().random();
        let nonce = Nonce::from(nonce_bytes);
        let aad = field.aad();
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("{VERSION_PREFIX}{}", STANDARD.encode(out))
    }

    /// Decrypts a value sealed for the same `field`.
    ///
    /// # Errors
    /// The value was made with another key, for another place, or is damaged.
    pub fn open(&self, field: &SealedField, stored: &str) -> Result<String, DecryptError> {
        let error = || DecryptError {
            field: field.field.replace('_', " "),
        };
        let raw = stored
            .strip_prefix(VERSION_PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|raw| raw.len() > NONCE_LEN)
            .ok_or_else(error)?;
        let (nonce_bytes, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce_array: [u8; NONCE_LEN] = nonce_bytes.try_into().map_err(|_| error())?;
        let aad = field.aad();
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce_array),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| error())?;
        String::from_utf8(plain).map_err(|_| error())
    }
}

/// Where a secret is stored (table, row, field): its associated data, so a ciphertext copied
/// elsewhere does not decrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedField {
    table: &'static str,
    row: i64,
    field: String,
}

impl SealedField {
    /// `field` of repository `id`.
    #[must_use]
    pub fn repository(id: i64, field: &str) -> Self {
        Self {
            table: "repository",
            row: id,
            field: field.to_owned(),
        }
    }

    /// The password of push mirror `id`.
    #[must_use]
    pub fn push_mirror_password(id: i64) -> Self {
        Self {
            table: "push_mirror",
            row: id,
            field: "push_mirror_password".to_owned(),
        }
    }

    /// The token of account mirror `id`.
    #[must_use]
    pub fn account_mirror_token(id: i64) -> Self {
        Self {
            table: "account_mirror",
            row: id,
            field: "token".to_owned(),
        }
    }

    fn aad(&self) -> String {
        format!("mirrorforge/{}/{}/{}", self.table, self.row, self.field)
    }
}

fn decode_key(encoded: &str, source: &'static str) -> Result<[u8; 32], KeyError> {
    STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
        .ok_or(KeyError::Malformed(source))
}

/// Writes the key file whole before it appears under its name: written to a file of this
/// process's own beside it, then hard-linked into place, which fails with `AlreadyExists` when
/// another process got there first (never overwriting its key) and never shows a reader a
/// half-written file.
fn write_key_file(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let nonce: u64 = rand::rng().random();
    let staged = dir.join(format!(".secret.key.{}.{nonce:016x}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&staged).and_then(|mut file| {
        file.write_all(contents.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    });
    let placed = written.and_then(|()| std::fs::hard_link(&staged, path));
    let _ = std::fs::remove_file(&staged);
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_fresh_nonces_bound_to_row_and_field() {
        let secrets = SecretBox::from_key(&[7; 32]);
        let a = secrets.encrypt(1, "upstream_password", "hunter2");
        let b = secrets.encrypt(1, "upstream_password", "hunter2");
        assert_ne!(a, b, "each value gets its own nonce");
        assert!(!a.contains("hunter2"));
        assert_eq!(
            secrets.decrypt(1, "upstream_password", &a).unwrap(),
            "hunter2"
        );
        assert!(secrets.decrypt(2, "upstream_password", &a).is_err());
        assert!(secrets.decrypt(1, "downstream_password", &a).is_err());
        let other = SecretBox::from_key(&[8; 32]);
        let err = other.decrypt(1, "upstream_password", &a).unwrap_err();
        assert!(
            err.to_string()
                .contains("upstream password cannot be decrypted")
        );
        assert!(secrets.decrypt(1, "upstream_password", "garbage").is_err());
        // A push mirror's password is bound to that push mirror, not to a repository's field.
        let pushed = secrets.seal(&SealedField::push_mirror_password(1), "hunter2");
        assert_eq!(
            secrets
                .open(&SealedField::push_mirror_password(1), &pushed)
                .unwrap(),
            "hunter2"
        );
        assert!(
            secrets
                .open(&SealedField::push_mirror_password(2), &pushed)
                .is_err()
        );
        assert!(secrets.decrypt(1, "push_mirror_password", &pushed).is_err());
    }

    #[test]
    fn key_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::for_data_dir(dir.path().to_path_buf());
        let first = SecretBox::load(&config).unwrap();
        let sealed = first.encrypt(5, "f", "x");
        let second = SecretBox::load(&config).unwrap();
        assert_eq!(second.decrypt(5, "f", &sealed).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn processes_starting_together_agree_on_one_key() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let config = Config::for_data_dir(dir.path().to_path_buf());
            let loaded: Vec<SecretBox> = std::thread::scope(|scope| {
                let racers: Vec<_> = (0..8)
                    .map(|_| scope.spawn(|| SecretBox::load(&config)))
                    .collect();
                racers
                    .into_iter()
                    .map(|racer| racer.join().unwrap().expect("every racer loads the key"))
                    .collect()
            });
            let sealed = loaded[0].encrypt(1, "f", "same key");
            for other in &loaded {
                assert_eq!(other.decrypt(1, "f", &sealed).unwrap(), "same key");
            }
            let names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["secret.key"], "no staged file is left behind");
        }
    }

    #[test]
    fn malformed_environment_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path().to_path_buf());
        config.secret_key = Some("c2hvcnQ=".into());
        assert!(matches!(
            SecretBox::load(&config),
            Err(KeyError::Malformed("MIRRORFORGE_SECRET_KEY"))
        ));
    }
}
