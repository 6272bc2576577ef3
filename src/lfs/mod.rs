//! Git LFS: objects stored content-addressed on disk ([`store`]) and which repository references
//! which ([`refs`]); the LFS server every repository speaks: the batch API ([`batch`]) and the
//! transfers of single objects ([`transfer`]); and a remote's LFS server as a mirror uses it
//! ([`client`]), reached over SSH through what `git-lfs-authenticate` answers ([`ssh_access`]).

pub mod batch;
pub mod client;
pub mod refs;
pub mod ssh_access;
pub mod store;
pub mod transfer;
