//! Git LFS: objects stored content-addressed on disk ([`store`]) and which repository links to
//! which ([`links`]); the LFS server every repository speaks: the batch API ([`batch`]) and the
//! reads and writes of single objects ([`object_io`]); and a remote's LFS server as a mirror
//! uses it ([`client`]), reached over SSH through what `git-lfs-authenticate` answers
//! ([`ssh_access`]).

pub mod batch;
pub mod client;
pub mod links;
pub mod object_io;
pub mod ssh_access;
pub mod store;
