//! "Check host key": the repository's SSH remotes (upstream and push mirrors), and the key one
//! of them presents when asked — the key exchange only, no sign-in and no git command, within
//! the address policy and time limits of a sync — judged against the repository's pins but
//! never pinned here: the owner pins it by hand once they have compared it.

use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::{host_keys, push_mirrors};
use crate::{
    config::Config,
    entities::repository,
    error::{Error, Result},
    net::{
        git_remote::GitRemote,
        remote_ssh::RemoteSsh,
        ssh_host_key::{HostKey, Verdict, host_label, verdict},
        ssh_url::SshUrl,
    },
};

/// Which of a repository's remotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteRef {
    /// Its upstream.
    Upstream,
    /// The push mirror with this id.
    PushMirror(i64),
}

impl RemoteRef {
    /// As a form sends it: `upstream` or `push-ID`.
    #[must_use]
    pub fn as_form(self) -> String {
        match self {
            Self::Upstream => "upstream".to_owned(),
            Self::PushMirror(id) => format!("push-{id}"),
        }
    }

    /// Read back from a form's value.
    #[must_use]
    pub fn from_form(value: &str) -> Option<Self> {
        match value {
            "upstream" => Some(Self::Upstream),
            other => other
                .strip_prefix("push-")
                .and_then(|id| id.parse().ok())
                .map(Self::PushMirror),
        }
    }
}

/// One SSH remote of a repository.
#[derive(Debug, Clone)]
pub struct SshRemote {
    /// Which remote it is.
    pub which: RemoteRef,
    /// "Upstream" or "Push mirror".
    pub role: &'static str,
    /// Its address.
    pub url: SshUrl,
    /// Its host as pins name it (`name`, or `[name]:port`).
    pub host: String,
}

/// The SSH remotes of `repo`: its upstream, then its push mirrors, oldest first, for those
/// whose URL is an SSH address.
///
/// # Errors
/// The database failed.
pub async fn ssh_remotes(
    db: &DatabaseConnection,
    config: &Config,
    repo: &repository::Model,
) -> Result<Vec<SshRemote>> {
    let allow_local = config.allow_local_networks;
    let ssh = |which, role, raw: &str| match GitRemote::parse(raw, allow_local) {
        Ok(GitRemote::Ssh(url)) => Some(SshRemote {
            which,
            role,
            host: host_label(url.host(), url.port()),
            url,
        }),
        _ => None,
    };
    let mut found: Vec<SshRemote> = repo
        .upstream_url
        .as_deref()
        .and_then(|raw| ssh(RemoteRef::Upstream, "Upstream", raw))
        .into_iter()
        .collect();
    for target in push_mirrors::list(db, repo.id).await? {
        found.extend(ssh(
            RemoteRef::PushMirror(target.id),
            "Push mirror",
            &target.remote_url,
        ));
    }
    Ok(found)
}

/// What a remote presented, judged against the pins.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The remote asked.
    pub remote: SshRemote,
    /// The key it presented.
    pub key: HostKey,
    /// How a sync would judge it now.
    pub verdict: Verdict,
    /// The keys pinned for its host already.
    pub pinned: Vec<HostKey>,
}

/// Asks the remote `which` of `repo` for its host key, pinning nothing.
///
/// # Errors
/// [`Error::NotFound`] when `repo` has no such SSH remote, [`Error::Remote`] with the reason
/// (blocked address, unreachable, timed out) when the key exchange did not finish, or the
/// database failed.
pub async fn check(
    db: &DatabaseConnection,
    config: &Config,
    repo: &repository::Model,
    which: RemoteRef,
) -> Result<Checked> {
    let remote = ssh_remotes(db, config, repo)
        .await?
        .into_iter()
        .find(|r| r.which == which)
        .ok_or(Error::NotFound("SSH remote"))?;
    let pinned = host_keys::pinned(db, repo.id).await?;
    let ssh = RemoteSsh::new(
        remote.url.clone(),
        config.allow_local_networks,
        None,
        pinned.clone(),
        config.remote_silence_limit,
        tokio::runtime::Handle::current(),
    );
    let deadline = Instant::now() + Duration::from_secs(config.sync_timeout);
    let key =
        tokio::task::spawn_blocking(move || ssh.host_key(deadline, &CancellationToken::new()))
            .await
            .map_err(Error::internal)?
            .map_err(|failure| Error::Remote(format!("{}: {failure}", remote.url.as_str())))?;
    let judged = verdict(&key, &pinned);
    let pinned = pinned.into_iter().filter(|k| k.host == key.host).collect();
    Ok(Checked {
        remote,
        key,
        verdict: judged,
        pinned,
    })
}

#[cfg(test)]
mod tests {
    use super::RemoteRef;

    #[test]
    fn a_remote_goes_through_a_form_and_back() {
        for which in [RemoteRef::Upstream, RemoteRef::PushMirror(42)] {
            assert_eq!(RemoteRef::from_form(&which.as_form()), Some(which));
        }
        for bad in ["", "push-", "push-x", "downstream"] {
            assert_eq!(RemoteRef::from_form(bad), None, "{bad}");
        }
    }
}
