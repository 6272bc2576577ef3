//! One process at a time brings the schema up to date: several may start on one database at
//! once (a rolling deploy, `admin` typed while `serve` starts), and the others wait for it.
//! PostgreSQL: a session advisory lock on a connection of its own. SQLite: an exclusive lock
//! on a file beside the database, which the system drops when the process ends, however it ends.

use std::{
    fs::{File, TryLockError},
    path::PathBuf,
    str::FromStr,
};

use anyhow::Context;
use sea_orm::sqlx::{
    self, Connection,
    postgres::{PgConnectOptions, PgConnection},
    sqlite::SqliteConnectOptions,
};

/// The advisory lock's key on PostgreSQL: the bytes of "mirrorfg", ours alone.
const ADVISORY_KEY: i64 = 0x6d69_7272_6f72_6667;

/// The lock, held until [`MigrationLock::release`] or until dropped.
#[derive(Debug)]
pub(super) enum MigrationLock {
    /// A PostgreSQL session holding the advisory lock.
    Postgres(PgConnection),
    /// The open lock file beside the SQLite database, locked.
    SqliteFile(File),
    /// A database no other process can open (SQLite in memory).
    Alone,
}

impl MigrationLock {
    /// Takes the lock for the database at `database_url`, waiting as long as another process
    /// holds it (and saying so in the log).
    ///
    /// # Errors
    /// PostgreSQL cannot be reached, or the lock file cannot be opened or locked.
    pub(super) async fn take(database_url: &str) -> anyhow::Result<Self> {
        if database_url.starts_with("sqlite:") {
            match lock_file_path(database_url)? {
                Some(path) => Self::lock_file(path).await,
                None => Ok(Self::Alone),
            }
        } else {
            Self::advisory(database_url).await
        }
    }

    /// Ends the lock: the next waiting process may migrate (it then finds nothing to do).
    pub(super) async fn release(self) {
        match self {
            Self::Postgres(mut conn) => {
                let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(ADVISORY_KEY)
                    .execute(&mut conn)
                    .await;
                if let Err(e) = unlocked {
                    tracing::warn!(error = %e, "could not release the migration lock; closing its session does");
                }
                // The lock also ends with the session, so a failed unlock changes nothing.
                let _ = conn.close().await;
            }
            Self::SqliteFile(file) => {
                if let Err(e) = file.unlock() {
                    tracing::warn!(error = %e, "could not release the migration lock; closing its file does");
                }
            }
            Self::Alone => {}
        }
    }

    /// `pg_advisory_lock` on a connection of its own, held until released.
    async fn advisory(database_url: &str) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(database_url)
            .context("cannot read DATABASE_URL for the migration lock")?;
        let mut conn = PgConnection::connect_with(&options)
            .await
            .context("cannot open the database for the migration lock")?;
        let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(ADVISORY_KEY)
            .fetch_one(&mut conn)
            .await
            .context("cannot take the migration lock")?;
        if !taken {
            tracing::info!("another process is migrating the database; waiting for it");
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(ADVISORY_KEY)
                .execute(&mut conn)
                .await
                .context("cannot take the migration lock")?;
        }
        Ok(Self::Postgres(conn))
    }

    /// An exclusive lock (flock) on the file at `path`, created if missing.
    async fn lock_file(path: PathBuf) -> anyhow::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the migration lock {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => return Ok(Self::SqliteFile(file)),
            Err(TryLockError::WouldBlock) => {
                tracing::info!(lock = %path.display(), "another process is migrating the database; waiting for it");
            }
            Err(TryLockError::Error(e)) => {
                return Err(e)
                    .with_context(|| format!("cannot take the migration lock {}", path.display()));
            }
        }
        let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await?
            .with_context(|| format!("cannot take the migration lock {}", path.display()))?;
        Ok(Self::SqliteFile(file))
    }
}

/// `DATABASE_FILE.lock` for a SQLite file; `None` for a database in memory.
fn lock_file_path(database_url: &str) -> anyhow::Result<Option<PathBuf>> {
    if database_url.contains(":memory:") || database_url.contains("mode=memory") {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(database_url)
        .context("cannot read DATABASE_URL for the migration lock")?;
    let mut path = options.get_filename().as_os_str().to_owned();
    path.push(".lock");
    Ok(Some(PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_lies_beside_the_sqlite_file() {
        assert_eq!(
            lock_file_path("sqlite:///srv/data/mirrorforge.db?mode=rwc").unwrap(),
            Some(PathBuf::from("/srv/data/mirrorforge.db.lock"))
        );
        assert_eq!(
            lock_file_path("sqlite://./data/mirrorforge.db?mode=rwc").unwrap(),
            Some(PathBuf::from("./data/mirrorforge.db.lock"))
        );
        assert_eq!(lock_file_path("sqlite::memory:").unwrap(), None);
    }
}
