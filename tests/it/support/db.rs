//! The two databases every test runs against: a temp SQLite file, and a fresh PostgreSQL
//! database per test on 127.0.0.1:5432 (created from the `test` database, dropped afterwards).

use std::{future::Future, io::Write, panic::AssertUnwindSafe, path::Path, time::Duration};

use futures_util::FutureExt;
use rand::Rng;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// Where PostgreSQL is expected; the roles are tried in order (both use trust auth here).
const PG_HOST: &str = "127.0.0.1:5432";
const PG_ROLES: &[&str] = &["postgres", "root"];

/// Which database a test's server uses.
#[derive(Debug, Clone)]
pub enum Db {
    /// `DATA_DIR/mirrorforge.db`, the default.
    Sqlite,
    /// A database of its own on the local PostgreSQL server.
    Postgres {
        /// `postgres://ROLE@127.0.0.1:5432/mf_test_…`
        url: String,
    },
}

impl Db {
    /// The `DATABASE_URL` for a server whose data directory is `data_dir`.
    pub fn database_url(&self, data_dir: &Path) -> String {
        match self {
            Self::Sqlite => format!("sqlite://{}/mirrorforge.db?mode=rwc", data_dir.display()),
            Self::Postgres { url } => url.clone(),
        }
    }
}

/// A database of `db`'s kind in a new data directory, migrated up to (not including) the
/// migration `name`: an instance as it was before that change, to upgrade in a test.
pub async fn migrated_before(db: &Db, name: &str) -> (tempfile::TempDir, DatabaseConnection) {
    use migration::MigratorTrait;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = mirrorforge::config::Config::for_data_dir(dir.path().to_path_buf());
    config.database_url = db.database_url(dir.path());
    let conn = mirrorforge::db::connect(&config).await.expect("connect");
    let before = migration::Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    migration::Migrator::up(&conn, Some(u32::try_from(before).expect("few migrations")))
        .await
        .expect("older migrations");
    (dir, conn)
}

/// Applies the migrations after `migrated_before`'s and answers a new pool, as the server's
/// `db::open` does: the pool that migrated may keep connections (and their statement caches)
/// from before a table changed, and an insert on one of them misses the new columns.
pub async fn migrate_rest(
    db: &Db,
    dir: &tempfile::TempDir,
    conn: DatabaseConnection,
) -> DatabaseConnection {
    use migration::MigratorTrait;
    migration::Migrator::up(&conn, None)
        .await
        .expect("the newer migrations");
    let _ = conn.close().await;
    let mut config = mirrorforge::config::Config::for_data_dir(dir.path().to_path_buf());
    config.database_url = db.database_url(dir.path());
    mirrorforge::db::connect(&config).await.expect("reconnect")
}

/// Runs a test against SQLite.
pub async fn with_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    test(Db::Sqlite).await;
}

/// Runs a test against a fresh PostgreSQL database, dropped afterwards even if the test panics.
/// Without PostgreSQL the test fails when `CI` is set, and is skipped loudly otherwise.
pub async fn with_postgres<F, Fut>(test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(admin_url) = admin_url().await else {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty());
        assert!(
            !ci,
            "PostgreSQL not reachable at {PG_HOST} and CI is set: the postgres tests must run"
        );
        // Straight to the process's stderr: the test harness captures eprintln!.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!!!! WARNING: PostgreSQL not reachable at {PG_HOST} — postgres tests SKIPPED !!!!!!!!!!\n"
        );
        return;
    };
    let suffix: u64 = rand::rng().random();
    let name = format!("mf_test_{suffix:016x}");
    let admin = connect(&admin_url)
        .await
        .expect("PostgreSQL answered a moment ago");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("CREATE DATABASE");
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .expect("the admin URL names a database");
    let url = format!("{base}/{name}");

    let outcome = AssertUnwindSafe(test(Db::Postgres { url }))
        .catch_unwind()
        .await;

    // Best effort: a leftover database is only clutter, never a reason to fail the test.
    if let Err(e) = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
    {
        eprintln!("warning: could not drop test database {name}: {e}");
    }
    let _ = admin.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The URL of the `test` database for the first role that can connect, found once per process.
/// `MIRRORFORGE_TEST_POSTGRES_URL` overrides the search.
async fn admin_url() -> Option<String> {
    static FOUND: tokio::sync::OnceCell<Option<String>> = tokio::sync::OnceCell::const_new();
    FOUND
        .get_or_init(|| async {
            let candidates: Vec<String> = match std::env::var("MIRRORFORGE_TEST_POSTGRES_URL") {
                Ok(url) if !url.is_empty() => vec![url],
                _ => PG_ROLES
                    .iter()
                    .map(|role| format!("postgres://{role}@{PG_HOST}/test"))
                    .collect(),
            };
            for url in candidates {
                let Ok(conn) = connect(&url).await else {
                    continue;
                };
                let works = conn.execute_unprepared("SELECT 1").await.is_ok();
                let _ = conn.close().await;
                if works {
                    return Some(url);
                }
            }
            None
        })
        .await
        .clone()
}

async fn connect(url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await
}
