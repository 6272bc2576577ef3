//! Sentences a user can act on when a mirror cannot work: an SSH URL, a local address, a
//! plain web server instead of a git server, a repository that is not there or not shared.

use axum::Router;
use serde_json::json;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;

use crate::support::{
    Db, Git, TestServer,
    mirror::{import_body, local_server, seed, settle},
    on_both_databases,
};

on_both_databases!(
    ssh_and_local_urls_are_refused_with_what_to_do,
    a_dumb_http_remote_and_an_unknown_repository_say_so,
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
