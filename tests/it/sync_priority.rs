//! Triggers ahead of the schedule: with one slot busy and five scheduled syncs waiting, a
//! "Sync now" runs next; a waiting sync's place in line is in `GET …/mirror/status`
//! (`queue_position`) and on the overview.

use std::time::Duration;

use mirrorforge::{
    entities::{mirror_enums::Trigger, repository},
    mirror::engine::{Scope, SyncRequest},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::GitBackend,
    mirror::{local_server, patch, runs, seed, settle, sync_now},
    on_both_databases,
    web::logged_in_as,
};

on_both_databases!(
    a_sync_now_runs_before_the_scheduled_syncs_that_wait,
    a_waiting_sync_says_its_place_in_line,
);

/// `count` mirrors `m0…` of `owner`, of one upstream, due now.
async fn mirrors(s: &TestServer, owner: &TestUser, upstream: &GitBackend, count: usize) {
    for i in 0..count {
        let name = format!("m{i}");
        s.create_repo(owner, &name, false).await;
        patch(
            s,
            owner,
            &name,
            json!({ "mirror_enabled": true, "upstream_url": upstream.url("src"), "sync_interval": 3600 }),
        )
        .await
        .expect(200);
    }
}

/// The row of `owner`'s repository `name`.
async fn row(s: &TestServer, name: &str) -> repository::Model {
    repository::Entity::find()
        .filter(repository::Column::Name.eq(name))
        .one(&s.conn)
        .await
        .unwrap()
        .expect("the repository")
}

/// One slot, an upstream that answers each request `delay` late, and no scheduler tick
/// during the test.
async fn one_slot_server(db: &Db, delay: Duration) -> (TestServer, TestUser, GitBackend) {
    let s = local_server(db, |c| {
        c.max_concurrent_syncs = 1;
        c.max_syncs_per_owner = 10;
        c.scheduler_cron = "0 0 0 1 1 *".to_owned();
    })
    .await;
    let owner = s.create_admin("owner").await;
    let upstream = GitBackend::slow(delay).await;
    upstream.create("src").await;
    seed(&Git::new(), upstream.path("src").to_str().unwrap()).await;
    (s, owner, upstream)
}

async fn a_sync_now_runs_before_the_scheduled_syncs_that_wait(db: Db) {
    let (s, owner, upstream) = one_slot_server(&db, Duration::from_millis(150)).await;
    mirrors(&s, &owner, &upstream, 7).await;
    // An engine of its own on the same database, driven here as the scheduler drives it:
    // six scheduled syncs claimed, one runs, five wait.
    let state = mirrorforge::server::build_state(s.config.clone())
        .await
        .unwrap();
    let engine = &state.engine;
    let mut scheduled = Vec::new();
    for i in 0..6 {
        let repo = row(&s, &format!("m{i}")).await;
        assert!(engine.claim_due(repo.id).await.unwrap());
        scheduled.push(engine.spawn_claimed(&repo, Trigger::Scheduled, Scope::Mirror));
    }
    tokio::task::yield_now().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(row(&s, &format!("m{i}")).await.id);
    }
    assert_eq!(engine.queue_position(ids[0]), None, "m0 has the slot");
    for (i, id) in ids.iter().enumerate().skip(1) {
        assert_eq!(engine.queue_position(*id), Some(i), "m{i}");
    }
    // "Sync now" on m6 goes to the front of the line.
    let manual = row(&s, "m6").await;
    assert!(matches!(
        engine.request_sync(&manual, false).await.unwrap(),
        SyncRequest::Started
    ));
    assert_eq!(engine.queue_position(manual.id), Some(1));
    assert_eq!(engine.queue_position(ids[1]), Some(2));
    for handle in scheduled {
        handle.await.unwrap();
    }
    assert_eq!(settle(&s, &owner, "m6").await["sync_status"], "success");
    // Runs are recorded when they get their slot: m0, then m6, then m1…m5.
    let first_run = |name: &'static str| {
        let (s, owner) = (&s, &owner);
        async move { runs(s, owner, name).await[0]["id"].as_i64().unwrap() }
    };
    let manual_run = first_run("m6").await;
    assert!(first_run("m0").await < manual_run);
    for name in ["m1", "m2", "m3", "m4", "m5"] {
        assert!(
            manual_run < first_run(name).await,
            "{name} ran before the Sync now"
        );
    }
    let trigger = &runs(&s, &owner, "m6").await[0]["trigger"];
    assert_eq!(trigger, "manual");
}

async fn a_waiting_sync_says_its_place_in_line(db: Db) {
    let (s, owner, upstream) = one_slot_server(&db, Duration::from_millis(150)).await;
    mirrors(&s, &owner, &upstream, 2).await;
    let status = |name: &'static str| {
        let (s, owner) = (&s, &owner);
        async move {
            s.get(
                &format!("/api/v1/repos/owner/{name}/mirror/status"),
                Some(owner),
            )
            .await
            .json()
        }
    };
    let idle: Value = status("m1").await;
    assert_eq!(idle["queue_position"], Value::Null, "{idle}");
    sync_now(&s, &owner, "m0").await.expect(202);
    sync_now(&s, &owner, "m1").await.expect(202);
    let running: Value = status("m0").await;
    let waiting: Value = status("m1").await;
    assert_eq!(running["queue_position"], Value::Null, "{running}");
    assert_eq!(waiting["sync_status"], "syncing", "{waiting}");
    assert_eq!(waiting["queue_position"], 1, "{waiting}");
    // The overview says it waits, and where.
    let browser = logged_in_as(&s, &owner).await;
    let page = s.send(browser.get(s.url("/mirrors"))).await;
    page.expect(200);
    assert!(page.body.contains("#1 in line"), "{}", page.body);
    assert!(page.body.contains("badge-waiting"), "{}", page.body);
    assert_eq!(settle(&s, &owner, "m1").await["sync_status"], "success");
    let done: Value = status("m1").await;
    assert_eq!(done["queue_position"], Value::Null, "{done}");
}

/// In headless Chromium: the overview row of a sync waiting for a slot says "Waiting" and its
/// place, and turns into the result once it ran (screenshots `overview-waiting`, `-390`).
/// SQLite only: the page is the same on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_a_waiting_sync_in_a_real_browser() {
    let Some(b) = crate::support::browser::Browser::start(1280, 900).await else {
        return;
    };
    let (s, owner, upstream) = one_slot_server(&Db::Sqlite, Duration::from_millis(1500)).await;
    mirrors(&s, &owner, &upstream, 2).await;
    b.log_in(&s.base(), &owner.username, &owner.password).await;
    sync_now(&s, &owner, "m0").await.expect(202);
    sync_now(&s, &owner, "m1").await.expect(202);
    b.goto(&s.url("/mirrors")).await;
    let waiting = b.text("#row-select-owner--m1").await;
    assert!(
        waiting.contains("Waiting") && waiting.contains("#1 in line"),
        "{waiting}"
    );
    b.screenshot("overview-waiting").await;
    b.assert_fits("the overview with a waiting sync", 390, 900)
        .await;
    b.screenshot("overview-waiting-390").await;
    b.client.set_window_size(1280, 900).await.unwrap();
    // The row polls itself: it leaves the line, then ends.
    b.wait_until("m1 synced", 60, || async {
        b.text("#row-select-owner--m1").await.contains("Synced")
    })
    .await;
    b.finish().await;
}
