//! A repository whose only push mirror is switched off says so: the sync and the settings page
//! speak of a disabled push mirror, never of one that is not set.

use serde_json::json;

use crate::support::{
    Db, Git, TestServer,
    git_backend::GitBackend,
    mirror::{call, local_server, patch, settle, sync_now},
    on_both_databases,
    web::{get, logged_in_as},
};

on_both_databases!(a_disabled_push_mirror_is_called_disabled_not_missing);

async fn a_disabled_push_mirror_is_called_disabled_not_missing(db: Db) {
    let s: TestServer = local_server(&db, |_| {}).await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "app", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    git.commit_file(&work, "a.txt", "a\n", "one").await;
    let url = s.git_url(Some(("alice", &alice.token)), "alice", "app");
    git.ok(&work, &["push", "-q", &url, "main"]).await;
    let remote = GitBackend::start().await;
    remote.create("backup").await;

    let list = "/api/v1/repos/alice/app/push_mirrors";
    let added = call(
        &s,
        "POST",
        list,
        &alice,
        Some(json!({ "remote_url": remote.url("backup") })),
    )
    .await;
    added.expect(201);
    let id = added.json()["id"].as_i64().unwrap();
    patch(
        &s,
        &alice,
        "app",
        json!({ "mirror_enabled": true, "mirror_direction": "downstream" }),
    )
    .await
    .expect(200);
    call(
        &s,
        "PATCH",
        &format!("{list}/{id}"),
        &alice,
        Some(json!({ "enabled": false })),
    )
    .await
    .expect(200);

    sync_now(&s, &alice, "app").await.expect(202);
    let status = settle(&s, &alice, "app").await;
    let error = status["sync_error"].as_str().unwrap_or_default();
    assert!(
        !error.contains("no push mirror is set"),
        "the push mirror exists: {status}"
    );
    assert!(error.contains("disabled"), "{status}");

    let browser = logged_in_as(&s, &alice).await;
    let page = get(&s, &browser, "/alice/app/settings/mirror").await;
    page.expect(200);
    assert!(
        !page.body.contains("no push mirror is set"),
        "the push mirror exists:\n{}",
        page.body
    );
    assert!(
        page.body.contains("the push mirror is disabled"),
        "the page says it is off:\n{}",
        page.body
    );
}
