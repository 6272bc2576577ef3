//! Shared application state handed to every handler.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::throttle::LoginThrottle, config::Config, git::serve::GitProcesses, mirror::engine::Engine,
};

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    /// Validated configuration.
    pub config: Arc<Config>,
    /// Database pool (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// The mirror sync engine.
    pub engine: Arc<Engine>,
    /// The `git` processes serving smart HTTP.
    pub git: Arc<GitProcesses>,
    /// Counts wrong passwords per account and client address.
    pub throttle: Arc<LoginThrottle>,
}
