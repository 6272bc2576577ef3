//! Saving a checked patch: the one place that writes a repository's mirror settings (the
//! downstream being its first push mirror), in one transaction.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use super::{SHALLOW_CANNOT_PUSH, SettingsPatch, validate::Checked, validate::merged};
use crate::{
    entities::{push_mirror, repository},
    error::{Error, FieldErrors, Result},
    mirror::{
        push_mirrors::{self, NewPushMirror},
        schedule::Schedule,
        secrets::SecretBox,
        state,
    },
    net::git_remote::GitRemote,
};

/// True when both URLs name the same scheme, host and port (two unset URLs do too; an unset
/// and a set one do not, nor an unreadable one).
fn same_origin(before: Option<&str>, after: Option<&str>) -> bool {
    match (before, after) {
        (None, None) => true,
        (Some(a), Some(b)) => GitRemote::same_origin_of(a, b),
        _ => false,
    }
}

/// The origin an LFS login belongs to: the endpoint's when one is set, else the upstream's
/// (whose `<url>/info/lfs` is then the LFS server).
fn lfs_origin<'a>(endpoint: &'a str, upstream_url: Option<&'a str>) -> Option<&'a str> {
    Some(endpoint).filter(|e| !e.is_empty()).or(upstream_url)
}

/// A password of the patch sealed for `field` of repository `id`: `None` keeps the stored
/// one, `Some(None)` clears it.
fn sealed(
    secrets: &SecretBox,
    id: i64,
    field: &str,
    password: Option<&str>,
) -> Option<Option<String>> {
    match password? {
        "" => Some(None),
        password => Some(Some(secrets.encrypt(id, field, password))),
    }
}

/// Saves a checked patch: the one place that writes a repository's mirror settings. `first`
/// is the repository's first push mirror (its downstream), if it has one.
///
/// # Errors
/// The database failed.
pub async fn save(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    repo: repository::Model,
    first: Option<push_mirror::Model>,
    patch: SettingsPatch,
    checked: Checked,
) -> Result<repository::Model> {
    let txn = crate::db::begin_write(db).await?;
    let may_be_shallow = checked.upstream_depth.unwrap_or(repo.upstream_depth) > 0;
    if may_be_shallow {
        lock_row(&txn, repo.id).await?;
    }
    save_downstream(
        &txn,
        secrets,
        repo.id,
        first,
        &patch,
        checked.downstream_url.clone(),
    )
    .await?;
    let depth_changed = checked
        .upstream_depth
        .is_some_and(|d| d != repo.upstream_depth);
    let saved = save_repository(&txn, secrets, repo, &patch, checked).await?;
    if may_be_shallow {
        refuse_shallow_push(&txn, &saved, depth_changed).await?;
    }
    // The direction and the first push mirror decide which parts the status is derived from.
    state::refresh(&txn, saved.id).await?;
    let saved = repository::Entity::find_by_id(saved.id)
        .one(&txn)
        .await?
        .unwrap_or(saved);
    txn.commit().await?;
    Ok(saved)
}

// Shallow mirrors: the row is locked before anything is written, as adding a push mirror
// locks it before it reads the depth, so a depth and a push mirror saved at the same time
// cannot both pass (the transaction is dropped, and so rolled back, on the refusal).

/// Locks the repository's row until the transaction ends.
async fn lock_row(txn: &DatabaseTransaction, id: i64) -> Result<()> {
    repository::Entity::find_by_id(id)
        .select_only()
        .column(repository::Column::Id)
        .lock_exclusive()
        .into_tuple::<i64>()
        .one(txn)
        .await?;
    Ok(())
}

/// 422 when `saved` is shallow and has a push mirror (one added while this patch was checked):
/// named `upstream_depth` when the patch changed the depth, else `downstream_url`.
async fn refuse_shallow_push(
    txn: &DatabaseTransaction,
    saved: &repository::Model,
    depth_changed: bool,
) -> Result<()> {
    if saved.upstream_depth == 0 {
        return Ok(());
    }
    let pushes = push_mirror::Entity::find()
        .filter(push_mirror::Column::RepositoryId.eq(saved.id))
        .count(txn)
        .await?;
    if pushes == 0 {
        return Ok(());
    }
    let field = if depth_changed {
        "upstream_depth"
    } else {
        "downstream_url"
    };
    let mut fields = FieldErrors::new();
    fields.insert(field.to_owned(), SHALLOW_CANNOT_PUSH.to_owned());
    Err(Error::Validation(fields))
}

/// The downstream fields: the first push mirror created, changed or (URL cleared) removed.
async fn save_downstream(
    txn: &DatabaseTransaction,
    secrets: &SecretBox,
    repo_id: i64,
    first: Option<push_mirror::Model>,
    patch: &SettingsPatch,
    url: Option<String>,
) -> Result<()> {
    match (first, url) {
        (None, None) => {}
        (Some(first), None) => {
            first.delete(txn).await?;
        }
        (None, Some(url)) => {
            push_mirrors::create(
                txn,
                secrets,
                repo_id,
                NewPushMirror {
                    remote_url: url,
                    remote_username: merged(patch.downstream_username.as_ref(), None),
                    remote_password: patch.downstream_password.clone().filter(|p| !p.is_empty()),
                },
            )
            .await?;
        }
        (Some(first), Some(url)) => {
            // Credentials belong to the origin they were given for (as for the upstream).
            let moved = patch.downstream_password.is_none()
                && !same_origin(Some(&first.remote_url), Some(&url));
            let username = merged(
                patch.downstream_username.as_ref(),
                first.remote_username.as_ref().filter(|_| !moved),
            );
            let id = first.id;
            let mut active = first.into_active_model();
            if moved {
                active.remote_password = Set(None);
            }
            if let Some(password) = &patch.downstream_password {
                active.remote_password = Set(push_mirrors::sealed_password(secrets, id, password));
                active.password_sealed_for =
                    Set(crate::entities::mirror_enums::SealedFor::PushMirror);
            }
            active.remote_url = Set(url);
            active.remote_username = Set(username);
            active.update(txn).await?;
        }
    }
    Ok(())
}

/// The repository's own fields.
async fn save_repository(
    txn: &DatabaseTransaction,
    secrets: &SecretBox,
    repo: repository::Model,
    patch: &SettingsPatch,
    checked: Checked,
) -> Result<repository::Model> {
    let Checked {
        direction,
        interval,
        enabled,
        upstream_url,
        upstream_ref_filter,
        upstream_ref_map,
        sync_schedule,
        notify_url,
        lfs_endpoint,
        upstream_overwrite,
        upstream_depth,
        ..
    } = checked;
    let now = Utc::now();
    let was_enabled = repo.mirror_enabled;
    let old_interval = repo.sync_interval;
    let next_sync_at = repo.next_sync_at;
    let rescheduled = sync_schedule
        .as_ref()
        .is_some_and(|s| *s != repo.sync_schedule);
    let schedule_text = sync_schedule.unwrap_or_else(|| repo.sync_schedule.clone());
    let schedule = Schedule::stored(&schedule_text);
    let id = repo.id;
    // Credentials belong to the origin they were given for: a new scheme, host or port
    // without a new password drops them (and the username, unless a new one is given).
    let upstream_moved = patch.upstream_password.is_none()
        && !same_origin(repo.upstream_url.as_deref(), upstream_url.as_deref());
    let upstream_username = merged(
        patch.upstream_username.as_ref(),
        repo.upstream_username.as_ref().filter(|_| !upstream_moved),
    );
    // So does the LFS server's login, its origin being the endpoint's (or the upstream's).
    let lfs_moved = patch.lfs_password.is_none()
        && !same_origin(
            lfs_origin(&repo.lfs_endpoint, repo.upstream_url.as_deref()),
            lfs_origin(
                lfs_endpoint.as_deref().unwrap_or(&repo.lfs_endpoint),
                upstream_url.as_deref(),
            ),
        );
    let lfs_username = merged(
        patch.lfs_username.as_ref(),
        repo.lfs_username.as_ref().filter(|_| !lfs_moved),
    );
    let mut active = repo.into_active_model();
    if upstream_moved {
        active.upstream_password = Set(None);
    }
    if lfs_moved {
        active.lfs_password = Set(None);
    }
    active.mirror_enabled = Set(enabled);
    active.mirror_direction = Set(direction);
    active.upstream_url = Set(upstream_url);
    active.upstream_username = Set(upstream_username);
    if let Some(password) = sealed(
        secrets,
        id,
        "upstream_password",
        patch.upstream_password.as_deref(),
    ) {
        active.upstream_password = Set(password);
    }
    active.lfs_username = Set(lfs_username);
    if let Some(password) = sealed(secrets, id, "lfs_password", patch.lfs_password.as_deref()) {
        active.lfs_password = Set(password);
    }
    if let Some(filter) = upstream_ref_filter {
        active.upstream_ref_filter = Set(filter);
    }
    if let Some(map) = upstream_ref_map {
        active.upstream_ref_map = Set(map);
    }
    active.sync_interval = Set(interval);
    active.next_sync_at = Set(match (was_enabled, enabled) {
        (_, false) => None,
        _ if matches!(schedule, Schedule::Manual) => None,
        // Just switched on: due at the next scheduler tick.
        (false, true) => Some(now),
        (true, true) if rescheduled => schedule.next_after(now, interval),
        (true, true) if interval != old_interval && matches!(schedule, Schedule::Interval) => {
            let by_new_interval = now + Duration::seconds(interval);
            Some(next_sync_at.map_or(by_new_interval, |t| t.min(by_new_interval)))
        }
        (true, true) => next_sync_at.or_else(|| schedule.next_after(now, interval)),
    });
    active.sync_schedule = Set(schedule_text);
    if let Some(url) = notify_url {
        active.notify_url = Set(url);
    }
    if let Some(enabled) = patch.lfs_enabled {
        active.lfs_enabled = Set(enabled);
    }
    if let Some(url) = lfs_endpoint {
        active.lfs_endpoint = Set(url);
    }
    if let Some(overwrite) = upstream_overwrite {
        active.upstream_overwrite = Set(overwrite);
    }
    if let Some(depth) = upstream_depth {
        active.upstream_depth = Set(depth);
    }
    if let Some(guard) = patch.mass_delete_guard {
        active.mass_delete_guard = Set(guard);
    }
    active.updated_at = Set(now);
    Ok(active.update(txn).await?)
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

    #[test]
    fn an_lfs_login_belongs_to_the_endpoint_or_else_the_upstream() {
        let up = Some("http://h/a.git");
        assert_eq!(lfs_origin("", up), up);
        assert_eq!(lfs_origin("http://l/lfs", up), Some("http://l/lfs"));
        assert_eq!(lfs_origin("", None), None);
        // An endpoint written out on the upstream's origin is the same place as none.
        assert!(same_origin(
            lfs_origin("", up),
            lfs_origin("http://h:80/a.git/info/lfs", up)
        ));
        assert!(!same_origin(
            lfs_origin("", up),
            lfs_origin("http://h:81/a.git/info/lfs", up)
        ));
    }
}
