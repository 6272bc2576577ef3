//! Metrics that stay small and true: a made-up HTTP method counts as `other` (no new label per
//! invented method), and a sync waiting for a slot is queued rather than running.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{
    operations::{counter, scrape},
    support::{
        Db, Git, TestServer, TestUser,
        git_backend::GitBackend,
        mirror::{local_server, patch, seed, settle, sync_now},
        on_both_databases,
    },
};

on_both_databases!(
    made_up_methods_count_as_other,
    a_sync_waiting_for_a_slot_is_queued_not_running,
);

/// The methods HTTP defines; anything else must count as `other`.
const STANDARD: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

async fn made_up_methods_count_as_other(db: Db) {
    let s = TestServer::start(&db).await;
    let invented = ["BREW", "FROBNICATE", "PROPFIND", "X-MF-1", "X-MF-2", "get"];
    for (i, method) in invented.iter().enumerate() {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let path = if i % 2 == 0 { "/healthz" } else { "/nowhere" };
        let resp = s.send(s.http.request(method, s.url(path))).await;
        assert!(resp.status.as_u16() < 500, "{path}: {}", resp.status);
    }
    s.send(s.http.get(s.url("/healthz"))).await.expect(200);

    let samples = scrape(&s, None).await;
    let methods: std::collections::BTreeSet<&str> = samples
        .iter()
        .filter(|m| m.metric == "mirrorforge_http_requests_total")
        .filter_map(|m| m.labels.get("method"))
        .collect();
    for method in &methods {
        assert!(
            STANDARD.contains(method) || *method == "other",
            "the label method={method:?} is not a standard method: {methods:?}"
        );
    }
    assert_eq!(
        counter(
            &samples,
            "mirrorforge_http_requests_total",
            &[("method", "other")]
        ),
        invented.len() as f64,
        "every invented method counted once as other: {methods:?}"
    );
    assert!(methods.contains("GET"), "{methods:?}");
}

/// The `mirrorforge_syncs_running` and `mirrorforge_syncs_queued` gauges of a scrape.
async fn running_and_queued(s: &TestServer) -> (f64, f64) {
    let samples = scrape(s, None).await;
    (
        counter(&samples, "mirrorforge_syncs_running", &[]),
        counter(&samples, "mirrorforge_syncs_queued", &[]),
    )
}

/// A pull mirror `name` of `url`, with mirroring on and no sync yet.
async fn mirror_of(s: &TestServer, owner: &TestUser, name: &str, url: &str) {
    s.create_repo(owner, name, false).await;
    patch(
        s,
        owner,
        name,
        json!({ "mirror_enabled": true, "upstream_url": url, "sync_interval": 3600 }),
    )
    .await
    .expect(200);
}

async fn a_sync_waiting_for_a_slot_is_queued_not_running(db: Db) {
    let s = local_server(&db, |c| {
        c.max_concurrent_syncs = 1;
        c.scheduler_cron = "0 0 0 1 1 *".to_owned(); // only the two syncs asked for
    })
    .await;
    let owner = s.create_admin("owner").await;
    // Each answer of the upstream takes 3 s: a sync takes at least 6.
    let upstream = GitBackend::slow(Duration::from_secs(3)).await;
    upstream.create("src").await;
    seed(&Git::new(), upstream.path("src").to_str().unwrap()).await;
    for name in ["first", "second"] {
        mirror_of(&s, &owner, name, &upstream.url("src")).await;
    }
    assert_eq!(running_and_queued(&s).await, (0.0, 0.0));

    sync_now(&s, &owner, "first").await.expect(202);
    sync_now(&s, &owner, "second").await.expect(202);
    // One slot: one sync holds it and runs, the other waits for it (well before the first
    // sync can end).
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut seen = vec![running_and_queued(&s).await];
    while seen.last() != Some(&(1.0, 1.0)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen.push(running_and_queued(&s).await);
    }
    seen.dedup();
    assert_eq!(
        seen.last(),
        Some(&(1.0, 1.0)),
        "(running, queued) with one slot and two syncs, as seen: {seen:?}"
    );

    for name in ["first", "second"] {
        assert_eq!(settle(&s, &owner, name).await["sync_status"], "success");
    }
    assert_eq!(running_and_queued(&s).await, (0.0, 0.0));
}
