//! Saving a checked patch: the one place that writes a repository's mirror settings.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, IntoActiveModel};

use super::{SettingsPatch, validate::Checked, validate::merged};
use crate::{
    entities::repository, error::Result, mirror::secrets::SecretBox, net::remote_url::RemoteUrl,
};

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
