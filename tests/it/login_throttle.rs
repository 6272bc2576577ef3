//! Password guessing: throttled per account and client address on every surface that takes a
//! password (API Basic, token creation, git Basic, the login form), and a flood of bad logins
//! that cannot run the server out of memory.

use std::time::Duration;

use reqwest::Client;
use serde_json::json;

use crate::support::{
    Db, Resp, TestServer, TestUser, html::input_value, on_both_databases, process::ServerProcess,
    web::log_in,
};

on_both_databases!(
    api_guessing_is_throttled_per_account_not_per_address,
    git_and_the_login_form_are_throttled_alike,
    the_right_password_works_again_when_the_window_passes,
    parallel_guesses_stop_at_the_limit,
    a_coarser_limit_per_address_sits_above_the_account_limit,
    a_flood_of_bad_logins_keeps_memory_bounded,
);

/// Failures allowed for one account from one address within the window (the contract's 10).
const LIMIT: usize = 10;

/// `GET /api/v1/user` with Basic `user:password`.
async fn basic_me(s: &TestServer, user: &str, password: &str) -> Resp {
    s.send(
        s.http
            .get(s.url("/api/v1/user"))
            .basic_auth(user, Some(password)),
    )
    .await
}

/// Checks a 429 carries `Retry-After` in whole seconds within `1..=max`; returns it.
#[track_caller]
fn retry_after(resp: &Resp, max: u64) -> u64 {
    assert_eq!(resp.status.as_u16(), 429, "throttled; body: {}", resp.body);
    let value = resp
        .header("retry-after")
        .unwrap_or_else(|| panic!("429 without Retry-After: {:?}", resp.headers));
    let secs: u64 = value
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After is not whole seconds: {value:?}"));
    assert!(
        (1..=max).contains(&secs),
        "Retry-After {secs} not in 1..={max}"
    );
    secs
}

async fn api_guessing_is_throttled_per_account_not_per_address(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let bob = s.create_user("bob").await;

    for i in 0..LIMIT {
        basic_me(&s, "alice", &format!("guess-{i}"))
            .await
            .expect_error(401, "unauthorized");
    }
    // The 11th guess is refused before any password is checked, in the contract's shape.
    let throttled = basic_me(&s, "alice", "guess-again").await;
    throttled.expect_error(429, "too_many_requests");
    retry_after(&throttled, 300);
    // While throttled, even the right password is refused (the guesser cannot tell)…
    let right = basic_me(&s, "ALICE", &alice.password).await;
    right.expect_error(429, "too_many_requests");
    retry_after(&right, 300);
    // …and so is creating a token with it.
    let token = s
        .send(
            s.http
                .post(s.url("/api/v1/user/tokens"))
                .basic_auth("alice", Some(&alice.password))
                .json(&json!({ "name": "laptop" })),
        )
        .await;
    token.expect_error(429, "too_many_requests");
    retry_after(&token, 300);
    // The same account from another client address is not throttled: the server sees each
    // connection's own peer address.
    let elsewhere = Client::builder()
        .no_proxy()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let other = s
        .send(
            elsewhere
                .get(s.url("/api/v1/user"))
                .basic_auth("alice", Some(&alice.password)),
        )
        .await;
    other.expect(200);
    // Tokens are not guessable and not throttled: as Bearer, or as the Basic password.
    s.get("/api/v1/user", Some(&alice)).await.expect(200);
    basic_me(&s, "alice", &alice.token).await.expect(200);

    // Another account from the same address is not affected.
    let me = basic_me(&s, "bob", &bob.password).await;
    me.expect(200);
    assert_eq!(me.json()["username"], "bob");
    basic_me(&s, "bob", "bob-guess")
        .await
        .expect_error(401, "unauthorized");

    // Unknown names are throttled the same way, so throttling says nothing about who exists.
    for i in 0..LIMIT {
        basic_me(&s, "nobody", &format!("guess-{i}"))
            .await
            .expect_error(401, "unauthorized");
    }
    basic_me(&s, "nobody", "guess-again")
        .await
        .expect_error(429, "too_many_requests");
}

async fn git_and_the_login_form_are_throttled_alike(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let carol = s.create_user("carol").await;
    s.create_repo(&alice, "secret", true).await;
    let info_refs = s.url("/alice/secret.git/info/refs?service=git-upload-pack");

    // git Basic auth: plain-text refusals, as git shows them.
    for i in 0..LIMIT {
        let resp = s
            .send(
                s.http
                    .get(&info_refs)
                    .basic_auth("alice", Some(format!("guess-{i}"))),
            )
            .await;
        assert_eq!(resp.status.as_u16(), 401, "guess {i}: {}", resp.body);
    }
    let throttled = s
        .send(
            s.http
                .get(&info_refs)
                .basic_auth("alice", Some(&alice.password)),
        )
        .await;
    retry_after(&throttled, 300);
    assert!(
        throttled.body.to_ascii_lowercase().contains("try again"),
        "git shows why: {}",
        throttled.body
    );
    // The same account through the API counts the same failures.
    basic_me(&s, "alice", &alice.password)
        .await
        .expect_error(429, "too_many_requests");
    // A token still clones.
    let with_token = s
        .send(
            s.http
                .get(&info_refs)
                .basic_auth("alice", Some(&alice.token)),
        )
        .await;
    with_token.expect(200);

    // The login form: wrong passwords show the form again (422), then a 429 page that says why.
    let browser = s.browser();
    for i in 0..LIMIT {
        let resp = log_in(&s, &browser, "carol", &format!("guess-{i}")).await;
        resp.expect(422);
    }
    let page = log_in(&s, &browser, "carol", &carol.password).await;
    let secs = retry_after(&page, 300);
    assert!(
        page.body.contains("Too many failed attempts"),
        "the page says why: {}",
        page.body
    );
    assert!(
        page.body.contains(&format!("{secs} second")) || page.body.contains("minute"),
        "and when to try again: {}",
        page.body
    );
    assert!(
        input_value(&page.body, "csrf_token").is_some(),
        "the form is still there: {}",
        page.body
    );
    // Another browser (same address) is throttled for carol too, but alice's neighbour is not.
    let other = s.browser();
    let again = log_in(&s, &other, "carol", &carol.password).await;
    retry_after(&again, 300);
    let bob = s.create_user("bob").await;
    let ok = log_in(&s, &other, "bob", &bob.password).await;
    assert_eq!(ok.status.as_u16(), 303, "bob logs in: {}", ok.body);
}

async fn the_right_password_works_again_when_the_window_passes(db: Db) {
    let window = Duration::from_secs(3);
    let s = TestServer::start_with(&db, |c| c.login_throttle.window = window).await;
    let alice: TestUser = s.create_admin("alice").await;

    // A success clears the failures before it: 9 wrong, right, 9 wrong is never throttled.
    for round in 0..2 {
        for i in 0..LIMIT - 1 {
            basic_me(&s, "alice", &format!("round-{round}-guess-{i}"))
                .await
                .expect_error(401, "unauthorized");
        }
        basic_me(&s, "alice", &alice.password).await.expect(200);
    }

    for i in 0..LIMIT {
        basic_me(&s, "alice", &format!("guess-{i}"))
            .await
            .expect_error(401, "unauthorized");
    }
    let throttled = basic_me(&s, "alice", &alice.password).await;
    let secs = retry_after(&throttled, window.as_secs());
    // Asking again while throttled does not extend the wait: once Retry-After has passed
    // (counted from the first refusal), the right password works.
    let first_refusal = std::time::Instant::now();
    basic_me(&s, "alice", &alice.password)
        .await
        .expect_error(429, "too_many_requests");
    tokio::time::sleep(Duration::from_secs(secs).saturating_sub(first_refusal.elapsed())).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let me = basic_me(&s, "alice", &alice.password).await;
    me.expect(200);
    assert_eq!(me.json()["username"], "alice");
}

async fn parallel_guesses_stop_at_the_limit(db: Db) {
    const GUESSES: usize = 100;
    let s = TestServer::start(&db).await;
    s.create_admin("alice").await;
    // All at once: each guess takes its place in the count before its password is hashed, so
    // exactly the limit of them are checked however many run together.
    let guesses = (0..GUESSES).map(|i| {
        let request = s
            .http
            .get(s.url("/api/v1/user"))
            .basic_auth("alice", Some(format!("parallel-guess-{i}")));
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.expect("answered"))
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (checked, refused),
        (LIMIT, GUESSES - LIMIT),
        "(passwords checked, refused) of {GUESSES} parallel guesses: {statuses:?}"
    );
}

async fn a_coarser_limit_per_address_sits_above_the_account_limit(db: Db) {
    let s = TestServer::start_with(&db, |c| c.login_throttle.per_address = 25).await;
    let alice = s.create_admin("alice").await;
    // One wrong password each for 25 names: no account reaches its limit…
    for i in 0..25 {
        basic_me(&s, &format!("user{i}"), "guess")
            .await
            .expect_error(401, "unauthorized");
    }
    // …but the address has made 25 failures: every password from it now waits.
    let throttled = basic_me(&s, "alice", &alice.password).await;
    throttled.expect_error(429, "too_many_requests");
    retry_after(&throttled, 300);
    // Tokens still work.
    s.get("/api/v1/user", Some(&alice)).await.expect(200);
    // The default sits far above the account limit (a team behind one NAT keeps working).
    let defaults = mirrorforge::config::Config::for_data_dir("/nonexistent".into());
    assert!(
        defaults.login_throttle.per_address >= 20 * defaults.login_throttle.per_account,
        "{:?}",
        defaults.login_throttle
    );
}

/// The server's peak resident memory so far (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status:\n{status}"))
}

async fn a_flood_of_bad_logins_keeps_memory_bounded(db: Db) {
    const PARALLEL: usize = 100;
    const BOUND_MIB: u64 = 400;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path(), &db.database_url(dir.path()), &[]).await;
    let pid = server.pid();
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    // One request first, so the baseline includes everything a single login costs.
    let first = http
        .get(server.url("/api/v1/user"))
        .basic_auth("warm-up", Some("wrong password"))
        .send()
        .await
        .expect("answers");
    assert_eq!(first.status().as_u16(), 401);
    let before = peak_rss_kib(pid);

    // Each request names another (unknown) account, so no account limit cuts the flood short:
    // every one of them needs a password check.
    let requests = (0..PARALLEL).map(|i| {
        let request = http
            .get(server.url("/api/v1/user"))
            .basic_auth(format!("flood{i}"), Some(format!("wrong password {i}")));
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let statuses = futures_util::future::join_all(requests).await;
    for status in &statuses {
        assert_eq!(status.as_ref().ok(), Some(&401), "{statuses:?}");
    }
    let after = peak_rss_kib(pid);
    eprintln!(
        "peak RSS of the server: {} MiB before, {} MiB after {PARALLEL} parallel bad logins",
        before / 1024,
        after / 1024
    );
    assert!(
        after < BOUND_MIB * 1024,
        "peak RSS {} MiB after {PARALLEL} parallel bad logins (bound {BOUND_MIB} MiB; {} MiB before)",
        after / 1024,
        before / 1024
    );
    server.terminate().await;
}
