//! Opening the database and bringing its schema up to date; what queries share (`LIKE`
//! patterns with their wildcards escaped).

mod migration_lock;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    Condition, ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Config;
use migration_lock::MigrationLock;

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
                    // SQLite leaves the unused part of a new page as the heap left it, and
                    // writes it to the WAL and the file: bytes a freed buffer held (a copy of
                    // a mirror's SSH key that libssh2 was handed, say) reached the disk.
                    // `FAST` zeroes new pages and deleted cells without extra I/O.
                    .pragma("secure_delete", "FAST")
            });
    } else {
        options.max_connections(20);
    }
    let db = Database::connect(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    Ok(db)
}

/// Connects (as [`connect`]) and applies pending migrations, one process at a time: a process
/// starting while another migrates the same database waits for it, then finds nothing to do.
///
/// # Errors
/// The database cannot be opened, the lock cannot be taken, or a migration failed.
pub async fn open(config: &Config) -> anyhow::Result<DatabaseConnection> {
    // The lock file of SQLite lies in the data directory by default.
    std::fs::create_dir_all(&config.data_dir)?;
    // Taken before connecting: the first connection to a new SQLite file turns on WAL, which
    // cannot wait for another process's lock.
    let lock = MigrationLock::take(&config.database_url).await?;
    let migrating = connect(config).await?;
    Migrator::up(&migrating, None).await?;
    // The pool that served the migration may hold connections (and their statement caches)
    // from before a table changed; the process works with connections opened after.
    let _ = migrating.close().await;
    lock.release().await;
    connect(config).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), waiting for another writer like any write does; a transaction that
/// read first would instead fail at its first write (`database is locked`) whenever another
/// connection wrote meanwhile. Elsewhere a plain `BEGIN`.
///
/// # Errors
/// The database failed, or another writer held SQLite's lock for the whole busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
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

/// `text` for a `LIKE` pattern: `\`, `%` and `_` match themselves (escape `\`).
#[must_use]
pub fn like_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A `LIKE … ESCAPE '\'` condition on `column` (lowercase) for `pattern` (escaped already).
#[must_use]
pub fn like(column: impl sea_orm::sea_query::IntoColumnRef, pattern: String) -> Condition {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    Condition::all().add(Expr::col(column).like(LikeExpr::new(pattern).escape('\\')))
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;

    #[tokio::test]
    async fn sqlite_zeroes_what_it_writes_beside_the_rows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::for_data_dir(dir.path().to_path_buf());
        let db = connect(&config).await.expect("connect");
        for _ in 0..3 {
            // Every connection of the pool, not only the first.
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "PRAGMA secure_delete",
                ))
                .await
                .expect("pragma")
                .expect("a row");
            let mode: i32 = row.try_get_by_index(0).expect("a number");
            assert_eq!(mode, 2, "secure_delete=FAST");
        }
    }
}
