//! All git I/O: repositories on disk, browsing them, and serving the smart HTTP protocol.

pub mod attributes;
pub mod browse;
pub mod maintenance;
pub mod mirror;
pub mod serve;
pub mod storage;
pub mod wildmatch;
