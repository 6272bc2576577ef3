//! The scheduler claims no more than can start, and a backlog flows: when a sync ends, the
//! next due mirror starts at once, without waiting for the next cron tick.

use std::time::Duration;

use serde_json::json;

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::GitBackend,
    mirror::{local_server, patch, seed, sync_now},
    on_both_databases,
};

on_both_databases!(
    a_look_claims_only_what_can_start,
    when_a_sync_ends_the_next_due_mirror_starts,
);

/// Six mirrors of `owner`, due now, of one upstream.
async fn six_due_mirrors(s: &TestServer, owner: &TestUser, upstream: &GitBackend) {
    for i in 0..6 {
        let name = format!("m{i}");
        s.create_repo(owner, &name, false).await;
        patch(
            s,
            owner,
            &name,
            json!({ "mirror_enabled": true, "upstream_url": upstream.url("src") }),
        )
        .await
        .expect(200);
    }
}

/// How many of `owner`'s six mirrors have `status`.
async fn count(s: &TestServer, owner: &TestUser, status: &str) -> usize {
    let mut n = 0;
    for i in 0..6 {
        let path = format!("/api/v1/repos/{}/m{i}/mirror/status", owner.username);
        n += usize::from(s.get(&path, Some(owner)).await.json()["sync_status"] == status);
    }
    n
}

async fn a_look_claims_only_what_can_start(db: Db) {
    let s = local_server(&db, |c| {
        c.max_concurrent_syncs = 2;
        c.max_syncs_per_owner = 6;
        c.scheduler_cron = "0 0 0 1 1 *".to_owned(); // not during the test
    })
    .await;
    let owner = s.create_admin("owner").await;
    let upstream = GitBackend::slow(Duration::from_millis(300)).await;
    upstream.create("src").await;
    seed(&Git::new(), upstream.path("src").to_str().unwrap()).await;
    six_due_mirrors(&s, &owner, &upstream).await;
    // A second engine on the same database, so its looks are the only ones.
    let state = mirrorforge::server::build_state(s.config.clone())
        .await
        .unwrap();
    let filled = mirrorforge::mirror::engine::scheduler::fill(&state.engine).await;
    // Two slots and a margin of one: three claimed, three left due and not "syncing".
    assert_eq!(filled.report.started, 3, "{:?}", filled.report);
    assert_eq!(count(&s, &owner, "syncing").await, 3);
    assert_eq!(count(&s, &owner, "idle").await, 3);
    let again = mirrorforge::mirror::engine::scheduler::fill(&state.engine).await;
    assert_eq!(
        again.report.started, 0,
        "no free slot yet: {:?}",
        again.report
    );
    assert_eq!(filled.synced().await, 3);
}

async fn when_a_sync_ends_the_next_due_mirror_starts(db: Db) {
    let s = local_server(&db, |c| {
        c.max_concurrent_syncs = 2;
        c.scheduler_cron = "0 0 0 1 1 *".to_owned(); // no tick: only ended syncs wake it
    })
    .await;
    let owner = s.create_admin("owner").await;
    let upstream = GitBackend::start().await;
    upstream.create("src").await;
    seed(&Git::new(), upstream.path("src").to_str().unwrap()).await;
    six_due_mirrors(&s, &owner, &upstream).await;
    // One "Sync now"; its end starts the due ones, theirs the rest.
    sync_now(&s, &owner, "m0").await.expect(202);
    let mut synced = 0;
    for _ in 0..300 {
        synced = count(&s, &owner, "success").await;
        if synced == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(synced, 6, "the backlog waited for a tick");
}
