//! Regression tests for the holes an attacker found in mirroring (issue 7): redirects that
//! would lead a transfer past the egress, credentials that would follow a changed URL, a
//! scheduler that synced the same mirror twice, one owner starving the others.

use serde_json::json;

use crate::{
    mirror::{import_body, patch, seed, settle, start, sync_now},
    support::{
        Db, Git,
        git_backend::{CountingListener, GitBackend, refs_of},
        on_both_databases,
    },
};

on_both_databases!(a_redirect_only_the_transfer_sees_reaches_nothing_and_fails_the_sync,);

/// A remote that serves a preflight (`git/2.0 (mirrorforge)`) and redirects every other client
/// (libgit2) to another port on the same host: nothing may arrive there, for fetch and push.
async fn a_redirect_only_the_transfer_sees_reaches_nothing_and_fails_the_sync(db: Db) {
    let (s, owner) = start(&db).await;
    let listener = CountingListener::start().await;
    let target = format!("http://127.0.0.1:{}", listener.addr.port());
    let remote = GitBackend::redirecting_unless("mirrorforge", &target).await;
    let git = Git::new();
    remote.create("src").await;
    seed(&git, remote.path("src").to_str().unwrap()).await;

    import_body(
        &s,
        &owner,
        json!({ "name": "pulled", "clone_url": remote.url("src"), "mirror": true }),
    )
    .await
    .expect(201);
    let status = settle(&s, &owner, "pulled").await;
    let error = status["sync_error"].as_str().unwrap_or_default();
    assert_eq!(listener.accepted(), 0, "the fetch reached {target}");
    assert_eq!(status["sync_status"], "failed", "{status}");
    assert!(
        error.contains(&format!("the remote redirected to {target}/src.git"))
            && error.contains("update the URL"),
        "{error}"
    );
    assert_eq!(refs_of(&s.repo_dir("owner", "pulled")).await, "");

    // A push is led the same way.
    s.create_repo(&owner, "pushed", false).await;
    let work = git.init("work").await;
    git.commit_file(&work, "a.txt", "a\n", "a").await;
    let push_url = s.git_url(Some(("owner", &owner.token)), "owner", "pushed");
    git.ok(&work, &["push", "-q", &push_url, "main"]).await;
    patch(
        &s,
        &owner,
        "pushed",
        json!({
            "mirror_enabled": true, "mirror_direction": "downstream",
            "downstream_url": remote.url("src")
        }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "pushed").await.expect(202);
    let status = settle(&s, &owner, "pushed").await;
    let error = status["sync_error"].as_str().unwrap_or_default();
    assert_eq!(listener.accepted(), 0, "the push reached {target}");
    assert_eq!(status["sync_status"], "failed", "{status}");
    assert!(
        error.contains(&format!("the remote redirected to {target}/src.git")),
        "{error}"
    );
}
