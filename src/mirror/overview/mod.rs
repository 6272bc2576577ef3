//! The mirrors overview: every mirror of a user (an administrator may ask for everyone's),
//! failing first, with how fresh each is; [`bulk`] acts on many of them at once.

pub mod bulk;
mod freshness;

pub use self::freshness::Freshness;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, SelectTwo,
    sea_query::{Expr, Query, SimpleExpr},
};
use serde::Serialize;

use super::schedule::Schedule;
use crate::{
    accounts::members,
    entities::{
        mirror_enums::{MirrorDirection, SyncStatus},
        push_mirror, repository, user,
    },
    error::{Error, Result},
    repos::Repo,
};

/// The `status` filter: one `sync_status`, or the paused mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Mirrors whose `sync_status` is this one.
    Status(SyncStatus),
    /// Mirrors configured but switched off.
    Paused,
}

impl StatusFilter {
    /// Reads `idle`, `syncing`, `success`, `failed` or `paused`; `""` is no filter.
    ///
    /// # Errors
    /// 422 naming `status` for any other word.
    pub fn parse(word: &str) -> Result<Option<Self>> {
        Ok(Some(match word.trim() {
            "" => return Ok(None),
            "idle" => Self::Status(SyncStatus::Idle),
            "syncing" => Self::Status(SyncStatus::Syncing),
            "success" => Self::Status(SyncStatus::Success),
            "failed" => Self::Status(SyncStatus::Failed),
            "paused" => Self::Paused,
            _ => {
                return Err(Error::field(
                    "status",
                    "must be one of idle, syncing, success, failed, paused",
                ));
            }
        }))
    }

    /// The word, as links and forms carry it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status(status) => status.as_str(),
            Self::Paused => "paused",
        }
    }
}

/// Which mirrors to list, and which page of them.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery {
    /// Everyone's mirrors; honoured only for administrators.
    pub all: bool,
    /// Only mirrors in this state.
    pub status: Option<StatusFilter>,
    /// Items per page.
    pub limit: u64,
    /// Items skipped.
    pub offset: u64,
}

/// One mirror as the overview shows it; never a URL or a credential.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MirrorItem {
    /// `owner/name`.
    pub repository: String,
    /// Which way it syncs.
    pub mirror_direction: MirrorDirection,
    /// Where it stands.
    pub sync_status: SyncStatus,
    /// End of the last successful sync.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// When the scheduler syncs next (none while paused or manual).
    pub next_sync_at: Option<DateTime<Utc>>,
    /// The last failure's message ("" when none).
    pub sync_error: String,
    /// Failed syncs in a row.
    pub consecutive_failures: i32,
    /// Mirroring switched on (false: paused).
    pub mirror_enabled: bool,
    /// Seconds between syncs (when `sync_schedule` is `""`).
    pub sync_interval: i64,
    /// `""`, `manual` or a cron expression.
    pub sync_schedule: String,
    /// The last success against the schedule.
    pub freshness: Freshness,
    /// Hidden from everyone but the owner and administrators.
    pub private: bool,
    /// Its account mirror's source no longer lists (or includes) it: paused, never deleted.
    pub gone_from_source: bool,
    /// The repository's id (not part of the JSON).
    #[serde(skip)]
    pub id: i64,
    /// Its last run was cancelled and nothing failed: the pages say "Cancelled" (not part of
    /// the JSON, whose `sync_status` stays the contract's).
    #[serde(skip)]
    pub cancelled: bool,
}

impl MirrorItem {
    /// The item for `repo` as seen at `now`.
    #[must_use]
    pub fn of(repo: &Repo, now: DateTime<Utc>) -> Self {
        let r = &repo.repo;
        let schedule = Schedule::stored(&r.sync_schedule);
        Self {
            repository: repo.full_name(),
            mirror_direction: r.mirror_direction,
            sync_status: r.sync_status,
            last_synced_at: r.last_synced_at,
            next_sync_at: r.next_sync_at.filter(|_| r.mirror_enabled),
            sync_error: r.sync_error.clone().unwrap_or_default(),
            consecutive_failures: r.consecutive_failures,
            mirror_enabled: r.mirror_enabled,
            sync_interval: r.sync_interval,
            sync_schedule: r.sync_schedule.clone(),
            freshness: Freshness::of(&schedule, r.sync_interval, r.last_synced_at, now),
            private: r.is_private,
            gone_from_source: r.gone_from_source,
            id: r.id,
            cancelled: super::state::shows_cancelled(r),
        }
    }
}

/// What makes a repository a mirror: switched on, or an upstream or a push mirror configured
/// (so a paused one stays listed and can be resumed).
#[must_use]
pub fn is_mirror_condition() -> Condition {
    Condition::any()
        .add(repository::Column::MirrorEnabled.eq(true))
        .add(repository::Column::UpstreamUrl.is_not_null())
        .add(
            repository::Column::Id.in_subquery(
                Query::select()
                    .column(push_mirror::Column::RepositoryId)
                    .from(push_mirror::Entity)
                    .to_owned(),
            ),
        )
}

/// The mirrors `viewer` owns or shares through their organisations (an administrator with
/// `all`: everyone's), in the state `status` asks for.
async fn selection(
    db: &DatabaseConnection,
    viewer: &user::Model,
    all: bool,
    status: Option<StatusFilter>,
) -> Result<SelectTwo<repository::Entity, user::Entity>> {
    let mut select = repository::Entity::find()
        .find_also_related(user::Entity)
        .filter(is_mirror_condition());
    if !(all && viewer.is_admin) {
        let owners = members::shared_owners(db, viewer).await?;
        select = select.filter(repository::Column::OwnerId.is_in(owners.iter().map(|o| o.id)));
    }
    Ok(match status {
        None => select,
        Some(StatusFilter::Paused) => select.filter(repository::Column::MirrorEnabled.eq(false)),
        Some(StatusFilter::Status(status)) => {
            select.filter(repository::Column::SyncStatus.eq(status))
        }
    })
}

/// How many mirrors [`list`] lists for `query` in all its pages.
///
/// # Errors
/// The database failed.
pub async fn count(db: &DatabaseConnection, viewer: &user::Model, query: ListQuery) -> Result<u64> {
    Ok(selection(db, viewer, query.all, query.status)
        .await?
        .count(db)
        .await?)
}

/// The mirrors `viewer` owns or shares through their organisations (an administrator with
/// `query.all`: everyone's), failing first, then by owner and name.
///
/// # Errors
/// The database failed.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &user::Model,
    query: ListQuery,
) -> Result<Vec<MirrorItem>> {
    let select = selection(db, viewer, query.all, query.status).await?;
    let failing_first: SimpleExpr =
        Expr::case(repository::Column::SyncStatus.eq(SyncStatus::Failed), 0)
            .finally(1)
            .into();
    let rows = select
        .order_by(failing_first, Order::Asc)
        .order_by_asc(user::Column::LowerName)
        .order_by_asc(repository::Column::LowerName)
        .limit(query.limit)
        .offset(query.offset)
        .all(db)
        .await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .filter_map(|(repo, owner)| {
            Some(Repo {
                repo,
                owner: owner?,
            })
        })
        .map(|repo| MirrorItem::of(&repo, now))
        .collect())
}
