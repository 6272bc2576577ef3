//! Who runs an account mirror's discovery: one conditional UPDATE whose affected-row count
//! decides, across threads and processes, as a sync's claim does; a heartbeat keeps it fresh,
//! and a claim whose heartbeat stopped (its process died) may be taken over.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::{entities::account_mirror, error::Result};

/// How often a running discovery says it is alive.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(15);
/// A claim whose heartbeat is older than this belongs to a process that died.
const STALE_AFTER: TimeDelta = TimeDelta::seconds(60);

/// Unclaimed, or claimed by a process that stopped beating.
fn free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(account_mirror::Column::ClaimedBy.is_null())
        .add(account_mirror::Column::HeartbeatAt.lt(now - STALE_AFTER))
}

/// Claims account mirror `id` for `holder`: `true` when it now holds it. With `only_if_due`,
/// only while it is still enabled and due.
///
/// # Errors
/// The database failed.
pub async fn claim(
    db: &DatabaseConnection,
    id: i64,
    holder: &str,
    only_if_due: bool,
) -> Result<bool> {
    let now = Utc::now();
    let mut update = account_mirror::Entity::update_many()
        .col_expr(account_mirror::Column::ClaimedBy, Expr::value(holder))
        .col_expr(account_mirror::Column::HeartbeatAt, Expr::value(now))
        .col_expr(
            account_mirror::Column::LastStatus,
            Expr::value("discovering"),
        )
        .filter(account_mirror::Column::Id.eq(id))
        .filter(free(now));
    if only_if_due {
        update = update
            .filter(account_mirror::Column::Enabled.eq(true))
            .filter(account_mirror::Column::NextDiscoveryAt.lte(now));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// The ids of enabled account mirrors whose discovery is due and not running, oldest first.
///
/// # Errors
/// The database failed.
pub async fn due(db: &DatabaseConnection, limit: u64) -> Result<Vec<i64>> {
    let now = Utc::now();
    Ok(account_mirror::Entity::find()
        .select_only()
        .column(account_mirror::Column::Id)
        .filter(account_mirror::Column::Enabled.eq(true))
        .filter(account_mirror::Column::NextDiscoveryAt.lte(now))
        .filter(free(now))
        .order_by_asc(account_mirror::Column::NextDiscoveryAt)
        .limit(limit)
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// Keeps `holder`'s claim fresh and, when given, says what the discovery waits for.
///
/// # Errors
/// The database failed.
pub async fn beat(
    db: &DatabaseConnection,
    id: i64,
    holder: &str,
    waiting_for: Option<&str>,
) -> Result<()> {
    let mut update = account_mirror::Entity::update_many()
        .col_expr(account_mirror::Column::HeartbeatAt, Expr::value(Utc::now()));
    if let Some(message) = waiting_for {
        update = update.col_expr(account_mirror::Column::LastError, Expr::value(message));
    }
    update
        .filter(account_mirror::Column::Id.eq(id))
        .filter(account_mirror::Column::ClaimedBy.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// How a discovery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `success` or `failed`.
    pub status: &'static str,
    /// The failure's sentence, or what was left undone (`""`: none).
    pub error: String,
}

/// Ends `holder`'s claim with `outcome`, and schedules the next discovery one interval on
/// (when enabled).
///
/// # Errors
/// The database failed.
pub async fn release(
    db: &DatabaseConnection,
    row: &account_mirror::Model,
    holder: &str,
    outcome: &Outcome,
) -> Result<()> {
    let now = Utc::now();
    // The row is read again: an edit during the discovery may have switched it off.
    let (enabled, interval) = account_mirror::Entity::find_by_id(row.id)
        .select_only()
        .column(account_mirror::Column::Enabled)
        .column(account_mirror::Column::DiscoveryInterval)
        .into_tuple::<(bool, i64)>()
        .one(db)
        .await?
        .unwrap_or((false, row.discovery_interval));
    let next = enabled.then(|| now + TimeDelta::seconds(interval));
    unclaim(row.id, holder, outcome.status, &outcome.error)
        .col_expr(account_mirror::Column::LastDiscoveredAt, Expr::value(now))
        .col_expr(account_mirror::Column::NextDiscoveryAt, Expr::value(next))
        .exec(db)
        .await?;
    Ok(())
}

/// The update ending `holder`'s claim on account mirror `id` with `status` and `error`; the
/// caller adds the schedule.
fn unclaim(
    id: i64,
    holder: &str,
    status: &'static str,
    error: &str,
) -> sea_orm::UpdateMany<account_mirror::Entity> {
    account_mirror::Entity::update_many()
        .col_expr(
            account_mirror::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            account_mirror::Column::HeartbeatAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(account_mirror::Column::LastStatus, Expr::value(status))
        .col_expr(account_mirror::Column::LastError, Expr::value(error))
        .filter(account_mirror::Column::Id.eq(id))
        .filter(account_mirror::Column::ClaimedBy.eq(holder))
}

/// Whether a discovery of account mirror `id` runs now (a claim with a fresh heartbeat).
///
/// # Errors
/// The database failed.
pub async fn running(db: &DatabaseConnection, id: i64) -> Result<bool> {
    let now = Utc::now();
    Ok(account_mirror::Entity::find_by_id(id)
        .filter(account_mirror::Column::ClaimedBy.is_not_null())
        .filter(account_mirror::Column::HeartbeatAt.gte(now - STALE_AFTER))
        .one(db)
        .await?
        .is_some())
}

/// What an interrupted discovery leaves in `last_error`.
pub const INTERRUPTED: &str =
    "interrupted when the server stopped; it runs again at the next start";

/// Ends `holder`'s claim on a discovery the server's stop interrupted: failed with
/// [`INTERRUPTED`], and due at once so the next start runs it.
///
/// # Errors
/// The database failed.
pub async fn interrupt(db: &DatabaseConnection, id: i64, holder: &str) -> Result<()> {
    unclaim(id, holder, "failed", INTERRUPTED)
        .col_expr(
            account_mirror::Column::NextDiscoveryAt,
            Expr::value(Utc::now()),
        )
        .exec(db)
        .await?;
    Ok(())
}
