//! The mirrors' standing read from the database for a metrics scrape: how many per status,
//! running, waiting, overdue (counts only; no name leaves this module).

use chrono::{TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::{
    entities::{mirror_enums::SyncStatus, repository},
    error::Result,
    metrics::MirrorGauges,
};

/// A mirror is overdue when its next sync is this much in the past (two scheduler ticks).
const OVERDUE_AFTER: TimeDelta = TimeDelta::minutes(2);

/// The gauges as the database has them now.
///
/// # Errors
/// The database failed.
pub async fn gauges(db: &DatabaseConnection) -> Result<MirrorGauges> {
    let by_status: Vec<(SyncStatus, i64)> = repository::Entity::find()
        .select_only()
        .column(repository::Column::SyncStatus)
        .column_as(repository::Column::Id.count(), "count")
        .filter(repository::Column::MirrorEnabled.eq(true))
        .group_by(repository::Column::SyncStatus)
        .into_tuple()
        .all(db)
        .await?;
    let running = repository::Entity::find()
        .filter(repository::Column::SyncClaimedBy.is_not_null())
        .count(db)
        .await?;
    let queued = repository::Entity::find()
        .filter(repository::Column::SyncQueued.is_not_null())
        .count(db)
        .await?;
    let overdue = repository::Entity::find()
        .filter(repository::Column::MirrorEnabled.eq(true))
        .filter(repository::Column::SyncClaimedBy.is_null())
        .filter(repository::Column::NextSyncAt.lt(Utc::now() - OVERDUE_AFTER))
        .count(db)
        .await?;
    Ok(MirrorGauges {
        by_status: by_status
            .into_iter()
            .map(|(status, n)| (status.as_str().to_owned(), u64::try_from(n).unwrap_or(0)))
            .collect(),
        running,
        queued,
        overdue,
    })
}
