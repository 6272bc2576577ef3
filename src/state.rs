//! Shared application state handed to every handler: the services, built once at start-up.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    accounts::known::KnownAccounts,
    auth::throttle::LoginThrottle,
    config::Config,
    git::serve::GitProcesses,
    lfs::store::LfsStore,
    metrics::Metrics,
    mirror::{
        account_mirrors::discover::Discoverer, engine::Engine, import::Importer, secrets::SecretBox,
    },
    repos::lookups::RepoLookups,
};

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    /// Validated configuration.
    pub config: Arc<Config>,
    /// Database pool (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// Seals and opens stored mirror credentials.
    pub secrets: SecretBox,
    /// The mirror sync engine.
    pub engine: Arc<Engine>,
    /// The `git` processes serving smart HTTP.
    pub git: Arc<GitProcesses>,
    /// Counts wrong passwords per account and client address.
    pub throttle: Arc<LoginThrottle>,
    /// Which user a token or an id stands for, remembered for a few seconds.
    pub accounts: Arc<KnownAccounts>,
    /// Repository lookups, one query for all who ask for the same one at once.
    pub repos: Arc<RepoLookups>,
    /// This server's Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The Git LFS objects on disk.
    pub lfs: Arc<LfsStore>,
    /// Account mirrors' discoveries.
    pub discoverer: Discoverer,
}

impl AppState {
    /// The import service on this state's database, configuration, secrets and engine.
    #[must_use]
    pub fn importer(&self) -> Importer<'_> {
        Importer {
            db: &self.db,
            config: &self.config,
            secrets: &self.secrets,
            engine: &self.engine,
        }
    }
}
