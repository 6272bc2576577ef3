//! Git LFS: objects stored content-addressed on disk ([`store`]) and which repository references
//! which ([`refs`]), shared by the LFS server every repository speaks and by the mirrors that
//! carry LFS objects.

pub mod refs;
pub mod store;
