//! `GET /api/v1/repos/search`: the repositories the caller may read whose `owner/name` contains
//! `q`, ignoring case, in the listing shape (`X-Total-Count`, `Link`); private ones only for
//! their owners, their organisations' members and site admins; `%` and `_` taken literally.

use serde_json::Value;

use crate::support::{Db, TestServer, TestUser, on_both_databases};

on_both_databases!(
    each_caller_finds_what_they_may_read_by_owner_and_name,
    wildcards_and_odd_queries_match_literally_or_not_at_all,
    the_results_page_as_the_listings_do,
);

/// `owner/name` of every repository found, in order.
fn found(body: &Value) -> Vec<String> {
    body.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["full_name"].as_str().expect("full_name").to_owned())
        .collect()
}

async fn search(s: &TestServer, q: &str, user: Option<&TestUser>) -> Vec<String> {
    let resp = s
        .get(&format!("/api/v1/repos/search?q={}", urlencoding(q)), user)
        .await;
    resp.expect(200);
    let body = resp.json();
    assert_eq!(
        resp.header("x-total-count"),
        Some(found(&body).len().to_string().as_str()),
        "{q}"
    );
    found(&body)
}

/// `text` for a query string.
fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn each_caller_finds_what_they_may_read_by_owner_and_name(db: Db) {
    let s = TestServer::start(&db).await;
    let root = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "mirror-tools", false).await;
    s.create_repo(&alice, "secret-tool", true).await;
    s.create_repo(&bob, "tools", false).await;
    s.create_repo(&bob, "diary", true).await;
    s.create_org(&alice, "acme").await;
    s.create_org_repo(&alice, "acme", "acme-tool", true).await;

    assert_eq!(
        search(&s, "tool", None).await,
        ["alice/mirror-tools", "bob/tools"],
        "anonymous: the public ones only"
    );
    assert_eq!(
        search(&s, "TOOL", Some(&alice)).await,
        [
            "alice/mirror-tools",
            "alice/secret-tool",
            "bob/tools",
            "acme/acme-tool"
        ],
        "alice: her own private one and her organisation's, any case"
    );
    assert_eq!(
        search(&s, "tool", Some(&bob)).await,
        ["alice/mirror-tools", "bob/tools"],
        "bob is not in acme"
    );
    assert_eq!(search(&s, "tool", Some(&root)).await.len(), 4, "an admin");
    assert_eq!(search(&s, "diary", Some(&bob)).await, ["bob/diary"]);
    assert!(search(&s, "diary", Some(&alice)).await.is_empty());
    // The owner's name counts, and `owner/name` reads across the slash.
    assert_eq!(search(&s, "bob", None).await, ["bob/tools"]);
    assert_eq!(search(&s, "alice/mir", None).await, ["alice/mirror-tools"]);
    assert_eq!(
        search(&s, "ice/secret", Some(&alice)).await,
        ["alice/secret-tool"]
    );
    assert!(search(&s, "ice/secret", None).await.is_empty());
    assert!(search(&s, "alice/tools", None).await.is_empty());
    // Nothing private shows to anyone else, not even by name.
    let anonymous = s.get("/api/v1/repos/search?q=secret", None).await;
    anonymous.expect(200);
    assert!(!anonymous.body.contains("secret-tool"));
    assert_eq!(anonymous.header("x-total-count"), Some("0"));
}

async fn wildcards_and_odd_queries_match_literally_or_not_at_all(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "one", false).await;
    s.create_repo(&alice, "two_words", false).await;

    assert!(search(&s, "%", None).await.is_empty());
    assert_eq!(search(&s, "_", None).await, ["alice/two_words"]);
    assert!(
        search(&s, "o_e", None).await.is_empty(),
        "`_` is no wildcard"
    );
    assert!(search(&s, "a/b/c", None).await.is_empty());
    assert!(search(&s, "\\", None).await.is_empty());
    assert!(search(&s, &"x".repeat(5000), None).await.is_empty());
    // No `q`: every repository the caller may read.
    assert_eq!(search(&s, "", None).await.len(), 2);
}

async fn the_results_page_as_the_listings_do(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    for i in 0..3 {
        s.create_repo(&alice, &format!("r{i}"), false).await;
    }
    let first = s.get("/api/v1/repos/search?q=r&limit=2", None).await;
    first.expect(200);
    assert_eq!(first.header("x-total-count"), Some("3"));
    assert_eq!(found(&first.json()), ["alice/r0", "alice/r1"]);
    let link = first.header("link").expect("a Link header").to_owned();
    assert!(
        link.contains("/api/v1/repos/search?limit=2&page=2&q=r>; rel=\"next\""),
        "{link}"
    );
    let second = s.get("/api/v1/repos/search?q=r&limit=2&page=2", None).await;
    assert_eq!(found(&second.json()), ["alice/r2"]);
    s.get("/api/v1/repos/search?q=r&limit=51", None)
        .await
        .expect_error(400, "bad_request");
}
