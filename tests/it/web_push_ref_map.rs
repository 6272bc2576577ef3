//! A push mirror's branch map over plain HTTP, as a browser without JavaScript sends it: rows
//! `ref_map_from_N` → `ref_map_to_N` in the form that adds one and in its own page's form,
//! checked by the same service as the API (a bad rule named next to the rows, what was typed
//! kept, nothing saved), shown on its card, kept by a form without rows, cleared by empty rows.

use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{
    Db, Git, Resp, TestServer, TestUser,
    git_backend::GitBackend,
    html::input_value,
    mirror::{call, local_server},
    on_both_databases,
    web::{get, logged_in_as},
};

on_both_databases!(a_push_mirrors_branch_map_is_edited_in_its_forms_without_javascript);

/// Posts `form` (with the CSRF token of the page at `page`) to `path` in `browser`.
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

/// The push mirrors of alice/app as the API lists them.
async fn listed(s: &TestServer, alice: &TestUser) -> Value {
    call(
        s,
        "GET",
        "/api/v1/repos/alice/app/push_mirrors",
        alice,
        None,
    )
    .await
    .json()
}

async fn a_push_mirrors_branch_map_is_edited_in_its_forms_without_javascript(db: Db) {
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
    let remote = GitBackend::start().await;
    remote.create("backup").await;
    let url = remote.url("backup");
    let browser = logged_in_as(&s, &alice).await;
    let page = "/alice/app/settings/mirror/push";

    // The empty form offers rows with an example in the first.
    let empty = get(&s, &browser, page).await;
    assert!(
        empty
            .body
            .contains(r#"id="push_ref_map_from_0" name="ref_map_from_0""#),
        "{}",
        empty.body
    );
    assert!(empty.body.contains(r#"placeholder="refs/heads/main""#));

    // Two rules naming one branch there: refused with the rules named, the rows as typed.
    let refused = post_form(
        &s,
        &browser,
        page,
        page,
        &[
            ("remote_url", &url),
            ("enabled", "on"),
            ("ref_map_from_0", "refs/heads/main"),
            ("ref_map_to_0", "refs/heads/master"),
            ("ref_map_from_1", "refs/heads/trunk"),
            ("ref_map_to_1", "refs/heads/master"),
        ],
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="push_ref_map-error""#)
            && refused
                .body
                .contains("rules 1 and 2 both map to &#34;refs/heads/master&#34;"),
        "{}",
        refused.body
    );
    assert_eq!(
        input_value(&refused.body, "ref_map_from_1").as_deref(),
        Some("refs/heads/trunk")
    );
    assert_eq!(listed(&s, &alice).await, json!([]), "nothing added");

    // Added with its map; its card says what it renames.
    let added = post_form(
        &s,
        &browser,
        page,
        page,
        &[
            ("remote_url", &url),
            ("enabled", "on"),
            ("ref_map_from_0", " refs/heads/main "),
            ("ref_map_to_0", "refs/heads/master"),
            ("ref_map_from_1", ""),
            ("ref_map_to_1", ""),
            ("ref_map_from_2", "refs/heads/*"),
            ("ref_map_to_2", "refs/heads/backup/*"),
        ],
    )
    .await;
    assert_eq!(added.status.as_u16(), 303, "{}", added.body);
    let map = json!([{"from": "refs/heads/main", "to": "refs/heads/master"},
                     {"from": "refs/heads/*", "to": "refs/heads/backup/*"}]);
    let mirror = listed(&s, &alice).await[0].clone();
    assert_eq!(mirror["ref_map"], map);
    let card = get(&s, &browser, page).await;
    assert!(
        card.body.contains(
            "Renames: refs/heads/main → refs/heads/master, refs/heads/* → refs/heads/backup/*."
        ),
        "{}",
        card.body
    );

    // Its own page shows the rules; a form without rows keeps them.
    let id = mirror["id"].as_i64().unwrap();
    let own = format!("/alice/app/settings/mirror/push/{id}");
    let edit = get(&s, &browser, &own).await;
    assert_eq!(
        input_value(&edit.body, "ref_map_to_1").as_deref(),
        Some("refs/heads/backup/*")
    );
    assert_eq!(
        input_value(&edit.body, "ref_map_from_2").as_deref(),
        Some("")
    );
    let kept = post_form(
        &s,
        &browser,
        &own,
        &own,
        &[("remote_url", &url), ("enabled", "on")],
    )
    .await;
    assert_eq!(kept.status.as_u16(), 303, "{}", kept.body);
    assert_eq!(listed(&s, &alice).await[0]["ref_map"], map);

    // A bad rule there is named, nothing saved; empty rows clear the map and the card's line.
    let bad = post_form(
        &s,
        &browser,
        &own,
        &own,
        &[
            ("remote_url", &url),
            ("enabled", "on"),
            ("ref_map_from_0", "refs/heads/*"),
            ("ref_map_to_0", "refs/heads/main"),
        ],
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.body);
    assert!(
        bad.body
            .contains("rule 1 must have a * on both sides or on neither"),
        "{}",
        bad.body
    );
    assert_eq!(listed(&s, &alice).await[0]["ref_map"], map);
    let cleared = post_form(
        &s,
        &browser,
        &own,
        &own,
        &[
            ("remote_url", &url),
            ("enabled", "on"),
            ("ref_map_from_0", ""),
            ("ref_map_to_0", ""),
        ],
    )
    .await;
    assert_eq!(cleared.status.as_u16(), 303, "{}", cleared.body);
    assert_eq!(listed(&s, &alice).await[0]["ref_map"], json!([]));
    assert!(!get(&s, &browser, page).await.body.contains("Renames:"));

    // The pull's map is left alone by every push mirror form.
    let pull = call(&s, "GET", "/api/v1/repos/alice/app/mirror", &alice, None).await;
    assert_eq!(pull.json()["upstream_ref_map"], json!([]));
}
