//! Adding, changing and removing a push mirror through the API: every field checked and every
//! bad one named before anything is saved (PATCH semantics: left out keeps, `""` clears), and
//! the push mirror as the API shows it.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::{MAX_PER_REPOSITORY, NewPushMirror, NowPushes, make_repository_push, sealed_password};
use crate::{
    config::Config,
    entities::{
        mirror_enums::{SealedFor, SyncStatus},
        push_mirror, repository,
    },
    error::{Error, FieldErrors, Result},
    git::fetch_push::{
        filter::RefFilter,
        ref_map::{MapRule, RefMap},
    },
    mirror::{
        secrets::SecretBox,
        settings::{SHALLOW_CANNOT_PUSH, check_password, check_username},
        state,
    },
    net::git_remote::GitRemote,
};

/// A push mirror as the API shows it; never its password.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PushMirrorView {
    /// Its id.
    pub id: i64,
    /// Where it pushes, without credentials.
    pub remote_url: String,
    /// Login name ("" when unset).
    pub remote_username: String,
    /// Whether a password is stored.
    pub password_set: bool,
    /// Pushed by syncs.
    pub enabled: bool,
    /// Pushed after every `git push` into the repository.
    pub sync_on_push: bool,
    /// The refs it carries (`[]`: every branch and tag).
    pub ref_filter: Vec<String>,
    /// Its branch map: the first rule whose `from` matches a ref here names it there (`[]`:
    /// the same names).
    pub ref_map: Vec<MapRule>,
    /// Leaves refs that diverged there as they are, and deletes nothing there.
    pub keep_divergent_refs: bool,
    /// End of its last successful push.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// `idle`, `success` or `failed`.
    pub last_status: SyncStatus,
    /// Why its last push failed ("" when it did not).
    pub last_error: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

impl From<&push_mirror::Model> for PushMirrorView {
    fn from(m: &push_mirror::Model) -> Self {
        Self {
            id: m.id,
            remote_url: m.remote_url.clone(),
            remote_username: m.remote_username.clone().unwrap_or_default(),
            password_set: m.remote_password.is_some(),
            enabled: m.enabled,
            sync_on_push: m.sync_on_push,
            ref_filter: RefFilter::from_json(&m.ref_filter).patterns().to_vec(),
            ref_map: RefMap::from_json(&m.ref_map).rules().to_vec(),
            keep_divergent_refs: m.keep_divergent_refs,
            last_synced_at: m.last_synced_at,
            last_status: m.last_status,
            last_error: m.last_error.clone().unwrap_or_default(),
            created_at: m.created_at,
        }
    }
}

/// The fields of a push mirror to set; `None` keeps a value, `Some("")` clears a text one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushMirrorInput {
    /// Where to push (required to add one).
    pub remote_url: Option<String>,
    /// Login name.
    pub remote_username: Option<String>,
    /// Password or token (write-only).
    pub remote_password: Option<String>,
    /// Pushed by syncs.
    pub enabled: Option<bool>,
    /// Pushed after every `git push` into the repository.
    pub sync_on_push: Option<bool>,
    /// Patterns of the refs it carries.
    pub ref_filter: Option<Vec<String>>,
    /// Its branch map (validated).
    pub ref_map: Option<Vec<MapRule>>,
    /// Leave diverged refs there as they are.
    pub keep_divergent_refs: Option<bool>,
}

/// `input` checked: the URL as parsed, the filter and the map as stored.
struct Checked {
    url: Option<String>,
    filter: Option<String>,
    map: Option<String>,
}

/// Checks every field of `input`; `adding` requires a URL. 422 names each bad field.
async fn check(config: &Config, input: &PushMirrorInput, adding: bool) -> Result<Checked> {
    let mut fields = FieldErrors::new();
    let mut url = None;
    match input.remote_url.as_deref().map(str::trim) {
        Some("") | None if adding => {
            fields.insert("remote_url".to_owned(), "is required".to_owned());
        }
        Some("") => {
            fields.insert(
                "remote_url".to_owned(),
                "cannot be cleared; remove the push mirror instead".to_owned(),
            );
        }
        Some(given) => match GitRemote::check(given, config.allow_local_networks).await {
            Ok(parsed) => url = Some(String::from(parsed)),
            Err(message) => {
                fields.insert("remote_url".to_owned(), message.to_string());
            }
        },
        None => {}
    }
    if let Some(Err(message)) = input.remote_username.as_deref().map(check_username) {
        fields.insert("remote_username".to_owned(), message);
    }
    if let Some(Err(message)) = input.remote_password.as_deref().map(check_password) {
        fields.insert("remote_password".to_owned(), message);
    }
    let filter = match input.ref_filter.as_deref().map(RefFilter::parse) {
        Some(Ok(filter)) => Some(filter.to_json()),
        Some(Err(message)) => {
            fields.insert("ref_filter".to_owned(), message.0);
            None
        }
        None => None,
    };
    let map = match input.ref_map.as_deref().map(RefMap::parse) {
        Some(Ok(map)) => Some(map.to_json()),
        Some(Err(message)) => {
            fields.insert("ref_map".to_owned(), message.0);
            None
        }
        None => None,
    };
    if fields.is_empty() {
        Ok(Checked { url, filter, map })
    } else {
        Err(Error::Validation(fields))
    }
}

/// A text field after a patch: `""` clears it.
fn text(given: Option<&String>, current: Option<String>) -> Option<String> {
    match given.map(|v| v.trim()) {
        Some("") => None,
        Some(v) => Some(v.to_owned()),
        None => current,
    }
}

/// What a saved push mirror does to its repository, in the same transaction: one just
/// switched on makes it push (the change is returned, to be said), and its state is derived
/// again.
async fn settle(
    txn: &DatabaseTransaction,
    repo_id: i64,
    switched_on: bool,
) -> Result<Option<NowPushes>> {
    let now_pushes = if switched_on {
        make_repository_push(txn, repo_id).await?
    } else {
        None
    };
    state::refresh(txn, repo_id).await?;
    Ok(now_pushes)
}

/// Adds a push mirror to `repo`; an enabled one makes the repository push (the change is
/// returned, to be said).
///
/// # Errors
/// Validation (422, also at [`MAX_PER_REPOSITORY`]), or the database.
pub async fn add(
    db: &DatabaseConnection,
    config: &Config,
    secrets: &SecretBox,
    repo: &repository::Model,
    input: PushMirrorInput,
) -> Result<(push_mirror::Model, Option<NowPushes>)> {
    let checked = check(config, &input, true).await?;
    let txn = crate::db::begin_write(db).await?;
    // The repository's row stays locked until the commit, so parallel adds to one repository
    // count one after another and the limit holds (on SQLite the write lock does it).
    let locked: Option<(i64, i32)> = repository::Entity::find_by_id(repo.id)
        .select_only()
        .column(repository::Column::Id)
        .column(repository::Column::UpstreamDepth)
        .lock_exclusive()
        .into_tuple()
        .one(&txn)
        .await?;
    let Some((_, depth)) = locked else {
        return Err(Error::NotFound("repository"));
    };
    // A shallow repository lacks the history a push would need.
    if depth > 0 {
        let mut fields = FieldErrors::new();
        fields.insert("remote_url".to_owned(), SHALLOW_CANNOT_PUSH.to_owned());
        return Err(Error::Validation(fields));
    }
    let count = push_mirror::Entity::find()
        .filter(push_mirror::Column::RepositoryId.eq(repo.id))
        .count(&txn)
        .await?;
    if count >= MAX_PER_REPOSITORY as u64 {
        let mut fields = FieldErrors::new();
        fields.insert(
            "remote_url".to_owned(),
            format!("at most {MAX_PER_REPOSITORY} push mirrors"),
        );
        return Err(Error::Validation(fields));
    }
    let created = super::create(
        &txn,
        secrets,
        repo.id,
        NewPushMirror {
            remote_url: checked.url.unwrap_or_default(),
            remote_username: text(input.remote_username.as_ref(), None),
            remote_password: input.remote_password.clone().filter(|p| !p.is_empty()),
        },
    )
    .await?;
    let mut active = created.into_active_model();
    active.enabled = Set(input.enabled.unwrap_or(true));
    active.sync_on_push = Set(input.sync_on_push.unwrap_or(false));
    active.keep_divergent_refs = Set(input.keep_divergent_refs.unwrap_or(false));
    if let Some(filter) = checked.filter {
        active.ref_filter = Set(filter);
    }
    if let Some(map) = checked.map {
        active.ref_map = Set(map);
    }
    let saved = active.update(&txn).await?;
    let now_pushes = settle(&txn, repo.id, saved.enabled).await?;
    txn.commit().await?;
    Ok((saved, now_pushes))
}

/// The push mirror `id` of `repo`.
///
/// # Errors
/// Not found (404), or the database.
pub async fn find(
    db: &DatabaseConnection,
    repo: &repository::Model,
    id: i64,
) -> Result<push_mirror::Model> {
    push_mirror::Entity::find_by_id(id)
        .filter(push_mirror::Column::RepositoryId.eq(repo.id))
        .one(db)
        .await?
        .ok_or(Error::NotFound("push mirror"))
}

/// Changes the push mirror `id` of `repo`. A new scheme, host or port without a new password
/// drops the stored password and username, as for the settings. Switching it on makes the
/// repository push (the change is returned, to be said).
///
/// # Errors
/// Not found (404), validation (422), or the database.
pub async fn change(
    db: &DatabaseConnection,
    config: &Config,
    secrets: &SecretBox,
    repo: &repository::Model,
    id: i64,
    input: PushMirrorInput,
) -> Result<(push_mirror::Model, Option<NowPushes>)> {
    let current = find(db, repo, id).await?;
    let checked = check(config, &input, false).await?;
    let moved = input.remote_password.is_none()
        && checked
            .url
            .as_deref()
            .is_some_and(|url| !GitRemote::same_origin_of(&current.remote_url, url));
    let username = text(
        input.remote_username.as_ref(),
        current.remote_username.clone().filter(|_| !moved),
    );
    let mut active = current.into_active_model();
    if moved {
        active.remote_password = Set(None);
    }
    if let Some(url) = checked.url {
        active.remote_url = Set(url);
    }
    active.remote_username = Set(username);
    if let Some(password) = &input.remote_password {
        active.remote_password = Set(sealed_password(secrets, id, password));
        active.password_sealed_for = Set(SealedFor::PushMirror);
    }
    if let Some(enabled) = input.enabled {
        active.enabled = Set(enabled);
    }
    if let Some(on_push) = input.sync_on_push {
        active.sync_on_push = Set(on_push);
    }
    if let Some(keep) = input.keep_divergent_refs {
        active.keep_divergent_refs = Set(keep);
    }
    if let Some(filter) = checked.filter {
        active.ref_filter = Set(filter);
    }
    if let Some(map) = checked.map {
        active.ref_map = Set(map);
    }
    let txn = crate::db::begin_write(db).await?;
    let saved = active.update(&txn).await?;
    let now_pushes = settle(&txn, repo.id, input.enabled == Some(true)).await?;
    txn.commit().await?;
    Ok((saved, now_pushes))
}

/// Removes the push mirror `id` of `repo`.
///
/// # Errors
/// Not found (404); 409 when it is the last one and the repository pushes; the database.
pub async fn remove(db: &DatabaseConnection, repo: &repository::Model, id: i64) -> Result<()> {
    let current = find(db, repo, id).await?;
    let count = push_mirror::Entity::find()
        .filter(push_mirror::Column::RepositoryId.eq(repo.id))
        .count(db)
        .await?;
    if count == 1 && repo.mirror_enabled && repo.mirror_direction.pushes() {
        return Err(Error::Conflict(
            "this is the repository's last push mirror and it pushes: change its mirror \
             direction first"
                .to_owned(),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    current.delete(&txn).await?;
    state::refresh(&txn, repo.id).await?;
    txn.commit().await?;
    Ok(())
}
