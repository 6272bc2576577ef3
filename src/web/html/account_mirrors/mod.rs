//! Account-mirror pages: the list `/account-mirrors` ([`list`]), "New account mirror" with its
//! preview ([`new`]), an account mirror's page with "Discover now" and its repositories
//! ([`page`]), and its edit form and deletion ([`edit`]); the form they share ([`form`]).

mod edit;
mod form;
mod list;
mod new;
mod page;

use axum::Router;
use chrono::{DateTime, Utc};

use super::page::TimeView;
use crate::{mirror::account_mirrors::store::AccountMirror, state::AppState};

/// The account-mirror routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(list::router())
        .merge(new::router())
        .merge(page::router())
        .merge(edit::router())
}

/// An account mirror as the list and its page head show it; never its token.
struct Summary {
    /// Its id, for its links.
    id: i64,
    /// `github:acme`.
    source: String,
    /// The forge's name as people write it ("GitHub").
    provider: &'static str,
    /// The forge API's base URL.
    api_url: String,
    /// `org`, `user` or `group`, in words.
    kind: &'static str,
    /// Where its mirrors land.
    owner: String,
    /// The badge's class word: `idle`, `syncing` (discovering), `success` or `failed`.
    status: &'static str,
    /// The badge's words.
    status_label: &'static str,
    /// The last discovery's error, or what it waits for ("" when none).
    error: String,
    /// When the last discovery ended.
    last_discovered: Option<TimeView>,
    /// When the next one is due (none while discoveries are off).
    next_discovery: Option<TimeView>,
    /// Discoveries on their schedule.
    enabled: bool,
    /// Repositories it made and still holds.
    repositories: u64,
}

impl Summary {
    /// The summary of `account`, which holds `repositories` repositories, seen at `now`.
    fn of(account: &AccountMirror, repositories: u64, now: DateTime<Utc>) -> Self {
        let r = &account.row;
        let (status, status_label) = match r.last_status.as_str() {
            "discovering" => ("syncing", "Discovering"),
            "success" => ("success", "Discovered"),
            "failed" => ("failed", "Failed"),
            _ => ("idle", "Not discovered yet"),
        };
        Self {
            id: r.id,
            source: format!("{}:{}", r.provider, r.account),
            provider: provider_name(&r.provider),
            api_url: r.api_url.clone(),
            kind: match r.account_kind.as_str() {
                "user" => "user",
                "group" => "group",
                _ => "organisation",
            },
            owner: account.owner.username.clone(),
            status,
            status_label,
            error: r.last_error.clone(),
            last_discovered: r.last_discovered_at.map(|t| TimeView::new(t, now)),
            next_discovery: r
                .next_discovery_at
                .filter(|_| r.enabled)
                .map(|t| TimeView::upcoming(t, now)),
            enabled: r.enabled,
            repositories,
        }
    }

    /// Its page.
    fn href(&self) -> String {
        format!("/account-mirrors/{}", self.id)
    }
}

/// The forge's name as people write it.
fn provider_name(word: &str) -> &'static str {
    form::PROVIDERS
        .iter()
        .find(|(w, _)| *w == word)
        .map_or("another forge", |(_, name)| name)
}

/// `seconds` in words: "every 8 hours", "every 45 minutes", "every 90 seconds".
fn every(seconds: i64) -> String {
    let (n, unit) = match seconds {
        s if s > 0 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s > 0 && s % 3600 == 0 => (s / 3600, "hour"),
        s if s > 0 && s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if n == 1 {
        format!("every {unit}")
    } else {
        format!("every {n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_words() {
        assert_eq!(every(28_800), "every 8 hours");
        assert_eq!(every(3600), "every hour");
        assert_eq!(every(2700), "every 45 minutes");
        assert_eq!(every(90), "every 90 seconds");
        assert_eq!(every(604_800), "every 7 days");
        assert_eq!(provider_name("gitlab"), "GitLab");
    }
}
