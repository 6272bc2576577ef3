//! The remote of one transfer, made once from the stored row: its URL parsed once, its login
//! decrypted, its SSH key and pinned host keys read; then handed by reference to our HTTP or
//! SSH client (addresses checked when connecting, no redirect followed) and to LFS.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use zeroize::Zeroizing;

use super::error::SyncError;
use crate::{
    config::Config,
    entities::mirror_enums::UpstreamOverwrite,
    entities::{push_mirror, repository},
    git::fetch_push::{
        Limits, PullRules, PushRules, RemoteLogin,
        filter::RefFilter,
        ref_map::RefMap,
        transport::{Transfer, Wire},
    },
    mirror::engine::OneTimeClone,
    mirror::{host_keys, push_mirrors, secrets::SecretBox, ssh_key},
    net::{
        git_remote::GitRemote, remote_http::RemoteHttp, remote_ssh::RemoteSsh,
        ssh_host_key::HostKey,
    },
};

/// Which remote of a repository a transfer goes to.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// Its upstream, with the stored login, pulling the refs its filter selects.
    Upstream,
    /// The URL and login of a one-time clone (an import that keeps no mirror), taking every
    /// ref.
    OneTime(&'a OneTimeClone),
    /// One of its push mirrors, with the stored login and the mirror's rules.
    PushMirror(&'a push_mirror::Model),
}

/// What a transfer carries: a pull with its rules, or a push with its rules.
#[derive(Debug, Clone)]
pub enum Way {
    /// A pull, of the refs its filter selects, overwriting and deleting as its rules say.
    Pull(PullRules),
    /// A push, with its target's rules.
    Push(PushRules),
}

impl Side<'_> {
    /// The stored URL of this side of `repo`, its login (decrypted) and what goes there.
    ///
    /// # Errors
    /// No upstream is set, or the stored password does not decrypt (the secret key changed).
    fn read<'r>(
        self,
        secrets: &SecretBox,
        repo: &'r repository::Model,
    ) -> Result<(&'r str, RemoteLogin, Way), SyncError>
    where
        Self: 'r,
    {
        Ok(match self {
            Self::Upstream => {
                let password = repo
                    .upstream_password
                    .as_ref()
                    .map(|sealed| secrets.decrypt(repo.id, "upstream_password", sealed))
                    .transpose()?;
                let login = RemoteLogin {
                    username: repo.upstream_username.clone(),
                    password,
                };
                let url = repo.upstream_url.as_deref().ok_or(SyncError::NoUpstream)?;
                (url, login, Way::Pull(pull_rules(repo)))
            }
            Self::OneTime(clone) => (
                clone.url.as_str(),
                clone.credentials.clone(),
                Way::Pull(PullRules {
                    depth: repo.upstream_depth,
                    ..PullRules::default()
                }),
            ),
            Self::PushMirror(target) => {
                let login = RemoteLogin {
                    username: target.remote_username.clone(),
                    password: push_mirrors::password(secrets, target)?,
                };
                let url = target.remote_url.as_str();
                (url, login, Way::Push(push_rules(target)))
            }
        })
    }
}

/// The rules of `repo`'s pull: the refs its filter selects, whether only fast-forwards are
/// applied, and whether the mass-deletion guard is on.
#[must_use]
pub fn pull_rules(repo: &repository::Model) -> PullRules {
    PullRules {
        filter: RefFilter::from_json(&repo.upstream_ref_filter),
        map: RefMap::from_json(&repo.upstream_ref_map),
        fast_forward_only: repo.upstream_overwrite == UpstreamOverwrite::FastForward,
        mass_delete_guard: repo.mass_delete_guard,
        depth: repo.upstream_depth,
    }
}

/// The rules of a push to `target`: the refs its filter selects, and whether divergent refs
/// there are kept.
#[must_use]
pub fn push_rules(target: &push_mirror::Model) -> PushRules {
    PushRules {
        filter: RefFilter::from_json(&target.ref_filter),
        map: RefMap::from_json(&target.ref_map),
        keep_divergent: target.keep_divergent_refs,
    }
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

/// A remote opened and connected: the connection of one transfer, and what it carries.
pub struct Connected {
    /// The remote, for LFS and for what is shown.
    pub remote: Remote,
    /// The transfer's own HTTP or SSH connection.
    pub transfer: Arc<Transfer>,
    /// What goes over it.
    pub way: Way,
}

impl Remote {
    /// Opens `side` of `repo` and connects to it within `limits`: its URL parsed once (its
    /// form only; its addresses are checked at the moment of connecting), its login decrypted,
    /// its SSH key and pins read; the connection's async work on the current runtime.
    ///
    /// # Errors
    /// No upstream is set, the URL cannot be read or has no host, a login or the key does not
    /// decrypt, or the database failed.
    pub async fn connect(
        db: &DatabaseConnection,
        config: &Config,
        secrets: &SecretBox,
        repo: &repository::Model,
        side: Side<'_>,
        limits: Limits,
    ) -> Result<Connected, SyncError> {
        let (url, login, way) = side.read(secrets, repo)?;
        let url = GitRemote::parse(url, config.allow_local_networks)?;
        let ssh = SshAccess::for_remote(db, secrets, repo, &url).await?;
        let remote = Self { url, login, ssh };
        let transfer = remote.wire(config, limits)?;
        Ok(Connected {
            remote,
            transfer,
            way,
        })
    }

    /// A transfer to this remote within `limits`, its async work on the current runtime.
    ///
    /// # Errors
    /// The URL has no host.
    fn wire(&self, config: &Config, limits: Limits) -> Result<Arc<Transfer>, SyncError> {
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
