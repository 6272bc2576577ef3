//! Sentences a user can act on when a mirror cannot work: an SSH URL, a local address, a
//! plain web server instead of a git server, a repository that is not there or not shared, a
//! host that takes the connection and says nothing.

use std::time::{Duration, Instant};

use axum::Router;
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;

use crate::support::{
    Db, Git, TestServer,
    git_backend::HungRemote,
    mirror::{import_body, local_server, make_ssh_key, patch, seed, settle, sync_now},
    on_both_databases,
};

on_both_databases!(
    ssh_and_local_urls_are_refused_with_what_to_do,
    a_dumb_http_remote_and_an_unknown_repository_say_so,
    a_host_that_takes_the_connection_and_says_nothing_fails_within_the_silence_limit,
);

async fn ssh_and_local_urls_are_refused_with_what_to_do(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    for (url, expected) in [
        ("git@github.com:foo/bar.git", "make its SSH key"),
        ("ssh://git@github.com/foo/bar.git", "make its SSH key"),
        ("http://127.0.0.1/r.git", "MIRRORFORGE_ALLOW_LOCAL_NETWORKS"),
    ] {
        let refused = import_body(
            &s,
            &owner,
            json!({ "name": "r", "clone_url": url, "mirror": true }),
        )
        .await;
        let body = refused.expect_error(422, "validation_failed");
        let message = body["fields"]["clone_url"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{url}: {message}");
    }
}

async fn a_dumb_http_remote_and_an_unknown_repository_say_so(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let owner = s.create_admin("owner").await;
    // A bare repository served by a plain file server: git's "dumb" HTTP.
    let git = Git::new();
    let root = tempfile::tempdir().unwrap();
    let bare = root.path().join("src.git");
    git.ok(
        root.path(),
        &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
    )
    .await;
    seed(&git, bare.to_str().unwrap()).await;
    git.ok(&bare, &["update-server-info"]).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let files = listener.local_addr().unwrap();
    let app = Router::new().fallback_service(ServeDir::new(root.path()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    import_body(
        &s,
        &owner,
        json!({ "name": "dumb", "clone_url": format!("http://{files}/src.git"), "mirror": true }),
    )
    .await
    .expect(201);
    let error = settle(&s, &owner, "dumb").await["sync_error"].clone();
    assert!(
        error
            .as_str()
            .is_some_and(|e| e.contains("does not speak git's smart HTTP protocol")),
        "{error}"
    );

    // One of our own repositories that does not exist (or is not shared): without
    // credentials the server asks for some, which says nothing about which it is.
    import_body(
        &s,
        &owner,
        json!({ "name": "ghost", "clone_url": s.git_url(None, "owner", "nothing-here"), "mirror": true }),
    )
    .await
    .expect(201);
    let error = settle(&s, &owner, "ghost").await["sync_error"].clone();
    assert!(
        error
            .as_str()
            .is_some_and(|e| e.contains("not found or no access")),
        "{error}"
    );
}

/// A host that takes the connection and then says nothing (no SSH banner, no HTTP answer)
/// fails the run once the silence limit has passed, with a sentence saying so, however long
/// the sync timeout is: a mirror is not held for the hour.
async fn a_host_that_takes_the_connection_and_says_nothing_fails_within_the_silence_limit(db: Db) {
    let s = local_server(&db, |c| {
        c.sync_timeout = 600;
        c.remote_silence_limit = Duration::from_secs(2);
    })
    .await;
    let owner = s.create_admin("owner").await;
    let hung = HungRemote::start().await;
    let ssh_url = format!("ssh://git@127.0.0.1:{}/r.git", hung.addr.port());
    for (repo, url, said) in [
        (
            "over-http",
            hung.url(),
            "the connection opened but the remote did not answer within 2 s",
        ),
        (
            "over-ssh",
            ssh_url,
            "the connection opened but the SSH handshake and sign-in did not finish within 2 s",
        ),
    ] {
        s.create_repo(&owner, repo, false).await;
        make_ssh_key(&s, &owner, repo).await;
        patch(
            &s,
            &owner,
            repo,
            json!({"mirror_enabled": true, "mirror_direction": "upstream", "upstream_url": url}),
        )
        .await
        .expect(200);
        let started = Instant::now();
        sync_now(&s, &owner, repo).await.expect(202);
        let status = settle(&s, &owner, repo).await;
        let took = started.elapsed();
        assert_eq!(status["sync_status"], "failed", "{repo}: {status}");
        let error = status["sync_error"].as_str().unwrap_or_default();
        assert!(error.contains(said), "{repo}: {error}");
        assert!(took < Duration::from_secs(20), "{repo}: took {took:?}");
    }
}
