//! Opening the database and bringing its schema up to date.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::Config;

/// Connects to the configured database, creating the data directory for SQLite first.
///
/// # Errors
/// The data directory cannot be created or the database cannot be reached.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    std::fs::create_dir_all(&config.data_dir)?;
    let mut options = ConnectOptions::new(config.database_url.clone());
    options.sqlx_logging(false);
    // A ping before every query doubled its cost; a connection idle for a while is still
    // checked before use.
    options.test_before_acquire_if_idle_for(std::time::Duration::from_secs(30));
    if config.database_url.starts_with("sqlite:") {
        // One writer at a time is SQLite's rule; a small pool avoids lock storms.
        options
            .max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(std::time::Duration::from_secs(10))
                    .foreign_keys(true)
            });
    } else {
        options.max_connections(20);
    }
    let db = Database::connect(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    Ok(db)
}

/// Applies pending migrations.
///
/// # Errors
/// A migration failed.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Whether `err` is a unique constraint refusing a second row with the same key (a taken name,
/// a colliding id): the one database error that is the caller's, not the server's.
#[must_use]
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
