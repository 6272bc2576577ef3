//! The remote of one transfer, made once from the stored row: its URL parsed once, its login
//! decrypted, its SSH key and pinned host keys read; then handed by reference to our HTTP or
//! SSH client (addresses checked when connecting, no redirect followed) and to LFS.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use zeroize::Zeroizing;

use super::error::SyncError;
use crate::{
    config::Config,
    entities::{push_mirror, repository},
    git::fetch_push::{
        Limits, RemoteLogin,
        transport::{Transfer, Wire},
    },
    mirror::{host_keys, push_mirrors, secrets::SecretBox, ssh_key},
    net::{
        git_remote::GitRemote, remote_http::RemoteHttp, remote_ssh::RemoteSsh,
        ssh_host_key::HostKey,
    },
};

/// The upstream's stored username and decrypted password.
///
/// # Errors
/// The stored password cannot be decrypted (the secret key changed).
pub fn upstream_login(
    secrets: &SecretBox,
    repo: &repository::Model,
) -> Result<RemoteLogin, SyncError> {
    let password = repo
        .upstream_password
        .as_ref()
        .map(|sealed| secrets.decrypt(repo.id, "upstream_password", sealed))
        .transpose()?;
    Ok(RemoteLogin {
        username: repo.upstream_username.clone(),
        password,
    })
}

/// A push mirror's stored username and decrypted password.
///
/// # Errors
/// The stored password cannot be decrypted (the secret key changed).
pub fn push_login(
    secrets: &SecretBox,
    target: &push_mirror::Model,
) -> Result<RemoteLogin, SyncError> {
    let password = push_mirrors::password(secrets, target)?;
    Ok(RemoteLogin {
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
        url: &GitRemote,
    ) -> Result<Self, SyncError> {
        if !matches!(url, GitRemote::Ssh(_)) {
            return Ok(Self::default());
        }
        let key = ssh_key::private_key_of(secrets, repo)?;
        let pinned = host_keys::pinned(db, repo.id)
            .await
            .map_err(SyncError::Database)?;
        Ok(Self { key, pinned })
    }
}

/// One remote of one transfer: where (parsed once), with which login, and over SSH with which
/// key and pins. Everything below it takes it (or a part of it) by reference.
pub struct Remote {
    /// The URL, parsed once from what is stored.
    pub url: GitRemote,
    /// The login sent over HTTP (and, when they share the origin, to its LFS server).
    pub login: RemoteLogin,
    /// The key and pins for an SSH remote (empty over HTTP).
    pub ssh: SshAccess,
}

impl Remote {
    /// The remote at `url` (as stored) of `repo`, with `login`: the URL parsed (its form only,
    /// its addresses are checked at the moment of connecting), the SSH key and pins read.
    ///
    /// # Errors
    /// The URL cannot be read, the key does not decrypt, or the database failed.
    pub async fn open(
        db: &DatabaseConnection,
        config: &Config,
        secrets: &SecretBox,
        repo: &repository::Model,
        url: &str,
        login: RemoteLogin,
    ) -> Result<Self, SyncError> {
        let url = GitRemote::parse(url, config.allow_local_networks)?;
        let ssh = SshAccess::for_remote(db, secrets, repo, &url).await?;
        Ok(Self { url, login, ssh })
    }

    /// A transfer to this remote within `limits`, its async work on the current runtime.
    ///
    /// # Errors
    /// The URL has no host.
    pub fn connect(&self, config: &Config, limits: Limits) -> Result<Arc<Transfer>, SyncError> {
        let allow_local = config.allow_local_networks;
        let runtime = tokio::runtime::Handle::current();
        let wire = match &self.url {
            GitRemote::Http(remote) => {
                let http = RemoteHttp::new(
                    remote,
                    allow_local,
                    Duration::from_secs(limits.timeout_secs),
                    self.login.basic(),
                )
                .map_err(|_| SyncError::NoHost)?
                .with_silence_limit(config.remote_silence_limit);
                Wire::Http(Arc::new(http))
            }
            GitRemote::Ssh(remote) => Wire::Ssh(Arc::new(RemoteSsh::new(
                remote.clone(),
                allow_local,
                self.ssh.key.clone(),
                self.ssh.pinned.clone(),
                config.remote_silence_limit,
                runtime.clone(),
            ))),
        };
        Ok(Arc::new(Transfer::new(wire, runtime, limits)))
    }
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
