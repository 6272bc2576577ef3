//! The way to a remote for one transfer or one look at its refs: the stored credentials (or
//! the repository's SSH key and pinned host keys) decrypted, the stored URL parsed, our own
//! HTTP or SSH client (addresses checked when connecting, no redirect followed) carrying
//! them, bounded by the transfer's limits.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use zeroize::Zeroizing;

use super::{host_keys, push_mirrors, secrets::SecretBox, ssh_key};
use crate::{
    config::Config,
    entities::{push_mirror, repository},
    git::mirror::{
        Credentials, Limits,
        error::TransferError,
        transport::{Transfer, Wire},
    },
    net::{
        git_remote::GitRemote, remote_http::RemoteHttp, remote_ssh::RemoteSsh,
        ssh_host_key::HostKey, ssh_url::SshUrl,
    },
};

/// The upstream's stored username and decrypted password; the sentence when it will not
/// decrypt.
///
/// # Errors
/// The stored password cannot be decrypted (the secret key changed).
pub fn upstream_credentials(
    secrets: &SecretBox,
    repo: &repository::Model,
) -> Result<Credentials, String> {
    let password = repo
        .upstream_password
        .as_ref()
        .map(|sealed| secrets.decrypt(repo.id, "upstream_password", sealed))
        .transpose()
        .map_err(|e| e.to_string())?;
    Ok(Credentials {
        username: repo.upstream_username.clone(),
        password,
    })
}

/// The login for the LFS server of a pull from `url`, whose own login is `upstream`: the
/// repository's LFS username and password when set; else the upstream's, but only when the LFS
/// server has the upstream's scheme, host and port (no `lfs_endpoint`, or one on that origin);
/// else none, so an endpoint elsewhere never collects the upstream's password.
///
/// # Errors
/// The stored LFS password cannot be decrypted (the secret key changed).
pub fn lfs_credentials(
    secrets: &SecretBox,
    repo: &repository::Model,
    url: &str,
    upstream: &Credentials,
) -> Result<Credentials, String> {
    let password = repo
        .lfs_password
        .as_ref()
        .map(|sealed| secrets.decrypt(repo.id, "lfs_password", sealed))
        .transpose()
        .map_err(|e| e.to_string())?;
    let own = Credentials {
        username: repo.lfs_username.clone(),
        password,
    };
    let endpoint = repo.lfs_endpoint.as_str();
    Ok(if own.is_set() {
        own
    } else if endpoint.is_empty() || GitRemote::same_origin_of(url, endpoint) {
        upstream.clone()
    } else {
        Credentials::default()
    })
}

/// A push mirror's stored username and decrypted password.
///
/// # Errors
/// The stored password cannot be decrypted (the secret key changed).
pub fn push_credentials(
    secrets: &SecretBox,
    target: &push_mirror::Model,
) -> Result<Credentials, String> {
    let password = push_mirrors::password(secrets, target).map_err(|e| e.to_string())?;
    Ok(Credentials {
        username: target.remote_username.clone(),
        password,
    })
}

/// What an SSH transfer of a repository needs: its key and its pinned host keys.
#[derive(Default)]
pub struct SshAccess {
    /// The repository's private key (OpenSSH form), if it has one.
    pub key: Option<Zeroizing<String>>,
    /// The host keys the repository trusts.
    pub pinned: Vec<HostKey>,
}

impl SshAccess {
    /// The key and pins of `repo`, read when `url` is an SSH address (else none).
    ///
    /// # Errors
    /// The key does not decrypt (the secret key changed), or the database failed.
    pub async fn for_remote(
        db: &DatabaseConnection,
        secrets: &SecretBox,
        repo: &repository::Model,
        url: &str,
    ) -> Result<Self, String> {
        if !SshUrl::looks_like(url) {
            return Ok(Self::default());
        }
        let key = ssh_key::private_key_of(secrets, repo).map_err(|e| e.to_string())?;
        let pinned = host_keys::pinned(db, repo.id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self { key, pinned })
    }
}

/// A transfer to `url` with `creds` (HTTP) or `ssh` (SSH), within `limits`, its async work on
/// the current runtime.
///
/// # Errors
/// The URL cannot be read.
pub fn transfer_to(
    config: &Config,
    url: &str,
    creds: &Credentials,
    ssh: SshAccess,
    limits: Limits,
) -> Result<Arc<Transfer>, TransferError> {
    // The stored URL's form, parsed once; its addresses are checked where they are used, at
    // the moment of connecting.
    let allow_local = config.allow_local_networks;
    let runtime = tokio::runtime::Handle::current();
    let wire = match GitRemote::parse(url, allow_local).map_err(TransferError::Other)? {
        GitRemote::Http(remote) => {
            let http = RemoteHttp::new(
                &remote,
                allow_local,
                Duration::from_secs(limits.timeout_secs),
                creds.basic(),
            )
            .map_err(|_| TransferError::Other("URL has no host".to_owned()))?
            .with_silence_limit(config.remote_silence_limit);
            Wire::Http(Arc::new(http))
        }
        GitRemote::Ssh(remote) => Wire::Ssh(Arc::new(RemoteSsh::new(
            remote,
            allow_local,
            ssh.key,
            ssh.pinned,
            config.remote_silence_limit,
            runtime.clone(),
        ))),
    };
    Ok(Arc::new(Transfer::new(wire, runtime, limits)))
}

/// Pins the SSH host key `transfer` met on a host the repository had none for (trust on
/// first use); a failure is logged, not fatal.
pub async fn pin_host_key(db: &DatabaseConnection, repo_id: i64, transfer: &Transfer) {
    if let Some(key) = transfer.host_key_to_pin() {
        tracing::info!(host = %key.host, key_type = %key.key_type, fingerprint = %key.fingerprint_sha256, "Pinned the SSH host key on first use");
        if let Err(e) = host_keys::pin(db, repo_id, &[key]).await {
            tracing::warn!(error = %e, "Could not pin the SSH host key");
        }
    }
}
