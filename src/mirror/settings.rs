//! Mirror settings: what the API and the settings form show, and the one validated code path
//! that changes them (PATCH semantics: left out keeps, `""` clears).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, IntoActiveModel};
use serde::{Deserialize, Serialize};

use super::secrets::SecretBox;
use crate::{
    config::Config,
    entities::{
        mirror_enums::{MirrorDirection, SyncStatus},
        repository,
    },
    error::{Error, FieldErrors, Result},
    net::remote_url::RemoteUrl,
};

/// `sync_interval` of a new repository: one hour.
pub const DEFAULT_SYNC_INTERVAL: i64 = 3600;
/// Largest `sync_interval` accepted: one year.
pub const MAX_SYNC_INTERVAL: i64 = 31_536_000;
/// Longest username accepted.
pub const MAX_USERNAME_LEN: usize = 255;
/// Longest password accepted.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// True when pushes to this repository must be refused (it pulls from elsewhere).
#[must_use]
pub fn rejects_push(repo: &repository::Model) -> bool {
    repo.mirror_enabled && repo.mirror_direction.pulls()
}

/// The mirror settings object of the contract; never a password.
#[derive(Debug, Clone, Serialize)]
pub struct MirrorSettings {
    /// Mirroring switched on.
    pub mirror_enabled: bool,
    /// `upstream`, `downstream` or `both`.
    pub mirror_direction: MirrorDirection,
    /// Where to pull from, without credentials ("" when unset).
    pub upstream_url: String,
    /// Username for the upstream ("" when unset).
    pub upstream_username: String,
    /// Whether an upstream password is stored.
    pub upstream_password_set: bool,
    /// Where to push to ("" when unset).
    pub downstream_url: String,
    /// Username for the downstream ("" when unset).
    pub downstream_username: String,
    /// Whether a downstream password is stored.
    pub downstream_password_set: bool,
    /// Seconds between syncs.
    pub sync_interval: i64,
    /// End of the last successful sync.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// When the scheduler will sync next.
    pub next_sync_at: Option<DateTime<Utc>>,
    /// Where the mirror stands.
    pub sync_status: SyncStatus,
    /// The last failure's message ("" when none).
    pub sync_error: String,
    /// Failed syncs in a row.
    pub consecutive_failures: i32,
}

impl From<&repository::Model> for MirrorSettings {
    fn from(r: &repository::Model) -> Self {
        Self {
            mirror_enabled: r.mirror_enabled,
            mirror_direction: r.mirror_direction,
            upstream_url: r.upstream_url.clone().unwrap_or_default(),
            upstream_username: r.upstream_username.clone().unwrap_or_default(),
            upstream_password_set: r.upstream_password.is_some(),
            downstream_url: r.downstream_url.clone().unwrap_or_default(),
            downstream_username: r.downstream_username.clone().unwrap_or_default(),
            downstream_password_set: r.downstream_password.is_some(),
            sync_interval: r.sync_interval,
            last_synced_at: r.last_synced_at,
            next_sync_at: r.next_sync_at,
            sync_status: r.sync_status,
            sync_error: r.sync_error.clone().unwrap_or_default(),
            consecutive_failures: r.consecutive_failures,
        }
    }
}

/// A change to the settings: `None` keeps a value, `Some("")` clears a text one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// Switch mirroring on or off.
    pub mirror_enabled: Option<bool>,
    /// New direction word (validated).
    pub mirror_direction: Option<String>,
    /// New upstream URL.
    pub upstream_url: Option<String>,
    /// New upstream username.
    pub upstream_username: Option<String>,
    /// New upstream password (write-only).
    pub upstream_password: Option<String>,
    /// New downstream URL.
    pub downstream_url: Option<String>,
    /// New downstream username.
    pub downstream_username: Option<String>,
    /// New downstream password (write-only).
    pub downstream_password: Option<String>,
    /// New interval in seconds.
    pub sync_interval: Option<i64>,
}

/// Checks a sync interval against the configured minimum and one year.
///
/// # Errors
/// The message for the `sync_interval` field.
pub fn check_interval(config: &Config, seconds: i64) -> Result<(), String> {
    if (config.min_sync_interval..=MAX_SYNC_INTERVAL).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "must be between {} and {MAX_SYNC_INTERVAL} seconds",
            config.min_sync_interval
        ))
    }
}

/// Checks the length of a remote username.
///
/// # Errors
/// The message for the username field.
pub fn check_username(username: &str) -> Result<(), String> {
    if username.chars().count() > MAX_USERNAME_LEN {
        Err(format!("must be at most {MAX_USERNAME_LEN} characters"))
    } else {
        Ok(())
    }
}

/// Checks the length of a remote password.
///
/// # Errors
/// The message for the password field.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.len() > MAX_PASSWORD_LEN {
        Err(format!("must be at most {MAX_PASSWORD_LEN} bytes"))
    } else {
        Ok(())
    }
}

/// A text field after a patch: unchanged, or set to a value (None = cleared).
fn merged(patch: Option<&String>, current: Option<&String>) -> Option<String> {
    match patch {
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().to_owned()),
        None => current.cloned(),
    }
}

/// True when both URLs name the same scheme, host and port (two unset URLs do too; an unset
/// and a set one do not, nor an unreadable one).
fn same_origin(before: Option<&str>, after: Option<&str>) -> bool {
    let parse = |raw: &str| RemoteUrl::parse(raw, true).ok();
    match (before, after) {
        (None, None) => true,
        (Some(a), Some(b)) => match (parse(a), parse(b)) {
            (Some(a), Some(b)) => a.same_origin(&b),
            _ => false,
        },
        _ => false,
    }
}

/// The settings a patch is checked against: a stored repository's, or a new one's.
#[derive(Debug, Clone, Copy)]
pub enum Current<'a> {
    /// A repository about to be created (mirroring off, upstream, hourly).
    Blank,
    /// A stored repository.
    Stored(&'a repository::Model),
}

impl<'a> Current<'a> {
    fn direction(self) -> MirrorDirection {
        match self {
            Self::Blank => MirrorDirection::Upstream,
            Self::Stored(repo) => repo.mirror_direction,
        }
    }

    fn interval(self) -> i64 {
        match self {
            Self::Blank => DEFAULT_SYNC_INTERVAL,
            Self::Stored(repo) => repo.sync_interval,
        }
    }

    fn enabled(self) -> bool {
        match self {
            Self::Blank => false,
            Self::Stored(repo) => repo.mirror_enabled,
        }
    }

    fn url(self, pick: fn(&'a repository::Model) -> &'a Option<String>) -> Option<&'a String> {
        match self {
            Self::Blank => None,
            Self::Stored(repo) => pick(repo).as_ref(),
        }
    }
}

/// A patch that passed [`validate`]: the settings as they will be saved.
#[derive(Debug, Clone)]
pub struct Checked {
    direction: MirrorDirection,
    interval: i64,
    enabled: bool,
    /// As parsed (normalised), or unset.
    upstream_url: Option<String>,
    /// As parsed (normalised), or unset.
    downstream_url: Option<String>,
}

/// Validates `patch` against `repo` and saves it; 422 names every bad field and saves nothing.
///
/// # Errors
/// Validation (422) or the database.
pub async fn apply(
    db: &DatabaseConnection,
    config: &Config,
    secrets: &SecretBox,
    repo: repository::Model,
    patch: SettingsPatch,
) -> Result<repository::Model> {
    let checked = validate(config, &Current::Stored(&repo), &patch).await?;
    save(db, secrets, repo, patch, checked).await
}

/// Checks every field of `patch` against `current`: 422 names each bad one.
///
/// # Errors
/// Validation (422).
pub async fn validate(
    config: &Config,
    current: &Current<'_>,
    patch: &SettingsPatch,
) -> Result<Checked> {
    let current = *current;
    let mut fields = FieldErrors::new();
    let direction = match patch.mirror_direction.as_deref() {
        None => current.direction(),
        Some(word) => MirrorDirection::parse(word).unwrap_or_else(|| {
            fields.insert(
                "mirror_direction".to_owned(),
                "must be one of upstream, downstream, both".to_owned(),
            );
            current.direction()
        }),
    };
    let interval = patch.sync_interval.unwrap_or(current.interval());
    if let Some(Err(message)) = patch.sync_interval.map(|i| check_interval(config, i)) {
        fields.insert("sync_interval".to_owned(), message);
    }
    let enabled = patch.mirror_enabled.unwrap_or(current.enabled());
    // URLs are kept as parsed, so what is shown is what is connected to.
    let (mut upstream_given, mut downstream_given) = (None, None);
    for (field, given, slot) in [
        ("upstream_url", &patch.upstream_url, &mut upstream_given),
        (
            "downstream_url",
            &patch.downstream_url,
            &mut downstream_given,
        ),
    ] {
        if let Some(url) = given.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            match RemoteUrl::check(url, config.allow_local_networks).await {
                Ok(parsed) => *slot = Some(String::from(parsed)),
                Err(message) => {
                    fields.insert(field.to_owned(), message);
                }
            }
        }
    }
    let upstream_url = merged(
        upstream_given.as_ref().or(patch.upstream_url.as_ref()),
        current.url(|r| &r.upstream_url),
    );
    let downstream_url = merged(
        downstream_given.as_ref().or(patch.downstream_url.as_ref()),
        current.url(|r| &r.downstream_url),
    );
    if enabled
        && direction.pulls()
        && upstream_url.is_none()
        && !fields.contains_key("upstream_url")
    {
        fields.insert(
            "upstream_url".to_owned(),
            "required when mirroring upstream".to_owned(),
        );
    }
    if enabled
        && direction.pushes()
        && downstream_url.is_none()
        && !fields.contains_key("downstream_url")
    {
        fields.insert(
            "downstream_url".to_owned(),
            "required when mirroring downstream".to_owned(),
        );
    }
    for (field, value) in [
        ("upstream_username", &patch.upstream_username),
        ("downstream_username", &patch.downstream_username),
    ] {
        if let Some(Err(message)) = value.as_deref().map(check_username) {
            fields.insert(field.to_owned(), message);
        }
    }
    for (field, value) in [
        ("upstream_password", &patch.upstream_password),
        ("downstream_password", &patch.downstream_password),
    ] {
        if let Some(Err(message)) = value.as_deref().map(check_password) {
            fields.insert(field.to_owned(), message);
        }
    }
    if !fields.is_empty() {
        return Err(Error::Validation(fields));
    }
    Ok(Checked {
        direction,
        interval,
        enabled,
        upstream_url,
        downstream_url,
    })
}

/// Saves a checked patch: the one place that writes a repository's mirror settings.
///
/// # Errors
/// The database failed.
pub async fn save(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    repo: repository::Model,
    patch: SettingsPatch,
    checked: Checked,
) -> Result<repository::Model> {
    let Checked {
        direction,
        interval,
        enabled,
        upstream_url,
        downstream_url,
    } = checked;
    let now = Utc::now();
    let was_enabled = repo.mirror_enabled;
    let old_interval = repo.sync_interval;
    let next_sync_at = repo.next_sync_at;
    let id = repo.id;
    // Credentials belong to the origin they were given for: a new scheme, host or port
    // without a new password drops them (and the username, unless a new one is given).
    let upstream_moved = patch.upstream_password.is_none()
        && !same_origin(repo.upstream_url.as_deref(), upstream_url.as_deref());
    let downstream_moved = patch.downstream_password.is_none()
        && !same_origin(repo.downstream_url.as_deref(), downstream_url.as_deref());
    let upstream_username = merged(
        patch.upstream_username.as_ref(),
        repo.upstream_username.as_ref().filter(|_| !upstream_moved),
    );
    let downstream_username = merged(
        patch.downstream_username.as_ref(),
        repo.downstream_username
            .as_ref()
            .filter(|_| !downstream_moved),
    );
    let mut active = repo.into_active_model();
    if upstream_moved {
        active.upstream_password = Set(None);
    }
    if downstream_moved {
        active.downstream_password = Set(None);
    }
    active.mirror_enabled = Set(enabled);
    active.mirror_direction = Set(direction);
    active.upstream_url = Set(upstream_url);
    active.downstream_url = Set(downstream_url);
    active.upstream_username = Set(upstream_username);
    active.downstream_username = Set(downstream_username);
    for (field, value, slot) in [
        (
            "upstream_password",
            &patch.upstream_password,
            &mut active.upstream_password,
        ),
        (
            "downstream_password",
            &patch.downstream_password,
            &mut active.downstream_password,
        ),
    ] {
        match value.as_deref() {
            None => {}
            Some("") => *slot = Set(None),
            Some(password) => *slot = Set(Some(secrets.encrypt(id, field, password))),
        }
    }
    active.sync_interval = Set(interval);
    active.next_sync_at = Set(match (was_enabled, enabled) {
        (_, false) => None,
        // Just switched on: due at the next scheduler tick.
        (false, true) => Some(now),
        (true, true) if interval != old_interval => {
            let by_new_interval = now + Duration::seconds(interval);
            Some(next_sync_at.map_or(by_new_interval, |t| t.min(by_new_interval)))
        }
        (true, true) => next_sync_at.or(Some(now)),
    });
    if !enabled && was_enabled {
        active.consecutive_failures = Set(0);
    }
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_clears_and_trims() {
        let current = Some("a".to_owned());
        assert_eq!(merged(None, current.as_ref()), Some("a".into()));
        assert_eq!(merged(Some(&String::new()), current.as_ref()), None);
        assert_eq!(
            merged(Some(&" b ".to_owned()), current.as_ref()),
            Some("b".into())
        );
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        let same = |a, b| same_origin(Some(a), Some(b));
        assert!(same("http://h/a.git", "http://H:80/b.git"));
        assert!(!same("http://h/a.git", "https://h/a.git"));
        assert!(!same("http://h/a.git", "http://h:81/a.git"));
        assert!(!same("http://h/a.git", "http://g/a.git"));
        assert!(same_origin(None, None));
        assert!(!same_origin(None, Some("http://h/a.git")));
        assert!(!same_origin(Some("http://h/a.git"), None));
    }
}
