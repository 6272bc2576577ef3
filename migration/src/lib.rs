//! Database schema of mirrorforge, as append-only migrations (one change per file, named by date).

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_users;
mod m20261125_000002_create_sessions;
mod m20261125_000003_create_access_tokens;
mod m20261125_000004_create_repositories;
mod m20261125_000005_add_mirror_columns;
mod m20261125_000006_create_mirror_runs;
mod m20261125_000007_create_mirror_ref_updates;
mod m20261201_000001_add_users_first_user;
mod m20261201_000002_index_repository_claims;
mod m20261201_000003_unique_token_names;
mod m20261202_000001_create_push_mirrors;
mod m20261202_000002_ref_update_targets;
mod m20261202_000003_add_upstream_ref_filter;
mod m20261202_000004_add_event_columns;
mod m20261202_000005_add_notify_url;
mod m20261202_000006_add_ssh_key;
mod m20261202_000007_create_ssh_host_keys;
mod m20261202_000008_create_lfs_objects;
mod m20261202_000009_add_lfs_mirroring;
mod m20261206_000001_add_part_state;
mod m20261206_000002_lfs_and_notify_credentials;
mod m20261206_000010_pull_protection;
mod m20261206_000011_ref_update_kept;
mod m20261206_000012_run_restores_and_holds_kept;
mod m20261206_000013_ref_maps;
mod m20261206_000014_upstream_depth;
mod m20261206_000015_organisations;
mod m20261206_000016_account_mirrors;
mod m20261207_000017_repository_redirects;
mod m20261207_000018_token_expiry_and_scope;
mod m20261207_000019_disabled_users;
mod m20261207_000020_full_names_and_private_orgs;

/// Runs every migration of the schema in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_users::Migration),
            Box::new(m20261125_000002_create_sessions::Migration),
            Box::new(m20261125_000003_create_access_tokens::Migration),
            Box::new(m20261125_000004_create_repositories::Migration),
            Box::new(m20261125_000005_add_mirror_columns::Migration),
            Box::new(m20261125_000006_create_mirror_runs::Migration),
            Box::new(m20261125_000007_create_mirror_ref_updates::Migration),
            Box::new(m20261201_000001_add_users_first_user::Migration),
            Box::new(m20261201_000002_index_repository_claims::Migration),
            Box::new(m20261201_000003_unique_token_names::Migration),
            Box::new(m20261202_000001_create_push_mirrors::Migration),
            Box::new(m20261202_000002_ref_update_targets::Migration),
            Box::new(m20261202_000003_add_upstream_ref_filter::Migration),
            Box::new(m20261202_000004_add_event_columns::Migration),
            Box::new(m20261202_000005_add_notify_url::Migration),
            Box::new(m20261202_000006_add_ssh_key::Migration),
            Box::new(m20261202_000007_create_ssh_host_keys::Migration),
            Box::new(m20261202_000008_create_lfs_objects::Migration),
            Box::new(m20261202_000009_add_lfs_mirroring::Migration),
            Box::new(m20261206_000001_add_part_state::Migration),
            Box::new(m20261206_000002_lfs_and_notify_credentials::Migration),
            Box::new(m20261206_000010_pull_protection::Migration),
            Box::new(m20261206_000011_ref_update_kept::Migration),
            Box::new(m20261206_000012_run_restores_and_holds_kept::Migration),
            Box::new(m20261206_000013_ref_maps::Migration),
            Box::new(m20261206_000014_upstream_depth::Migration),
            Box::new(m20261206_000015_organisations::Migration),
            Box::new(m20261206_000016_account_mirrors::Migration),
            Box::new(m20261207_000017_repository_redirects::Migration),
            Box::new(m20261207_000018_token_expiry_and_scope::Migration),
            Box::new(m20261207_000019_disabled_users::Migration),
            Box::new(m20261207_000020_full_names_and_private_orgs::Migration),
        ]
    }
}
