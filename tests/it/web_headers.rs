//! What every answer says about itself: no framing, no sniffing, private pages not cached; and
//! absolute URLs built from `MIRRORFORGE_PUBLIC_URL` or the bound address, never from `Host`.

use reqwest::header::HOST;

use crate::support::{
    Db, Resp, TestServer, TestUser,
    html::set_cookie,
    on_both_databases,
    process::{ServerProcess, cli_user_with_token},
    web::log_in,
};

on_both_databases!(
    every_answer_forbids_framing_and_sniffing,
    pages_and_api_answers_are_not_cached_but_static_files_are,
    a_hostile_host_header_never_reaches_a_clone_url,
    the_public_url_builds_clone_urls_and_makes_cookies_secure,
    the_public_url_is_read_from_the_environment_and_checked,
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
    log_in(&s, &browser, "alice", &alice.password)
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

/// Every place a clone URL shows, fetched with `Host: evil.example`: the API's repository,
/// the caller's list and the repository page.
async fn clone_urls_seen_with_a_hostile_host(s: &TestServer, alice: &TestUser) -> Vec<String> {
    let with_host = |path: &str| {
        s.http
            .get(s.url(path))
            .bearer_auth(&alice.token)
            .header(HOST, "evil.example")
    };
    let repo = s.send(with_host("/api/v1/repos/alice/hello")).await;
    repo.expect(200);
    let list = s.send(with_host("/api/v1/user/repos")).await;
    list.expect(200);
    let page = s
        .send(
            s.http
                .get(s.url("/alice/hello"))
                .header(HOST, "evil.example"),
        )
        .await;
    page.expect(200);
    assert!(
        !page.body.contains("evil.example"),
        "the page shows the Host header: {}",
        page.body
    );
    let mut urls = vec![repo.json()["clone_url"].as_str().expect("url").to_owned()];
    urls.extend(
        list.json()
            .as_array()
            .expect("list")
            .iter()
            .map(|r| r["clone_url"].as_str().expect("url").to_owned()),
    );
    let shown = page
        .body
        .split("id=\"clone-url\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the page shows a clone URL")
        .to_owned();
    urls.push(shown);
    urls
}

async fn a_hostile_host_header_never_reaches_a_clone_url(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = setup(&s).await;
    for url in clone_urls_seen_with_a_hostile_host(&s, &alice).await {
        assert_eq!(url, format!("{}/alice/hello.git", s.base()));
    }
}

async fn the_public_url_builds_clone_urls_and_makes_cookies_secure(db: Db) {
    let public = "https://git.example.com";
    let s = TestServer::start_with(&db, |c| c.public_url = Some(public.to_owned())).await;
    let alice = setup(&s).await;
    for url in clone_urls_seen_with_a_hostile_host(&s, &alice).await {
        assert_eq!(url, "https://git.example.com/alice/hello.git");
    }
    // Behind https, the session cookie is Secure.
    let browser = s.browser();
    let page = s.send(browser.get(s.url("/login"))).await;
    let cookie = set_cookie(&page.headers, "mirrorforge_session")
        .expect("the login form's session")
        .to_ascii_lowercase();
    assert!(cookie.contains("; secure"), "{cookie}");

    // Without a public URL (plain http), it is not: a browser would drop it.
    let plain = TestServer::start(&db).await;
    let page = plain.send(plain.browser().get(plain.url("/login"))).await;
    let cookie = set_cookie(&page.headers, "mirrorforge_session")
        .expect("the login form's session")
        .to_ascii_lowercase();
    assert!(!cookie.contains("secure"), "{cookie}");
}

async fn the_public_url_is_read_from_the_environment_and_checked(db: Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = db.database_url(dir.path());
    let token = cli_user_with_token(dir.path(), &url, "alice", "Alice-Password-123").await;
    let server = ServerProcess::start(
        dir.path(),
        &url,
        &[("MIRRORFORGE_PUBLIC_URL", "https://git.example.com/")],
    )
    .await;
    let (status, repo) = server
        .call(
            reqwest::Method::POST,
            "/api/v1/repos",
            &token,
            Some(serde_json::json!({ "name": "hello" })),
        )
        .await;
    assert_eq!(status, 201, "{repo}");
    assert_eq!(repo["clone_url"], "https://git.example.com/alice/hello.git");
    server.terminate().await;

    // A value that is not an absolute http(s) URL stops start-up, naming the variable.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_mirrorforge"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("MIRRORFORGE_DATA_DIR", dir.path())
        .env("DATABASE_URL", &url)
        .env("MIRRORFORGE_LISTEN", "127.0.0.1:0")
        .env(
            "MIRRORFORGE_PUBLIC_URL",
            "https://user:secret@git.example.com",
        )
        .output()
        .await
        .expect("the binary runs");
    assert!(!out.status.success(), "started with a bad public URL");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MIRRORFORGE_PUBLIC_URL"), "{stderr}");
    assert!(
        !stderr.contains("secret"),
        "the password is repeated: {stderr}"
    );
}
