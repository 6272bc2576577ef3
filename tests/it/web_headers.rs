//! What every answer says about itself: no framing, no sniffing, private pages not cached.

use crate::support::{Db, Resp, TestServer, TestUser, on_both_databases};

on_both_databases!(
    every_answer_forbids_framing_and_sniffing,
    pages_and_api_answers_are_not_cached_but_static_files_are,
);

/// Checks the anti-framing and anti-sniffing headers of one answer.
#[track_caller]
fn assert_hardened(what: &str, resp: &Resp) {
    assert_eq!(
        resp.header("x-frame-options"),
        Some("DENY"),
        "{what}: X-Frame-Options in {:?}",
        resp.headers
    );
    assert_eq!(
        resp.header("x-content-type-options"),
        Some("nosniff"),
        "{what}: X-Content-Type-Options in {:?}",
        resp.headers
    );
    assert_eq!(
        resp.header("content-security-policy"),
        Some("frame-ancestors 'none'"),
        "{what}: the same for browsers that read only CSP, in {:?}",
        resp.headers
    );
}

/// alice (the admin) with a public repository `hello`.
async fn setup(s: &TestServer) -> TestUser {
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "hello", false).await;
    alice
}

async fn every_answer_forbids_framing_and_sniffing(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = setup(&s).await;
    let browser = s.browser();
    let anonymous = [
        "/",
        "/login",
        "/register",
        "/alice/hello",
        "/no/such/page",
        "/api/v1/repos/alice/hello",
        "/api/v1/user",
        "/alice/hello.git/info/refs?service=git-upload-pack",
        "/static/css/app.css",
    ];
    for path in anonymous {
        let resp = s.send(browser.get(s.url(path))).await;
        assert_hardened(path, &resp);
    }
    // The pages with one-click buttons (Sync now, revoke a token), logged in.
    let page = s.send(browser.get(s.url("/login"))).await;
    let token = crate::support::html::input_value(&page.body, "csrf_token").expect("token");
    s.send(browser.post(s.url("/login")).form(&[
        ("username", "alice"),
        ("password", alice.password.as_str()),
        ("csrf_token", token.as_str()),
    ]))
    .await
    .expect(303);
    for path in ["/", "/user/settings/tokens", "/alice/hello/settings/mirror"] {
        let resp = s.send(browser.get(s.url(path))).await;
        resp.expect(200);
        assert_hardened(path, &resp);
    }
}

async fn pages_and_api_answers_are_not_cached_but_static_files_are(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = setup(&s).await;
    for (path, user) in [
        ("/", None),
        ("/login", None),
        ("/alice/hello", None),
        ("/api/v1/user", Some(&alice)),
        ("/api/v1/repos/alice/hello", Some(&alice)),
        ("/api/v1/user", None),
    ] {
        let resp = s.get(path, user).await;
        assert_eq!(
            resp.header("cache-control"),
            Some("no-store"),
            "{path}: {:?}",
            resp.headers
        );
    }
    // git keeps its own (the protocol's) no-cache, and static files stay cacheable.
    let refs = s
        .get("/alice/hello.git/info/refs?service=git-upload-pack", None)
        .await;
    refs.expect(200);
    assert_eq!(
        refs.header("cache-control"),
        Some("no-cache, max-age=0, must-revalidate")
    );
    let css = s.get("/static/css/app.css", None).await;
    css.expect(200);
    assert!(
        !css.header("cache-control")
            .unwrap_or_default()
            .contains("no-store"),
        "{:?}",
        css.headers
    );
}
