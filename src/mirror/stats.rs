//! The mirrors' standing read from the database for a metrics scrape: how many per status,
//! running, waiting, overdue (counts only; no name leaves this module). A claimed sync runs
//! once it holds a slot, which is when its run is recorded; before that it waits.

use chrono::{TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};

use crate::{
    entities::{
        mirror_enums::{RunStatus, SyncStatus},
        mirror_run, repository,
    },
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
    // A claimed repository whose run is recorded: its sync holds a slot. Correlated, so the
    // runs' (repository, id) index answers it, however long the history.
    let under_way = || {
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(mirror_run::Entity)
                .and_where(
                    Expr::col((mirror_run::Entity, mirror_run::Column::RepositoryId))
                        .equals((repository::Entity, repository::Column::Id)),
                )
                .and_where(mirror_run::Column::Status.eq(RunStatus::Running))
                .to_owned(),
        )
    };
    let running = repository::Entity::find()
        .filter(repository::Column::SyncClaimedBy.is_not_null())
        .filter(under_way())
        .count(db)
        .await?;
    let waiting_for_slot = repository::Entity::find()
        .filter(repository::Column::SyncClaimedBy.is_not_null())
        .filter(under_way().not())
        .count(db)
        .await?;
    let waiting_for_repository = repository::Entity::find()
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
        queued: waiting_for_slot + waiting_for_repository,
        overdue,
    })
}
