//! Telling people when a mirror starts failing and when it recovers (never on a repeated
//! failure): a JSON POST to the repository's `notify_url`, signed with its notification key
//! ([`key`]) when it has one, and an email to the owner when SMTP is configured. Both are sent in the
//! background with retries; neither delays nor fails the sync. Delivery problems are logged
//! with the repository's name, never with the URL.

mod email;
pub mod key;
mod post;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::secrets::SecretBox;
use crate::{
    config::Config,
    entities::{mirror_enums::MirrorDirection, repository, user},
};

pub use crate::mirror::engine::Change;

/// Retries after a first failed delivery.
const RETRIES: u32 = 3;
/// The wait before the first retry; it doubles with each.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);

/// The JSON a notification carries (contract, "Operations").
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// `mirror.failed` or `mirror.recovered`.
    pub event: &'static str,
    /// `owner/name`.
    pub repository: String,
    /// The repository's page.
    pub url: String,
    /// What the repository mirrors.
    pub direction: MirrorDirection,
    /// The failure's sentence (credential-free; `""` on recovery).
    pub error: String,
    /// Failed syncs in a row (0 on recovery).
    pub consecutive_failures: i32,
    /// The run that changed the outcome.
    pub run_id: i64,
    /// When it ended.
    pub at: DateTime<Utc>,
    /// One line for chat tools (Slack and Mattermost show it as the message).
    pub text: String,
}

impl Notice {
    /// The notice of `change` for `repo` of `owner`, ended by run `run_id` at `at`;
    /// `base_url` is where the server is reached.
    #[must_use]
    pub fn new(
        change: Change,
        repo: &repository::Model,
        owner: &user::Model,
        run_id: i64,
        at: DateTime<Utc>,
        base_url: &str,
    ) -> Self {
        let repository = format!("{}/{}", owner.username, repo.name);
        let url = format!("{base_url}/{repository}");
        let (event, error, failures, text) = match change {
            Change::Failed => {
                let error = repo.sync_error.clone().unwrap_or_default();
                let text = format!("Mirror {repository} failed to sync: {error} ({url})");
                ("mirror.failed", error, repo.consecutive_failures, text)
            }
            Change::Recovered => {
                let text = format!("Mirror {repository} syncs again ({url})");
                ("mirror.recovered", String::new(), 0, text)
            }
        };
        Self {
            event,
            repository,
            url,
            direction: repo.mirror_direction,
            error,
            consecutive_failures: failures,
            run_id,
            at,
            text,
        }
    }
}

/// Sends notices in the background.
#[derive(Clone)]
pub struct Notifier {
    config: Arc<Config>,
    secrets: SecretBox,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier under `config` (SMTP, addresses) opening notification keys with `secrets`.
    #[must_use]
    pub fn new(config: Arc<Config>, secrets: SecretBox) -> Self {
        Self { config, secrets }
    }

    /// Sends `notice` about `repo` (as it is after the run) to its `notify_url` and to the
    /// email of `owner`, in the background; returns at once.
    pub fn announce(&self, repo: &repository::Model, owner: &user::Model, notice: &Notice) {
        let Ok(body) = serde_json::to_vec(notice) else {
            return;
        };
        let name = notice.repository.clone();
        if !repo.notify_url.is_empty() {
            // Only the notification key signs, never the webhook secret (or a notification
            // would be a webhook call). One that no longer opens (another secret key) signs
            // nothing; the receiver decides.
            let signature = match key::KEY.open(
                &self.secrets,
                repo.id,
                repo.notify_secret.as_deref(),
            ) {
                Ok(found) => found.map(|k| key::sign(&k, &body)),
                Err(e) => {
                    tracing::warn!(repo = %name, error = %e, "notification key unreadable; notification sent unsigned");
                    None
                }
            };
            let delivery = post::Delivery {
                url: repo.notify_url.clone(),
                allow_local: self.config.allow_local_networks,
                event: notice.event,
                signature,
                body: body.clone(),
            };
            let name = name.clone();
            tokio::spawn(async move {
                retrying(&name, "notification", || delivery.attempt()).await;
            });
        }
        if let Some(smtp) = self.config.smtp_url.clone() {
            let mail = email::Mail::of(notice, &self.config.mail_from, &owner.email);
            tokio::spawn(async move {
                match mail {
                    Ok(mail) => retrying(&name, "notification email", || mail.send(&smtp)).await,
                    Err(e) => {
                        tracing::warn!(repo = %name, error = %e, "notification email not sent")
                    }
                }
            });
        }
    }
}

impl Notifier {
    /// POSTs `body` as JSON to `url` with `X-Mirrorforge-Event: event`, unsigned, in the
    /// background with retries; `about` names what it is about in the logs (never the URL).
    pub fn post_event(&self, url: &str, about: &str, event: &'static str, body: &impl Serialize) {
        let Ok(body) = serde_json::to_vec(body) else {
            return;
        };
        let delivery = post::Delivery {
            url: url.to_owned(),
            allow_local: self.config.allow_local_networks,
            event,
            signature: None,
            body,
        };
        let about = about.to_owned();
        tokio::spawn(async move {
            retrying(&about, "notification", || delivery.attempt()).await;
        });
    }
}

/// Runs `attempt` until it succeeds, at most [`RETRIES`] more times with a doubling wait,
/// logging each failure with the repository's name.
async fn retrying<F, Fut>(repo: &str, what: &str, mut attempt: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut wait = FIRST_BACKOFF;
    for tried in 0..=RETRIES {
        if tried > 0 {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        match attempt().await {
            Ok(()) => return,
            Err(why) => {
                tracing::warn!(repo, error = %why, attempt = tried + 1, "{what} not delivered");
            }
        }
    }
    tracing::error!(repo, "{what} given up after {} attempts", RETRIES + 1);
}
