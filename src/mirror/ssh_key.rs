//! The SSH key pair of a repository's mirrors: an Ed25519 key made by the server on request,
//! the private half sealed at rest (never returned, never written to disk in clear), the
//! public half shown so it can be added as a deploy key.

use rand::Rng;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use ssh_key::{LineEnding, PrivateKey, private::Ed25519Keypair};
use zeroize::Zeroizing;

use super::secrets::{DecryptError, SealedField, SecretBox};
use crate::{
    entities::repository,
    error::{Error, Result},
};

/// The field name sealed into the private key's associated data.
const FIELD: &str = "ssh_private_key";

/// A new key pair for `owner/name`: the private key in OpenSSH form, and the public key line
/// (`ssh-ed25519 AAAA… mirrorforge:owner/name`).
///
/// # Errors
/// The key could not be encoded (not expected for Ed25519).
pub fn generate(owner: &str, name: &str) -> Result<(Zeroizing<String>, String)> {
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(rand::rng().random());
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    key.set_comment(format!("mirrorforge:{owner}/{name}"));
    let encoding = |e: ssh_key::Error| Error::Internal(anyhow::anyhow!("SSH key encoding: {e}"));
    let private = key.to_openssh(LineEnding::LF).map_err(encoding)?;
    let public = key.public_key().to_openssh().map_err(encoding)?;
    Ok((private, public))
}

/// Makes a new key pair for `repo` of `owner` (replacing any) and stores it, the private key
/// sealed; returns the public key line.
///
/// # Errors
/// The database failed.
pub async fn replace(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    repo: &repository::Model,
    owner: &str,
) -> Result<String> {
    let (private, public) = generate(owner, &repo.name)?;
    let sealed = secrets.seal(&SealedField::repository(repo.id, FIELD), &private);
    repository::Entity::update_many()
        .col_expr(repository::Column::SshPrivateKey, Expr::value(sealed))
        .col_expr(
            repository::Column::SshPublicKey,
            Expr::value(public.clone()),
        )
        .filter(repository::Column::Id.eq(repo.id))
        .exec(db)
        .await?;
    Ok(public)
}

/// The private key of `repo` in OpenSSH form, held only in memory, if it has one.
///
/// # Errors
/// The stored value does not decrypt (another key, or tampered with).
pub fn private_key_of(
    secrets: &SecretBox,
    repo: &repository::Model,
) -> Result<Option<Zeroizing<String>>, DecryptError> {
    repo.ssh_private_key
        .as_deref()
        .map(|sealed| {
            secrets
                .open(&SealedField::repository(repo.id, FIELD), sealed)
                .map(Zeroizing::new)
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_ed25519_with_its_comment_and_reads_back() {
        let (private, public) = generate("alice", "hello").unwrap();
        assert!(public.starts_with("ssh-ed25519 AAAA"), "{public}");
        assert!(public.ends_with(" mirrorforge:alice/hello"), "{public}");
        assert!(private.contains("BEGIN OPENSSH PRIVATE KEY"));
        let read = PrivateKey::from_openssh(private.as_bytes()).unwrap();
        assert_eq!(read.public_key().to_openssh().unwrap(), public);
        let (_, other) = generate("alice", "hello").unwrap();
        assert_ne!(other, public, "each key is new");
    }
}
