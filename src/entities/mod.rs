//! sea-orm entities, one file per table.

pub mod access_token;
pub mod account_mirror;
pub mod lfs_object;
pub mod mirror_enums;
pub mod mirror_ref_update;
pub mod mirror_run;
pub mod org_member;
pub mod push_mirror;
pub mod repository;
pub mod repository_redirect;
pub mod session;
pub mod ssh_host_key;
pub mod user;
