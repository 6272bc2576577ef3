//! Git LFS: objects stored content-addressed on disk ([`store`]) and which repository references
//! which ([`refs`]); the LFS server every repository speaks: the batch API ([`batch`]) and the
//! transfers of single objects ([`transfer`]). Shared with the mirrors that carry LFS objects.

pub mod batch;
pub mod refs;
pub mod store;
pub mod transfer;
