//! Shared pieces of the integration tests: the server, the databases, git, HTML forms, a
//! browser over HTTP, mirrors.

pub mod browser;
pub mod db;
pub mod gateway;
pub mod git;
pub mod git_backend;
pub mod html;
pub mod mirror;
pub mod process;
pub mod server;
pub mod sinks;
pub mod stall;
pub mod tls_front;
pub mod web;

pub use db::Db;
pub use git::Git;
pub use server::{Resp, TestServer, TestUser};

/// For each `async fn NAME(db: Db)` named, generates the tests `sqlite::NAME` and
/// `postgres::NAME`; attributes written before a name (such as `#[ignore = "…"]`) go on both.
macro_rules! on_both_databases {
    ($( $(#[$meta:meta])* $name:ident ),+ $(,)?) => {
        mod sqlite {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::support::db::with_sqlite(super::$name).await;
                }
            )+
        }
        mod postgres {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::support::db::with_postgres(super::$name).await;
                }
            )+
        }
    };
}
pub(crate) use on_both_databases;
