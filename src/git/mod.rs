//! All git I/O: repositories on disk, browsing them, serving the smart HTTP protocol, and
//! the libgit2 fetch and push of mirror transfers ([`fetch_push`]).

pub mod attributes;
pub mod browse;
pub mod fetch_push;
pub mod heads;
pub mod kept;
pub mod maintenance;
pub mod serve;
pub mod stale_locks;
pub mod storage;
#[cfg(test)]
pub(crate) mod test_repo;
pub mod wildmatch;
