//! Shared pieces of the integration tests: the server, the databases, git, HTML forms, a
//! browser over HTTP, mirrors.

pub mod browser;
pub mod db;
pub mod forge_standin;
pub mod gateway;
pub mod git;
pub mod git_backend;
pub mod html;
pub mod lfs;
pub mod lfs_standin;
pub mod mirror;
pub mod pack_damage;
pub mod process;
pub mod server;
pub mod sinks;
pub mod sshd;
pub mod stall;
pub mod tls_front;
pub mod web;

pub use db::Db;

/// Hex HMAC-SHA256 of `body` keyed with `secret`: how a forge signs a webhook, and how our
/// notifications are signed (computed here on its own, not with the server's code).
pub fn hmac_sha256_hex(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
pub use git::Git;
pub use server::{Resp, TestServer, TestUser};

/// A port on 127.0.0.1 nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

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
