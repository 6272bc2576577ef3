//! The `ssh_host_keys` table: the SSH host keys a repository's mirrors trust.

use sea_orm::entity::prelude::*;

/// One pinned host key of a repository: one per host and key type.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ssh_host_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repository_id: i64,
    /// `name`, or `[name]:port` off port 22 (as in `known_hosts`).
    pub host: String,
    /// The key's algorithm name, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// `SHA256:` and the unpadded base64 of the SHA-256 of the key blob.
    pub fingerprint_sha256: String,
    /// When it was first seen (and trusted).
    pub created_at: ChronoDateTimeUtc,
}

/// A host key belongs to its repository.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The repository whose mirrors trust it.
    #[sea_orm(
        belongs_to = "super::repository::Entity",
        from = "Column::RepositoryId",
        to = "super::repository::Column::Id",
        on_delete = "Cascade"
    )]
    Repository,
}

impl Related<super::repository::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Repository.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
