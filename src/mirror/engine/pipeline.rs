//! One sync's work: pull from the upstream and/or push to the downstream, each transfer over
//! its own HTTP connection, libgit2 on the blocking pool inside the sync's tracing span.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use tracing::Instrument;

use super::{OneTimeClone, RunResult};
use crate::{
    config::Config,
    entities::{mirror_enums::MirrorDirection, repository},
    git::mirror::{
        self as transfer, Credentials, Limits, Outcome, Progress, error::TransferError,
        transport::Transfer,
    },
    mirror::secrets::SecretBox,
    net::{remote_http::RemoteHttp, remote_url::RemoteUrl},
};

/// Which way one transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Pull,
    Push,
}

/// What a sync needs beyond the repository row.
pub(super) struct Pipeline<'a> {
    pub config: &'a Config,
    pub secrets: &'a SecretBox,
}

impl Pipeline<'_> {
    /// Runs the sync of `repo` (at `path`) in `direction`; `one_time` replaces the upstream
    /// and its credentials for an import that keeps no mirror.
    pub(super) async fn perform(
        &self,
        repo: &repository::Model,
        path: PathBuf,
        direction: MirrorDirection,
        one_time: Option<OneTimeClone>,
        progress: &Arc<Progress>,
    ) -> RunResult {
        tracing::info!(direction = %direction.as_str(), "Performing mirror sync");
        let failed = |message: String, transient: bool| RunResult::Failed { message, transient };
        let mut done = Vec::new();
        if direction.pulls() {
            let source = match &one_time {
                Some(clone) => Ok((Some(clone.url.clone()), clone.credentials.clone())),
                None => self
                    .credentials(
                        repo,
                        "upstream_password",
                        repo.upstream_username.as_ref(),
                        repo.upstream_password.as_ref(),
                    )
                    .map(|creds| (repo.upstream_url.clone(), creds)),
            };
            let (url, creds) = match source {
                Ok((Some(url), creds)) => (url, creds),
                Ok((None, _)) => return failed("no upstream URL is set".to_owned(), false),
                Err(message) => return failed(message, false),
            };
            match self
                .transfer(Way::Pull, &url, creds, path.clone(), progress)
                .await
            {
                Ok(outcome) => {
                    tracing::info!("Upstream sync completed");
                    if !outcome.up_to_date {
                        crate::git::maintenance::after_update(&path);
                    }
                    done.push((MirrorDirection::Upstream, outcome));
                }
                Err(e) => {
                    let mut message = format!("upstream: {e}");
                    if direction.pushes() {
                        message.push_str("; the push to the downstream was skipped");
                    }
                    return failed(message, e.is_transient());
                }
            }
        }
        if direction.pushes() {
            let Some(url) = repo.downstream_url.clone() else {
                return failed("no downstream URL is set".to_owned(), false);
            };
            let creds = match self.credentials(
                repo,
                "downstream_password",
                repo.downstream_username.as_ref(),
                repo.downstream_password.as_ref(),
            ) {
                Ok(creds) => creds,
                Err(message) => return failed(message, false),
            };
            match self.transfer(Way::Push, &url, creds, path, progress).await {
                Ok(outcome) => {
                    tracing::info!("Downstream sync completed");
                    done.push((MirrorDirection::Downstream, outcome));
                }
                Err(e) => return failed(format!("downstream: {e}"), e.is_transient()),
            }
        }
        RunResult::Done(done)
    }

    /// The stored username and the decrypted password of one side.
    fn credentials(
        &self,
        repo: &repository::Model,
        password_field: &str,
        username: Option<&String>,
        sealed: Option<&String>,
    ) -> Result<Credentials, String> {
        let password = sealed
            .map(|sealed| self.secrets.decrypt(repo.id, password_field, sealed))
            .transpose()
            .map_err(|e| e.to_string())?;
        Ok(Credentials {
            username: username.cloned(),
            password,
        })
    }

    /// One fetch or push of the repository at `repo_path`, over its own HTTP connection to
    /// the remote (addresses checked when connecting, no redirect followed).
    async fn transfer(
        &self,
        way: Way,
        url: &str,
        creds: Credentials,
        repo_path: PathBuf,
        progress: &Arc<Progress>,
    ) -> Result<Outcome, TransferError> {
        // The stored URL's form, parsed once; its addresses are checked where they are used,
        // at the moment of connecting.
        let remote = RemoteUrl::parse(url, self.config.allow_local_networks)
            .map_err(TransferError::Other)?;
        let timeout = Duration::from_secs(self.config.sync_timeout);
        let limits = Limits {
            deadline: Instant::now() + timeout,
            timeout_secs: self.config.sync_timeout,
        };
        let login = creds.username.as_deref().unwrap_or("git");
        let credentials = creds
            .is_set()
            .then(|| (login, creds.password.as_deref().unwrap_or("")));
        let http = RemoteHttp::new(
            &remote,
            self.config.allow_local_networks,
            timeout,
            credentials,
        )
        .map_err(|_| TransferError::Other("URL has no host".to_owned()))?;
        let transfer = Arc::new(Transfer::new(
            Arc::new(http),
            tokio::runtime::Handle::current(),
            limits,
        ));
        let progress = Arc::clone(progress);
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            match way {
                Way::Pull => transfer::fetch_mirror(&repo_path, &transfer, &progress),
                Way::Push => transfer::push_mirror(&repo_path, &transfer, &progress),
            }
        })
        .in_current_span()
        .await
        .unwrap_or_else(|e| Err(TransferError::Other(format!("internal error: {e}"))))
    }
}
