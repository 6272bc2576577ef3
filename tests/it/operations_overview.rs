//! The mirrors overview (issue 12, item 4): `GET /api/v1/mirrors` sorts failing first, filters
//! by status and shows only the caller's mirrors; `POST /api/v1/mirrors/batch` answers each
//! repository on its own; the `/mirrors` page shows the error text and its plain (no-JS) bulk
//! form starts syncs. Real remotes are stock `git http-backend` on 127.0.0.1.

use std::time::Duration;

use chrono::Utc;
use mirrorforge::entities::{mirror_enums::SyncStatus, repository};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::GitBackend,
    html::input_value,
    mirror::{call, import_body, local_server, patch, seed, settle, sync_now},
    on_both_databases,
    web::{get, logged_in_as},
};

on_both_databases!(
    the_list_is_failing_first_filtered_and_only_the_callers,
    a_batch_answers_each_repository_on_its_own,
    the_page_shows_the_error_and_its_plain_form_starts_syncs,
);

/// A server that accepts 127.0.0.1 remotes, intervals down to 60 s and a scheduler that does
/// not fire during a test (the rows set here stay as set), with the admin `root`.
async fn start(db: &Db) -> (TestServer, TestUser) {
    let s = local_server(db, |c| {
        c.min_sync_interval = 60;
        c.scheduler_cron = "0 0 0 1 1 *".to_owned();
    })
    .await;
    let root = s.create_admin("root").await;
    (s, root)
}

/// `user`'s new repository `name` mirroring `body`'s settings (unreachable remotes are fine:
/// nothing syncs them here).
async fn configured(s: &TestServer, user: &TestUser, name: &str, body: Value) {
    s.create_repo(user, name, false).await;
    patch(s, user, name, body).await.expect(200);
}

/// Sets `owner/name`'s stored sync state, as a run would have left it.
async fn mark(
    s: &TestServer,
    name: &str,
    status: SyncStatus,
    error: Option<&str>,
    synced_ago: Option<chrono::Duration>,
) {
    let row = repository::Entity::find()
        .filter(repository::Column::Name.eq(name))
        .one(&s.conn)
        .await
        .unwrap()
        .unwrap();
    let mut active: repository::ActiveModel = row.into();
    active.sync_status = Set(status);
    active.sync_error = Set(error.map(str::to_owned));
    active.consecutive_failures = Set(i32::from(status == SyncStatus::Failed) * 3);
    active.last_synced_at = Set(synced_ago.map(|ago| Utc::now() - ago));
    active.update(&s.conn).await.unwrap();
}

/// The `repository` names of a list answer, in order.
fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|item| item["repository"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(s: &TestServer, user: &TestUser, query: &str) -> Value {
    let resp = call(s, "GET", &format!("/api/v1/mirrors{query}"), user, None).await;
    resp.expect(200);
    resp.json()
}

async fn the_list_is_failing_first_filtered_and_only_the_callers(db: Db) {
    let (s, root) = start(&db).await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    let pull = json!({"mirror_enabled": true, "upstream_url": "http://127.0.0.1:9/a.git"});
    configured(&s, &alice, "zeta", pull.clone()).await;
    configured(&s, &alice, "alpha", pull.clone()).await;
    // Paused: switched off, the downstream still configured, so it can be resumed.
    configured(
        &s,
        &alice,
        "beta",
        json!({"mirror_enabled": true, "mirror_direction": "downstream",
               "downstream_url": "http://127.0.0.1:9/b.git"}),
    )
    .await;
    patch(&s, &alice, "beta", json!({"mirror_enabled": false}))
        .await
        .expect(200);
    s.create_repo(&alice, "plain", false).await;
    configured(&s, &bob, "bobs", pull).await;
    mark(
        &s,
        "zeta",
        SyncStatus::Failed,
        Some("upstream: could not connect"),
        None,
    )
    .await;
    mark(
        &s,
        "alpha",
        SyncStatus::Success,
        None,
        Some(chrono::Duration::minutes(10)),
    )
    .await;
    mark(&s, "bobs", SyncStatus::Failed, Some("upstream: 404"), None).await;

    let mine = list(&s, &alice, "").await;
    assert_eq!(names(&mine), ["alice/zeta", "alice/alpha", "alice/beta"]);
    let zeta = &mine[0];
    assert_eq!(zeta["sync_status"], "failed");
    assert_eq!(zeta["sync_error"], "upstream: could not connect");
    assert_eq!(zeta["consecutive_failures"], 3);
    assert_eq!(zeta["mirror_direction"], "upstream");
    assert_eq!(zeta["freshness"], "stale", "never succeeded");
    assert!(zeta.get("next_sync_at").is_some() && zeta.get("last_synced_at").is_some());
    assert_eq!(mine[1]["freshness"], "fresh", "{}", mine[1]);
    assert!(mine[1]["last_synced_at"].is_string());
    assert_eq!(mine[2]["mirror_enabled"], false);
    assert_eq!(mine[2]["mirror_direction"], "downstream");
    assert!(
        mine[2]["next_sync_at"].is_null(),
        "a paused mirror is not scheduled"
    );
    let text = mine.to_string();
    assert!(!text.contains("127.0.0.1:9"), "no remote URL: {text}");

    assert_eq!(
        names(&list(&s, &alice, "?status=failed").await),
        ["alice/zeta"]
    );
    assert_eq!(
        names(&list(&s, &alice, "?status=paused").await),
        ["alice/beta"]
    );
    assert_eq!(
        names(&list(&s, &alice, "?status=success").await),
        ["alice/alpha"]
    );
    call(&s, "GET", "/api/v1/mirrors?status=broken", &alice, None)
        .await
        .expect_error(422, "validation_failed");

    // A non-admin's all=true does not widen; an admin's does.
    assert_eq!(names(&list(&s, &alice, "?all=true").await), names(&mine));
    assert!(names(&list(&s, &root, "").await).is_empty());
    assert_eq!(
        names(&list(&s, &root, "?all=true").await),
        ["alice/zeta", "bob/bobs", "alice/alpha", "alice/beta"]
    );
    assert_eq!(
        names(&list(&s, &root, "?all=true&status=failed").await),
        ["alice/zeta", "bob/bobs"]
    );

    // Paging as the other lists.
    assert_eq!(
        names(&list(&s, &alice, "?limit=1&page=2").await),
        ["alice/alpha"]
    );
    for bad in ["?limit=0", "?limit=101", "?page=0"] {
        call(&s, "GET", &format!("/api/v1/mirrors{bad}"), &alice, None)
            .await
            .expect_error(400, "bad_request");
    }
    let anonymous = s.send(s.http.get(s.url("/api/v1/mirrors"))).await;
    anonymous.expect(401);
}

async fn batch(s: &TestServer, user: &TestUser, body: Value) -> crate::support::Resp {
    call(s, "POST", "/api/v1/mirrors/batch", user, Some(body)).await
}

/// `(repository, status)` of each result.
fn statuses(resp: &crate::support::Resp) -> Vec<(String, u64)> {
    resp.expect(200);
    resp.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["repository"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn a_batch_answers_each_repository_on_its_own(db: Db) {
    let (s, _root) = start(&db).await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    let git = Git::new();
    let fast = GitBackend::start().await;
    seed(&git, fast.create("src").await.to_str().unwrap()).await;
    // A slow host: the import's first sync is still running when the batch comes.
    let slow = GitBackend::slow(Duration::from_millis(1500)).await;
    let slow_bare = slow.create("src").await;
    let slow_git = Git::new();
    seed(&slow_git, slow_bare.to_str().unwrap()).await;

    import_body(
        &s,
        &alice,
        json!({"name": "quick", "clone_url": fast.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    settle(&s, &alice, "quick").await;
    import_body(
        &s,
        &alice,
        json!({"name": "busy", "clone_url": slow.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    s.create_repo(&alice, "plain", false).await;
    s.create_repo(&bob, "public", false).await;
    s.create_repo(&bob, "secret", true).await;

    let resp = batch(
        &s,
        &alice,
        json!({"action": "sync", "repositories": [
            "alice/quick", "alice/busy", "alice/plain", "bob/public", "bob/secret",
            "alice/nope", "not-a-name"
        ]}),
    )
    .await;
    assert_eq!(
        statuses(&resp),
        [
            ("alice/quick".to_owned(), 202),
            ("alice/busy".to_owned(), 409),
            ("alice/plain".to_owned(), 422),
            ("bob/public".to_owned(), 403),
            ("bob/secret".to_owned(), 404),
            ("alice/nope".to_owned(), 404),
            ("not-a-name".to_owned(), 404),
        ]
    );
    let results = resp.json()["results"].clone();
    assert!(results[0].get("error").is_none(), "{results}");
    assert!(
        results[1]["error"]
            .as_str()
            .unwrap()
            .contains("already running"),
        "{results}"
    );
    assert!(
        results[2]["error"]
            .as_str()
            .unwrap()
            .contains("not a mirror"),
        "{results}"
    );
    assert_eq!(settle(&s, &alice, "quick").await["sync_status"], "success");
    settle(&s, &alice, "busy").await;

    // set_interval: validated like the settings field.
    let low = batch(
        &s,
        &alice,
        json!({"action": "set_interval", "sync_interval": 10, "repositories": ["alice/quick"]}),
    )
    .await;
    assert_eq!(statuses(&low), [("alice/quick".to_owned(), 422)]);
    let error = low.json()["results"][0]["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        error.contains("sync_interval") && error.contains("60"),
        "{error}"
    );
    let set = batch(
        &s,
        &alice,
        json!({"action": "set_interval", "sync_interval": 600,
               "repositories": ["alice/quick", "alice/busy"]}),
    )
    .await;
    assert_eq!(
        statuses(&set),
        [
            ("alice/quick".to_owned(), 200),
            ("alice/busy".to_owned(), 200)
        ]
    );
    let settings = |name: &'static str| {
        let (s, alice) = (&s, &alice);
        async move {
            let resp = call(
                s,
                "GET",
                &format!("/api/v1/repos/alice/{name}/mirror"),
                alice,
                None,
            )
            .await;
            resp.expect(200);
            resp.json()
        }
    };
    assert_eq!(settings("quick").await["sync_interval"], 600);

    // Pause, then resume.
    let paused = batch(
        &s,
        &alice,
        json!({"action": "disable", "repositories": ["alice/quick"]}),
    )
    .await;
    assert_eq!(statuses(&paused), [("alice/quick".to_owned(), 200)]);
    assert_eq!(settings("quick").await["mirror_enabled"], false);
    assert_eq!(
        names(&list(&s, &alice, "?status=paused").await),
        ["alice/quick"]
    );
    let refused = batch(
        &s,
        &alice,
        json!({"action": "sync", "repositories": ["alice/quick"]}),
    )
    .await;
    assert_eq!(statuses(&refused), [("alice/quick".to_owned(), 422)]);
    sync_now(&s, &alice, "quick").await.expect(422);
    let resumed = batch(
        &s,
        &alice,
        json!({"action": "enable", "repositories": ["alice/quick"]}),
    )
    .await;
    assert_eq!(statuses(&resumed), [("alice/quick".to_owned(), 200)]);
    assert_eq!(settings("quick").await["mirror_enabled"], true);

    // The request itself: the action, the list's size, set_interval's value.
    let unknown = batch(&s, &alice, json!({"action": "explode", "repositories": []})).await;
    let body = unknown.expect_error(422, "validation_failed");
    assert!(body["fields"]["action"].is_string(), "{body}");
    let many: Vec<String> = (0..501).map(|i| format!("alice/r{i}")).collect();
    let too_many = batch(&s, &alice, json!({"action": "sync", "repositories": many})).await;
    let body = too_many.expect_error(422, "validation_failed");
    assert!(body["fields"]["repositories"].is_string(), "{body}");
    let no_value = batch(
        &s,
        &alice,
        json!({"action": "set_interval", "repositories": ["alice/quick"]}),
    )
    .await;
    let body = no_value.expect_error(422, "validation_failed");
    assert!(body["fields"]["sync_interval"].is_string(), "{body}");
}

async fn the_page_shows_the_error_and_its_plain_form_starts_syncs(db: Db) {
    let (s, _root) = start(&db).await;
    let alice = s.create_user("alice").await;
    let git = Git::new();
    let remote = GitBackend::start().await;
    seed(&git, remote.create("src").await.to_str().unwrap()).await;
    for name in ["one", "two"] {
        import_body(
            &s,
            &alice,
            json!({"name": name, "clone_url": remote.url("src"), "mirror": true}),
        )
        .await
        .expect(201);
        settle(&s, &alice, name).await;
    }
    configured(
        &s,
        &alice,
        "broken",
        json!({"mirror_enabled": true, "upstream_url": "http://127.0.0.1:9/a.git"}),
    )
    .await;
    mark(
        &s,
        "broken",
        SyncStatus::Failed,
        Some("upstream: could not connect <b>"),
        None,
    )
    .await;

    let browser = logged_in_as(&s, &alice).await;
    let page = get(&s, &browser, "/mirrors").await;
    page.expect(200);
    assert!(
        page.body.contains(r#"<a href="/mirrors">Mirrors</a>"#),
        "nav link"
    );
    // The error is text in its row (escaped), not a tooltip.
    assert!(
        page.body
            .contains(r#"<p class="mirror-error">upstream: could not connect &#60;b&#62;</p>"#),
        "{}",
        page.body
    );
    let broken = page.body.find("alice/broken").unwrap();
    let one = page.body.find("alice/one").unwrap();
    assert!(broken < one, "failing first");
    assert!(page.body.contains("<time datetime="));
    assert!(page.body.contains("freshness-stale") && page.body.contains("freshness-fresh"));
    for filter in [
        "status=failed",
        "status=syncing",
        "status=success",
        "status=paused",
    ] {
        assert!(
            page.body.contains(&format!("/mirrors?{filter}")),
            "{filter}"
        );
    }
    let failing = get(&s, &browser, "/mirrors?status=failed").await;
    assert!(failing.body.contains("alice/broken") && !failing.body.contains("alice/one"));

    // The form without JavaScript: two rows ticked, "Sync now" pressed.
    let token = input_value(&page.body, "csrf_token").unwrap();
    let form = [
        ("csrf_token", token.as_str()),
        ("status", ""),
        ("repositories", "alice/one"),
        ("repositories", "alice/two"),
        ("action", "sync"),
    ];
    let done = s
        .send(browser.post(s.url("/mirrors/batch")).form(&form))
        .await;
    assert_eq!(done.status.as_u16(), 303, "{}", done.body);
    assert_eq!(done.header("location"), Some("/mirrors"));
    let after = get(&s, &browser, "/mirrors").await;
    assert!(after.body.contains("2 syncs started."), "{}", after.body);
    for name in ["one", "two"] {
        settle(&s, &alice, name).await;
        let runs = crate::support::mirror::runs(&s, &alice, name).await;
        assert_eq!(runs[0]["trigger"], "manual", "{name}: {runs:?}");
    }

    // Without the CSRF token: refused.
    let forged = s
        .send(browser.post(s.url("/mirrors/batch")).form(&form[1..]))
        .await;
    forged.expect(403);
    // Visitors are sent to log in.
    let visitor = s.send(s.http.get(s.url("/mirrors"))).await;
    assert_eq!(visitor.status.as_u16(), 303);
}
