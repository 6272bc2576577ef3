//! The push mirrors on the mirror settings page, over plain HTTP as a browser without
//! JavaScript sends them: added, shown with what a sync does there, refused with the field
//! named and what was typed kept, edited, pushed to on its own, removed; and the links and
//! words every repository page gives about its mirroring.

use reqwest::Client;
use serde_json::json;

use crate::support::{
    Db, Git, Resp, TestServer,
    git_backend::{GitBackend, refs_of},
    html::input_value,
    mirror::{call, local_server, patch, settle},
    on_both_databases,
    web::{get, logged_in_as},
};

on_both_databases!(
    push_mirrors_are_managed_on_the_settings_page_without_javascript,
    repository_pages_link_the_mirror_settings_and_name_the_upstream,
);

/// Posts `form` (with the page's CSRF token) to `path` in `browser`.
async fn post_form(
    s: &TestServer,
    browser: &Client,
    page: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Resp {
    let shown = get(s, browser, page).await;
    shown.expect(200);
    let token = input_value(&shown.body, "csrf_token").expect("a CSRF token");
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend_from_slice(form);
    s.send(browser.post(s.url(path)).form(&fields)).await
}

async fn push_mirrors_are_managed_on_the_settings_page_without_javascript(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "app", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    git.commit_file(&work, "a.txt", "a\n", "one").await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            &s.git_url(Some(("alice", &alice.token)), "alice", "app"),
            "main",
        ],
    )
    .await;
    let remote = GitBackend::with_auth("carol", "web-Pw-42").await;
    s.forbid_in_answers("web-Pw-42");
    let backup = remote.create("backup").await;
    let browser = logged_in_as(&s, &alice).await;
    // The push mirrors' section: listed there, and its form posts to the same URL.
    let page = "/alice/app/settings/mirror/push";
    let add = "/alice/app/settings/mirror/push";

    // A bad URL and a bad filter: named next to their fields, the rest kept, nothing saved.
    let refused = post_form(
        &s,
        &browser,
        page,
        add,
        &[
            ("remote_url", "ftp://127.0.0.1/x.git"),
            ("remote_username", "carol"),
            ("remote_password", "web-Pw-42"),
            ("ref_filter", "heads/main"),
        ],
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="remote_url-error""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"id="ref_filter-error""#));
    assert!(
        refused.body.contains(r#"value="carol""#),
        "the username typed is kept"
    );
    assert!(refused.body.contains("heads/main</textarea>"));
    assert_eq!(
        call(
            &s,
            "GET",
            "/api/v1/repos/alice/app/push_mirrors",
            &alice,
            None
        )
        .await
        .json(),
        json!([])
    );

    // Added: back on the settings page, listed with what a sync does there.
    let added = post_form(
        &s,
        &browser,
        page,
        add,
        &[
            ("remote_url", &remote.url("backup")),
            ("remote_username", "carol"),
            ("remote_password", "web-Pw-42"),
            ("enabled", "on"),
        ],
    )
    .await;
    assert_eq!(added.status.as_u16(), 303, "{}", added.body);
    assert_eq!(added.header("location"), Some(page), "back to the section");
    let listed = get(&s, &browser, page).await;
    assert!(
        listed.body.contains(&remote.url("backup")),
        "{}",
        listed.body
    );
    assert!(listed.body.contains("Not pushed yet"));
    assert!(
        listed.body.contains("deletes there what was deleted here"),
        "the plain words"
    );
    let id = call(
        &s,
        "GET",
        "/api/v1/repos/alice/app/push_mirrors",
        &alice,
        None,
    )
    .await
    .json()[0]["id"]
        .as_i64()
        .unwrap();

    // Its own "Sync now" pushes to it (with mirroring on), and the list shows the result.
    patch(
        &s,
        &alice,
        "app",
        json!({ "mirror_enabled": true, "mirror_direction": "downstream" }),
    )
    .await
    .expect(200);
    let started = post_form(&s, &browser, page, &format!("{add}/{id}/sync"), &[]).await;
    assert_eq!(started.status.as_u16(), 303, "{}", started.body);
    settle(&s, &alice, "app").await;
    assert_eq!(
        refs_of(&backup).await,
        refs_of(&s.repo_dir("alice", "app")).await
    );
    // Switching mirroring on made it due: a scheduled sync may push again meanwhile, and the
    // card says "Pushing…" until it ends.
    let mut after = get(&s, &browser, page).await;
    for _ in 0..300 {
        if !after.body.contains("Pushing…") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = get(&s, &browser, page).await;
    }
    assert!(after.body.contains("Pushed"), "{}", after.body);
    let history = get(&s, &browser, "/alice/app/settings/mirror/history").await;
    assert!(
        history
            .body
            .contains(&format!("pushed to {}", remote.url("backup"))),
        "the history names the target"
    );

    // Edited on its own page: the password is never shown, the change is kept.
    let edit = get(&s, &browser, &format!("{add}/{id}")).await;
    edit.expect(200);
    assert!(edit.body.contains("A password is set."));
    let saved = post_form(
        &s,
        &browser,
        &format!("{add}/{id}"),
        &format!("{add}/{id}"),
        &[
            ("remote_url", &remote.url("backup")),
            ("remote_username", "carol"),
            ("enabled", "on"),
            ("keep_divergent_refs", "on"),
            ("ref_filter", "refs/heads/*"),
        ],
    )
    .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    let stored = call(
        &s,
        "GET",
        "/api/v1/repos/alice/app/push_mirrors",
        &alice,
        None,
    )
    .await
    .json();
    assert_eq!(stored[0]["keep_divergent_refs"], true);
    assert_eq!(stored[0]["ref_filter"], json!(["refs/heads/*"]));
    assert_eq!(stored[0]["password_set"], true, "left empty: kept");
    assert!(
        get(&s, &browser, page)
            .await
            .body
            .contains("Keeps divergent refs")
    );

    // The last one of a repository that pushes stays, with the reason; then it goes.
    post_form(&s, &browser, page, &format!("{add}/{id}/delete"), &[]).await;
    assert!(
        get(&s, &browser, page)
            .await
            .body
            .contains("was not removed")
    );
    patch(&s, &alice, "app", json!({ "mirror_enabled": false }))
        .await
        .expect(200);
    let removed = post_form(&s, &browser, page, &format!("{add}/{id}/delete"), &[]).await;
    assert_eq!(removed.status.as_u16(), 303);
    let gone = get(&s, &browser, page).await;
    assert!(gone.body.contains("No push mirror yet."), "{}", gone.body);

    // Someone else may not.
    let bob = s.create_user("bob").await;
    let bobs = logged_in_as(&s, &bob).await;
    assert_eq!(
        get(&s, &bobs, &format!("{add}/{id}")).await.status.as_u16(),
        403
    );
}

async fn repository_pages_link_the_mirror_settings_and_name_the_upstream(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "plain", false).await;
    let browser = logged_in_as(&s, &alice).await;
    // Mirroring off: the owner still finds the settings.
    let page = get(&s, &browser, "/alice/plain").await;
    assert!(
        page.body.contains(r#"href="/alice/plain/settings/mirror""#),
        "{}",
        page.body
    );
    let visitor = get(&s, &s.browser(), "/alice/plain").await;
    assert!(!visitor.body.contains("Mirror settings"));

    let upstream = GitBackend::start().await;
    let src = upstream.create("src").await;
    let git = Git::new();
    crate::support::mirror::seed(&git, src.to_str().unwrap()).await;
    crate::support::mirror::import_body(
        &s,
        &alice,
        json!({ "name": "copy", "clone_url": upstream.url("src"), "mirror": true }),
    )
    .await
    .expect(201);
    settle(&s, &alice, "copy").await;
    let visitor = get(&s, &s.browser(), "/alice/copy").await;
    assert!(
        visitor
            .body
            .contains(&format!("Mirror of <code>{}</code>", upstream.url("src"))),
        "{}",
        visitor.body
    );
}
