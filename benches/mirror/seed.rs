//! The tick row's seeding: many mirror rows made from one repository row, inserted in chunks
//! sized by the table's column count, so no statement binds more values than SQLite allows
//! (32,766) however the table grows. Shared with the test `bench_seed`, which runs it at the
//! row's size on SQLite so a bench that would crash fails `make test` first.

use chrono::{DateTime, Utc};
use mirrorforge::entities::repository;
use sea_orm::{DatabaseConnection, EntityTrait, Iterable};

/// The most values SQLite binds in one statement.
const SQLITE_MAX_VARIABLES: usize = 32_766;

/// Rows of the repositories table one insert may carry.
#[must_use]
pub fn rows_per_insert() -> usize {
    (SQLITE_MAX_VARIABLES / repository::Column::iter().count()).max(1)
}

/// Inserts `count` upstream mirrors copied from `template` (named `m0`, `m1`, …), one in a
/// hundred due at `now`, the others due over the next hour.
///
/// # Panics
/// An insert fails.
pub async fn seed_mirror_rows(
    db: &DatabaseConnection,
    template: &repository::Model,
    count: usize,
    now: DateTime<Utc>,
) {
    let chunk = rows_per_insert();
    let mut made = 0;
    while made < count {
        let take = chunk.min(count - made);
        let rows = (made..made + take).map(|n| {
            let mut row: repository::ActiveModel = template.clone().into();
            row.id = sea_orm::ActiveValue::NotSet;
            row.name = sea_orm::ActiveValue::Set(format!("m{n}"));
            row.lower_name = sea_orm::ActiveValue::Set(format!("m{n}"));
            row.mirror_enabled = sea_orm::ActiveValue::Set(true);
            row.upstream_url =
                sea_orm::ActiveValue::Set(Some("http://127.0.0.1:9/x.git".to_owned()));
            // One in a hundred due now, the rest spread over the next hour.
            let offset = if n.is_multiple_of(100) {
                -60
            } else {
                i64::try_from(n % 3600).unwrap_or(0) + 1
            };
            row.next_sync_at =
                sea_orm::ActiveValue::Set(Some(now + chrono::Duration::seconds(offset)));
            row
        });
        repository::Entity::insert_many(rows)
            .exec(db)
            .await
            .expect("seeding insert");
        made += take;
    }
}
