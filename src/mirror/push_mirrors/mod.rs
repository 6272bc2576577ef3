//! A repository's push mirrors: the downstream targets it pushes to, up to
//! [`MAX_PER_REPOSITORY`], each with its own credentials (sealed for that push mirror), switch,
//! ref filter, divergent-ref policy and last result. The settings' `downstream_*` fields are
//! the first of them (lowest id).

pub mod change;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use super::{
    schedule::Schedule,
    secrets::{DecryptError, SealedField, SecretBox},
};
use crate::{
    entities::{
        mirror_enums::{MirrorDirection, SealedFor, SyncStatus},
        push_mirror, repository,
    },
    error::Result,
};

/// Most push mirrors one repository may have.
pub const MAX_PER_REPOSITORY: usize = 10;

/// A repository's push mirrors, oldest first.
///
/// # Errors
/// The database failed.
pub async fn list(db: &impl ConnectionTrait, repo_id: i64) -> Result<Vec<push_mirror::Model>> {
    Ok(push_mirror::Entity::find()
        .filter(push_mirror::Column::RepositoryId.eq(repo_id))
        .order_by_asc(push_mirror::Column::Id)
        .all(db)
        .await?)
}

/// The repository's first push mirror (the settings' downstream), if any.
///
/// # Errors
/// The database failed.
pub async fn first(db: &impl ConnectionTrait, repo_id: i64) -> Result<Option<push_mirror::Model>> {
    Ok(push_mirror::Entity::find()
        .filter(push_mirror::Column::RepositoryId.eq(repo_id))
        .order_by_asc(push_mirror::Column::Id)
        .one(db)
        .await?)
}

/// The stored password of `mirror`, decrypted for the push that uses it.
///
/// # Errors
/// It cannot be decrypted (the secret key changed).
pub fn password(
    secrets: &SecretBox,
    mirror: &push_mirror::Model,
) -> std::result::Result<Option<String>, DecryptError> {
    mirror
        .remote_password
        .as_deref()
        .map(|sealed| secrets.open(&sealed_place(mirror), sealed))
        .transpose()
}

/// Where `mirror`'s stored password was sealed.
fn sealed_place(mirror: &push_mirror::Model) -> SealedField {
    match mirror.password_sealed_for {
        SealedFor::PushMirror => SealedField::push_mirror_password(mirror.id),
        SealedFor::Repository => {
            SealedField::repository(mirror.repository_id, "downstream_password")
        }
    }
}

/// How adding (or switching on) a push mirror changed its repository so that it pushes:
/// a push mirror that exists is pushed to, as Gitea and GitLab do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NowPushes {
    /// Mirroring was off: it is on now, and the repository pushes (`downstream`).
    SwitchedOn,
    /// It only pulled: it now pulls and then pushes (`both`).
    AlsoPushes,
}

impl NowPushes {
    /// What the answer and the page say about it.
    #[must_use]
    pub fn sentence(self) -> &'static str {
        match self {
            Self::SwitchedOn => {
                "Mirroring is now on for this repository, pushing to its push mirrors \
                 (mirror direction \"downstream\")."
            }
            Self::AlsoPushes => {
                "This repository now pulls and then pushes to its push mirrors \
                 (mirror direction \"both\")."
            }
        }
    }
}

/// Makes repository `repo_id` push, now that it has an enabled push mirror: mirroring off is
/// switched on as `downstream` (due at the next tick, unless synced by hand only), an
/// `upstream` mirror becomes `both`; `None` when it already pushed.
///
/// # Errors
/// The database failed.
pub async fn make_repository_push(
    conn: &impl ConnectionTrait,
    repo_id: i64,
) -> Result<Option<NowPushes>> {
    let Some(repo) = repository::Entity::find_by_id(repo_id).one(conn).await? else {
        return Ok(None);
    };
    let change = if !repo.mirror_enabled {
        NowPushes::SwitchedOn
    } else if repo.mirror_direction.pushes() {
        return Ok(None);
    } else {
        NowPushes::AlsoPushes
    };
    let mut active = repo.clone().into_active_model();
    if change == NowPushes::SwitchedOn {
        active.mirror_enabled = Set(true);
        active.mirror_direction = Set(MirrorDirection::Downstream);
        active.next_sync_at = Set(match Schedule::stored(&repo.sync_schedule) {
            Schedule::Manual => None,
            _ => Some(Utc::now()),
        });
    } else {
        active.mirror_direction = Set(MirrorDirection::Both);
    }
    active.updated_at = Set(Utc::now());
    active.update(conn).await?;
    Ok(Some(change))
}

/// What a new push mirror starts with.
#[derive(Debug, Clone, Default)]
pub struct NewPushMirror {
    /// As parsed, without credentials.
    pub remote_url: String,
    /// Login name, if any.
    pub remote_username: Option<String>,
    /// Password or token, if any (sealed before it is stored).
    pub remote_password: Option<String>,
}

/// Adds a push mirror to repository `repo_id` (enabled, every branch and tag, forced and
/// pruned, no sync on push), its password sealed for the new row.
///
/// # Errors
/// The database failed.
pub async fn create(
    db: &impl ConnectionTrait,
    secrets: &SecretBox,
    repo_id: i64,
    new: NewPushMirror,
) -> Result<push_mirror::Model> {
    let row = push_mirror::ActiveModel {
        repository_id: Set(repo_id),
        remote_url: Set(new.remote_url),
        remote_username: Set(new.remote_username),
        remote_password: Set(None),
        password_sealed_for: Set(SealedFor::PushMirror),
        enabled: Set(true),
        sync_on_push: Set(false),
        ref_filter: Set("[]".to_owned()),
        ref_map: Set("[]".to_owned()),
        keep_divergent_refs: Set(false),
        last_synced_at: Set(None),
        last_status: Set(SyncStatus::Idle),
        last_error: Set(None),
        consecutive_failures: Set(0),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // The row's id is the password's associated data, so it is sealed once the row exists.
    match new.remote_password {
        None => Ok(row),
        Some(password) => {
            let id = row.id;
            let mut active = row.into_active_model();
            active.remote_password = Set(Some(
                secrets.seal(&SealedField::push_mirror_password(id), &password),
            ));
            Ok(active.update(db).await?)
        }
    }
}

/// The stored form of a new password for push mirror `id` (`""` clears it).
#[must_use]
pub fn sealed_password(secrets: &SecretBox, id: i64, password: &str) -> Option<String> {
    (!password.is_empty()).then(|| secrets.seal(&SealedField::push_mirror_password(id), password))
}

/// Seals again, for their push mirror, the passwords the upgrade moved from repositories (run
/// at start-up; a password that cannot be decrypted now is left as it is, and says so when a
/// push uses it). Returns how many were re-sealed.
///
/// # Errors
/// The database failed.
pub async fn reseal_moved(db: &DatabaseConnection, secrets: &SecretBox) -> Result<usize> {
    let moved = push_mirror::Entity::find()
        .filter(push_mirror::Column::PasswordSealedFor.eq(SealedFor::Repository))
        .all(db)
        .await?;
    let mut resealed = 0;
    for mirror in moved {
        let id = mirror.id;
        let password = match password(secrets, &mirror) {
            Ok(password) => password,
            Err(e) => {
                tracing::warn!(push_mirror_id = id, error = %e, "a moved downstream password stays as it was");
                continue;
            }
        };
        // Only if nobody re-sealed it meanwhile (another process starting at the same time).
        let done = push_mirror::Entity::update_many()
            .col_expr(
                push_mirror::Column::RemotePassword,
                sea_orm::sea_query::Expr::value(
                    password.map(|p| secrets.seal(&SealedField::push_mirror_password(id), &p)),
                ),
            )
            .col_expr(
                push_mirror::Column::PasswordSealedFor,
                sea_orm::sea_query::Expr::value(SealedFor::PushMirror),
            )
            .filter(push_mirror::Column::Id.eq(id))
            .filter(push_mirror::Column::PasswordSealedFor.eq(SealedFor::Repository))
            .exec(db)
            .await?;
        resealed += usize::try_from(done.rows_affected).unwrap_or(0);
    }
    Ok(resealed)
}
