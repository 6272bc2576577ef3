//! Git LFS: objects stored content-addressed on disk ([`store`]), shared by the LFS server
//! every repository speaks and by the mirrors that carry LFS objects.

pub mod client;
pub mod store;
