//! Operating many mirrors: notifications of a failure and a recovery (a POST to a local listener,
//! signed only with the notification key, never replayable as a webhook; an email through a real
//! SMTP server), metrics read with a Prometheus parser, and the health endpoints.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer,
    git_backend::GitBackend,
    hmac_sha256_hex,
    mirror::{call, import_body, local_server, patch, seed, settle, sync_now},
    on_both_databases,
    sinks::{HookListener, SmtpSink},
};

on_both_databases!(
    a_failing_then_recovering_mirror_notifies_once_each_way,
    a_hanging_notification_target_does_not_hold_the_sync,
    metrics_count_syncs_and_name_no_repository,
    health_answers_and_the_notify_url_is_validated,
);

/// The upstream's password: must never reach a notification.
const PASSWORD: &str = "Upstream-Pw-never-shown-42";

/// A server with SMTP set to `smtp` (when given), and its admin `owner` (email
/// owner@example.com).
async fn server(db: &Db, smtp: Option<u16>) -> (TestServer, crate::support::TestUser) {
    let s = local_server(db, |c| {
        c.min_sync_interval = 1;
        c.smtp_url = smtp.map(|port| format!("smtp://127.0.0.1:{port}"));
        c.mail_from = "mirrorforge@example.org".to_owned();
    })
    .await;
    let owner = s.create_admin("owner").await;
    (s, owner)
}

/// A mirror `m` of `src` on an authenticated backend, synced once.
async fn mirror(s: &TestServer, owner: &crate::support::TestUser, remotes: &GitBackend) {
    let src = remotes.create("src").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    let body = json!({
        "name": "m", "clone_url": remotes.url("src"), "mirror": true, "sync_interval": 3600,
        "auth_username": "mirror-bot", "auth_password": PASSWORD,
    });
    import_body(s, owner, body).await.expect(201);
    assert_eq!(settle(s, owner, "m").await["sync_status"], "success");
}

async fn a_failing_then_recovering_mirror_notifies_once_each_way(db: Db) {
    let smtp = SmtpSink::start().await;
    let (s, owner) = server(&db, Some(smtp.port)).await;
    let remotes = GitBackend::with_auth("mirror-bot", PASSWORD).await;
    mirror(&s, &owner, &remotes).await;
    let hooks = HookListener::start().await;
    // A webhook secret: it never signs a notification.
    let made = s
        .send_allowing_secrets(
            s.http
                .post(s.url("/api/v1/repos/owner/m/mirror/webhook_secret"))
                .bearer_auth(&owner.token),
        )
        .await;
    made.expect(201);
    let webhook_secret = made.json()["secret"].as_str().unwrap().to_owned();
    s.forbid_in_answers(&webhook_secret);
    let set = patch(&s, &owner, "m", json!({ "notify_url": hooks.url })).await;
    set.expect(200);
    assert_eq!(set.json()["notify_url"], hooks.url);
    assert_eq!(set.json()["notify_secret_set"], false);

    // Two failures in a row (the upstream is gone): one notification, unsigned (no
    // notification key yet).
    patch(
        &s,
        &owner,
        "m",
        json!({ "upstream_url": remotes.url("gone") }),
    )
    .await
    .expect(200);
    for _ in 0..2 {
        sync_now(&s, &owner, "m").await.expect(202);
        assert_eq!(settle(&s, &owner, "m").await["sync_status"], "failed");
    }
    hooks.wait_for(1).await;

    // The notification key: shown once (again: rotated), then it signs.
    let key_path = "/api/v1/repos/owner/m/mirror/notify_secret";
    s.send(s.http.post(s.url(key_path)))
        .await
        .expect_error(401, "unauthorized");
    let mut keys = Vec::new();
    for _ in 0..2 {
        let made = s
            .send_allowing_secrets(s.http.post(s.url(key_path)).bearer_auth(&owner.token))
            .await;
        made.expect(201);
        let body = made.json();
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        let key = body["secret"].as_str().unwrap().to_owned();
        assert!(key.len() >= 40, "{key}");
        assert!(!made.body.contains(&webhook_secret));
        s.forbid_in_answers(&key);
        keys.push(key);
    }
    assert_ne!(keys[0], keys[1], "again rotates");
    let key = keys[1].clone();
    let settings = call(&s, "GET", "/api/v1/repos/owner/m/mirror", &owner, None)
        .await
        .json();
    assert_eq!(settings["notify_secret_set"], true, "{settings}");
    assert_eq!(settings["webhook_secret_set"], true, "{settings}");

    // Back: one recovery.
    patch(
        &s,
        &owner,
        "m",
        json!({ "upstream_url": remotes.url("src") }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");

    let got = hooks.wait_for(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(hooks.received().len(), 2, "exactly two notifications");
    let events: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(events[0]["event"], "mirror.failed");
    assert_eq!(events[1]["event"], "mirror.recovered");
    assert!(
        got[0].headers.get("x-mirrorforge-signature-256").is_none(),
        "no notification key, no signature (never one made with the webhook secret): {:?}",
        got[0].headers
    );
    let signature = got[1]
        .headers
        .get("x-mirrorforge-signature-256")
        .expect("signed with the notification key")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        signature,
        format!("sha256={}", hmac_sha256_hex(&key, &got[1].body))
    );
    assert_ne!(
        signature,
        format!("sha256={}", hmac_sha256_hex(&webhook_secret, &got[1].body))
    );
    for (received, event) in got.iter().zip(&events) {
        let header = |name: &str| received.headers.get(name).unwrap().to_str().unwrap();
        assert_eq!(
            header("x-mirrorforge-event"),
            event["event"].as_str().unwrap()
        );
        assert_eq!(header("content-type"), "application/json");
        let text = String::from_utf8_lossy(&received.body);
        assert!(
            !text.contains(PASSWORD) && !text.contains(&webhook_secret) && !text.contains(&key),
            "{text}"
        );
        assert_eq!(event["repository"], "owner/m");
        assert_eq!(event["url"], s.url("/owner/m"));
        assert_eq!(event["direction"], "upstream");
        assert!(event["run_id"].as_i64().unwrap() > 0);
        assert!(event["at"].is_string());
        assert!(event["text"].as_str().unwrap().contains("owner/m"));
    }

    // Whoever receives a notification cannot replay it as a webhook call: its signature is
    // not made with the webhook secret, under any of the forges' headers.
    let hex = signature.strip_prefix("sha256=").unwrap().to_owned();
    for (name, value) in [
        ("x-mirrorforge-signature-256", signature.clone()),
        ("x-hub-signature-256", signature.clone()),
        ("x-gitea-signature", hex.clone()),
        ("x-forgejo-signature", hex),
    ] {
        let replayed = s
            .send(
                s.http
                    .post(s.url("/api/v1/repos/owner/m/mirror/webhook"))
                    .header("content-type", "application/json")
                    .header(name, value)
                    .body(got[1].body.clone()),
            )
            .await;
        assert_eq!(replayed.status.as_u16(), 401, "{name}: {}", replayed.body);
    }

    // Removed: 204, and the settings say so.
    call(&s, "DELETE", key_path, &owner, None).await.expect(204);
    let settings = call(&s, "GET", "/api/v1/repos/owner/m/mirror", &owner, None)
        .await
        .json();
    assert_eq!(settings["notify_secret_set"], false, "{settings}");
    assert_eq!(settings["webhook_secret_set"], true, "{settings}");

    assert_eq!(events[0]["consecutive_failures"], 1);
    assert!(!events[0]["error"].as_str().unwrap().is_empty());
    assert_eq!(events[1]["error"], "");

    // The owner's mailbox: the same two events, plain text, with the error and a link.
    let mails = smtp.wait_for(2).await;
    let failed = mails
        .iter()
        .find(|m| m.contains("failed to sync"))
        .expect("the failure email");
    assert!(failed.contains("To: owner@example.com"), "{failed}");
    assert!(failed.contains("From: mirrorforge@example.org"), "{failed}");
    assert!(failed.contains("text/plain"), "{failed}");
    assert!(failed.contains(&s.url("/owner/m")), "{failed}");
    assert!(!failed.contains(PASSWORD));
    assert!(mails.iter().any(|m| m.contains("syncs again")));
}

async fn a_hanging_notification_target_does_not_hold_the_sync(db: Db) {
    let (s, owner) = server(&db, None).await;
    let remotes = GitBackend::with_auth("mirror-bot", PASSWORD).await;
    mirror(&s, &owner, &remotes).await;
    let hooks = HookListener::hanging().await;
    patch(
        &s,
        &owner,
        "m",
        json!({ "notify_url": hooks.url, "upstream_url": remotes.url("gone") }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "failed");
    // The notification is still unanswered (the listener holds it for a minute), yet the
    // sync has ended and the next one starts at once.
    hooks.wait_for(1).await;
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "failed");
}

/// The samples of a scrape, by metric name, parsed as Prometheus does.
pub(crate) async fn scrape(s: &TestServer, token: Option<&str>) -> Vec<prometheus_parse::Sample> {
    let mut request = s.http.get(s.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let resp = s.send(request).await;
    resp.expect(200);
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("text/plain"),
        "{:?}",
        resp.header("content-type")
    );
    let lines = resp.body.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).unwrap().samples
}

/// The counter value of `name` with exactly `labels`, 0 when absent.
pub(crate) fn counter(
    samples: &[prometheus_parse::Sample],
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

async fn metrics_count_syncs_and_name_no_repository(db: Db) {
    let (s, owner) = {
        let s = local_server(&db, |c| {
            c.min_sync_interval = 1;
            c.metrics_token = Some("scrape-token-1".to_owned());
        })
        .await;
        let owner = s.create_admin("owner").await;
        (s, owner)
    };
    let plain = s.send(s.http.get(s.url("/metrics"))).await;
    plain.expect_error(401, "unauthorized");
    let wrong = s
        .send(s.http.get(s.url("/metrics")).bearer_auth("scrape-token-2"))
        .await;
    wrong.expect_error(401, "unauthorized");

    let before = scrape(&s, Some("scrape-token-1")).await;
    let remotes = GitBackend::with_auth("mirror-bot", PASSWORD).await;
    mirror(&s, &owner, &remotes).await;
    sync_now(&s, &owner, "m").await.expect(202);
    settle(&s, &owner, "m").await;
    let after = scrape(&s, Some("scrape-token-1")).await;

    let runs = |samples: &[prometheus_parse::Sample]| {
        counter(
            samples,
            "mirrorforge_sync_runs_total",
            &[("direction", "upstream")],
        )
    };
    assert_eq!(runs(&after) - runs(&before), 2.0, "the import and one sync");
    assert!(
        counter(
            &after,
            "mirrorforge_sync_transferred_bytes_total",
            &[("direction", "upstream")]
        ) > 0.0
    );
    assert_eq!(
        counter(&after, "mirrorforge_sync_duration_seconds_count", &[]),
        2.0
    );
    assert_eq!(
        counter(&after, "mirrorforge_mirrors", &[("sync_status", "success")]),
        1.0
    );
    let names: HashMap<&str, usize> = after.iter().fold(HashMap::new(), |mut seen, s| {
        *seen.entry(s.metric.as_str()).or_default() += 1;
        seen
    });
    for name in [
        "mirrorforge_sync_runs_total",
        "mirrorforge_sync_duration_seconds_count",
        "mirrorforge_sync_transferred_bytes_total",
        "mirrorforge_mirrors",
        "mirrorforge_syncs_running",
        "mirrorforge_syncs_queued",
        "mirrorforge_mirrors_overdue",
        "mirrorforge_http_requests_total",
    ] {
        assert!(names.contains_key(name), "{name} missing: {names:?}");
    }
    // HTTP requests are counted by route template, never by the names in the path.
    assert!(
        counter(
            &after,
            "mirrorforge_http_requests_total",
            &[("route", "/api/v1/repos/:owner/:repo/mirror/status")]
        ) > 0.0
    );
    for sample in &after {
        for (key, value) in sample.labels.iter() {
            assert!(
                !value.contains("owner") || value.contains(":owner"),
                "{key}={value} in {}",
                sample.metric
            );
            assert!(!value.contains("/m/") && value != "m", "{key}={value}");
        }
    }
}

async fn health_answers_and_the_notify_url_is_validated(db: Db) {
    let (s, owner) = server(&db, None).await;
    let health = s.send(s.http.get(s.url("/healthz"))).await;
    health.expect(200);
    assert_eq!(health.json(), json!({ "status": "ok" }));
    let ready = s.send(s.http.get(s.url("/readyz"))).await;
    ready.expect(200);
    assert_eq!(ready.json()["status"], "ok");

    s.create_repo(&owner, "r", false).await;
    for bad in [
        "ftp://example.com/x",
        "not a url",
        "https://user:pw@example.com/x",
    ] {
        let resp = patch(&s, &owner, "r", json!({ "notify_url": bad })).await;
        let body = resp.expect_error(422, "validation_failed");
        assert!(body["fields"]["notify_url"].is_string(), "{bad}: {body}");
    }
    let stored = call(&s, "GET", "/api/v1/repos/owner/r/mirror", &owner, None).await;
    assert_eq!(stored.json()["notify_url"], "");
}
