//! A repository's pinned SSH host keys (trust on first use): read before an SSH connection is
//! judged, recorded after the first one to a host or pinned by hand by the owner (then checked
//! from the first connection), forgotten on the owner's request so the next key seen is
//! trusted again. Judging a presented key is `net::ssh_host_key`'s.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

use crate::{entities::ssh_host_key, error::Result, net::ssh_host_key::HostKey};

/// The host keys pinned for `repository_id`, ordered by host, then key type.
///
/// # Errors
/// The database failed.
pub async fn pinned(db: &DatabaseConnection, repository_id: i64) -> Result<Vec<HostKey>> {
    let rows = ssh_host_key::Entity::find()
        .filter(ssh_host_key::Column::RepositoryId.eq(repository_id))
        .order_by_asc(ssh_host_key::Column::Host)
        .order_by_asc(ssh_host_key::Column::KeyType)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| HostKey {
            host: row.host,
            key_type: row.key_type,
            fingerprint_sha256: row.fingerprint_sha256,
        })
        .collect())
}

/// Pins each of `keys` for `repository_id` whose host and key type have no pin yet. A pin is
/// never overwritten (trust on first use: a changed key is refused, not recorded), and two
/// syncs pinning at once both succeed, the first insert winning (`ON CONFLICT DO NOTHING` on
/// the unique repository, host and key type).
///
/// # Errors
/// The database failed (for instance, the repository is gone).
pub async fn pin(db: &impl ConnectionTrait, repository_id: i64, keys: &[HostKey]) -> Result<()> {
    let now = Utc::now();
    let rows = keys.iter().map(|key| ssh_host_key::ActiveModel {
        repository_id: Set(repository_id),
        host: Set(key.host.clone()),
        key_type: Set(key.key_type.clone()),
        fingerprint_sha256: Set(key.fingerprint_sha256.clone()),
        created_at: Set(now),
        ..Default::default()
    });
    // Nothing to insert, or every key pinned already: both are fine.
    ssh_host_key::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            ssh_host_key::Column::RepositoryId,
            ssh_host_key::Column::Host,
            ssh_host_key::Column::KeyType,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Forgets every host key pinned for `repository_id`, so the next key each host presents is
/// trusted; returns how many were forgotten.
///
/// # Errors
/// The database failed.
pub async fn forget(db: &DatabaseConnection, repository_id: i64) -> Result<u64> {
    let deleted = ssh_host_key::Entity::delete_many()
        .filter(ssh_host_key::Column::RepositoryId.eq(repository_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// What pinning by hand did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByHand {
    /// The keys are pinned now (some may have been pinned already).
    Pinned,
    /// Nothing was stored: these pins hold another key for a host and type being pinned, and
    /// replacing them was not asked for.
    Conflicts(Vec<HostKey>),
}

/// Pins `keys` for `repository_id` by the owner's hand. A pin that holds another key for the
/// same host and key type is replaced only when `replace` is set; otherwise nothing at all is
/// stored and the conflicting pins are returned. A new key type for a pinned host is pinned
/// beside the others.
///
/// # Errors
/// The database failed.
pub async fn pin_by_hand(
    db: &DatabaseConnection,
    repository_id: i64,
    keys: &[HostKey],
    replace: bool,
) -> Result<ByHand> {
    let txn = db.begin().await?;
    let rows = ssh_host_key::Entity::find()
        .filter(ssh_host_key::Column::RepositoryId.eq(repository_id))
        .all(&txn)
        .await?;
    let conflicts: Vec<&ssh_host_key::Model> = rows
        .iter()
        .filter(|row| {
            keys.iter().any(|k| {
                k.host == row.host
                    && k.key_type == row.key_type
                    && k.fingerprint_sha256 != row.fingerprint_sha256
            })
        })
        .collect();
    if !conflicts.is_empty() && !replace {
        return Ok(ByHand::Conflicts(
            conflicts
                .into_iter()
                .map(|row| HostKey {
                    host: row.host.clone(),
                    key_type: row.key_type.clone(),
                    fingerprint_sha256: row.fingerprint_sha256.clone(),
                })
                .collect(),
        ));
    }
    if !conflicts.is_empty() {
        ssh_host_key::Entity::delete_many()
            .filter(ssh_host_key::Column::Id.is_in(conflicts.iter().map(|row| row.id)))
            .exec(&txn)
            .await?;
    }
    pin(&txn, repository_id, keys).await?;
    txn.commit().await?;
    Ok(ByHand::Pinned)
}
