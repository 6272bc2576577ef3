//! Which repository references which LFS object. The content is stored once on disk
//! ([`LfsStore`]); a repository may hand out only the objects it references, and an object goes
//! from the disk when the last repository referencing it does.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

use super::store::{LfsStore, Oid};
use crate::{
    entities::lfs_object,
    error::{Error, Result},
};

/// Records that `repository_id` references `oid` of `size` bytes; already recorded is fine
/// (`ON CONFLICT DO NOTHING`, so two uploads of one object at once both succeed).
///
/// # Errors
/// The database failed (for instance, the repository is gone).
pub async fn link(db: &DatabaseConnection, repository_id: i64, oid: &Oid, size: u64) -> Result<()> {
    link_all(db, repository_id, &[(oid.clone(), size)]).await
}

/// Records that `repository_id` references each of `objects` (oid, size), already recorded
/// or not (`ON CONFLICT DO NOTHING`), in one statement per 500 (one commit, where a row each would be a commit, and a disk flush, each).
///
/// # Errors
/// The database failed.
pub async fn link_all(
    db: &DatabaseConnection,
    repository_id: i64,
    objects: &[(Oid, u64)],
) -> Result<()> {
    let now = Utc::now();
    for slice in objects.chunks(500) {
        let mut rows = Vec::with_capacity(slice.len());
        for (oid, size) in slice {
            rows.push(lfs_object::ActiveModel {
                repository_id: Set(repository_id),
                oid: Set(oid.as_str().to_owned()),
                size: Set(i64::try_from(*size).map_err(Error::internal)?),
                created_at: Set(now),
                ..Default::default()
            });
        }
        lfs_object::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([lfs_object::Column::RepositoryId, lfs_object::Column::Oid])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Forgets that `repository_id` references `oid` (the file stays: see [`unlink_repository`]).
///
/// # Errors
/// The database failed.
pub async fn unlink(db: &DatabaseConnection, repository_id: i64, oid: &Oid) -> Result<()> {
    lfs_object::Entity::delete_many()
        .filter(lfs_object::Column::RepositoryId.eq(repository_id))
        .filter(lfs_object::Column::Oid.eq(oid.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether `repository_id` references `oid`.
///
/// # Errors
/// The database failed.
pub async fn linked(db: &DatabaseConnection, repository_id: i64, oid: &Oid) -> Result<bool> {
    let found = lfs_object::Entity::find()
        .select_only()
        .column(lfs_object::Column::Id)
        .filter(lfs_object::Column::RepositoryId.eq(repository_id))
        .filter(lfs_object::Column::Oid.eq(oid.as_str()))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Which of `oids` `repository_id` references (one query per 500).
///
/// # Errors
/// The database failed.
pub async fn linked_among(
    db: &DatabaseConnection,
    repository_id: i64,
    oids: &[Oid],
) -> Result<HashSet<Oid>> {
    let mut found = HashSet::new();
    for slice in oids.chunks(500) {
        let rows: Vec<String> = lfs_object::Entity::find()
            .select_only()
            .column(lfs_object::Column::Oid)
            .filter(lfs_object::Column::RepositoryId.eq(repository_id))
            .filter(lfs_object::Column::Oid.is_in(slice.iter().map(Oid::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.iter().filter_map(|text| Oid::parse(text).ok()));
    }
    Ok(found)
}

/// Forgets every object `repository_id` references, and removes from `store` each of them that
/// no other repository references. Call it before the repository's row goes (the rows would
/// go with it, and with them the knowledge of which objects were its).
///
/// # Errors
/// The database or the disk failed.
pub async fn unlink_repository(
    db: &DatabaseConnection,
    store: &LfsStore,
    repository_id: i64,
) -> Result<()> {
    let oids: Vec<String> = lfs_object::Entity::find()
        .select_only()
        .column(lfs_object::Column::Oid)
        .filter(lfs_object::Column::RepositoryId.eq(repository_id))
        .into_tuple()
        .all(db)
        .await?;
    lfs_object::Entity::delete_many()
        .filter(lfs_object::Column::RepositoryId.eq(repository_id))
        .exec(db)
        .await?;
    // In slices, so one query never carries more parameters than a database takes.
    for slice in oids.chunks(500) {
        let kept: HashSet<String> = lfs_object::Entity::find()
            .select_only()
            .column(lfs_object::Column::Oid)
            .distinct()
            .filter(lfs_object::Column::Oid.is_in(slice.iter().cloned()))
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for text in slice.iter().filter(|oid| !kept.contains(*oid)) {
            // Only valid oids were ever recorded; anything else has no file to remove.
            if let Ok(oid) = Oid::parse(text) {
                store.remove(&oid).await.map_err(Error::internal)?;
            }
        }
    }
    Ok(())
}
