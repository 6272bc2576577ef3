//! Every list of the API pages as Gitea's do: `limit` and `page`, `X-Total-Count` with the
//! whole list's size, `Link` to the other pages, and 400 for a `limit` out of range.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    Db, Git, Resp, TestServer, TestUser,
    forge_standin::{Forge, ForgeStandIn},
    git_backend::GitBackend,
    mirror::{call, import_body, local_server, seed, settle, sync_now},
    on_both_databases,
};

on_both_databases!(every_list_pages_with_gitea_headers);

const TOKEN: &str = "ghp_standInToken0123456789abcdefABCDEF";

/// `GET path` as `user`.
async fn get(s: &TestServer, user: &TestUser, path: &str) -> Resp {
    call(s, "GET", path, user, None).await
}

/// Walks `path` one item a page: the first page holds one item and says there are `total`,
/// its `Link` leads to page 2 (keeping `limit` and every other parameter), which holds another
/// item; a `limit` past the list's largest answers 400 naming it.
async fn pages_one_at_a_time(s: &TestServer, user: &TestUser, path: &str, total: u64, max: u64) {
    let join = if path.contains('?') { '&' } else { '?' };
    let first = get(s, user, &format!("{path}{join}limit=1")).await;
    first.expect(200);
    assert_eq!(
        first.header("x-total-count"),
        Some(total.to_string().as_str()),
        "{path}"
    );
    let items = first.json();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{path}: {items}");
    let link = first.header("link").unwrap_or_default().to_owned();
    let to = |rel: &str| {
        link.split(',')
            .find(|part| part.ends_with(&format!("rel=\"{rel}\"")))
            .and_then(|part| part.split(['<', '>']).nth(1))
            .unwrap_or_else(|| panic!("{path}: no {rel} page in {link:?}"))
            .to_owned()
    };
    let next = to("next");
    assert!(next.starts_with(&s.base()), "{next}");
    assert!(
        next.contains("limit=1") && next.contains("page=2"),
        "{next}"
    );
    assert!(to("last").contains(&format!("page={total}")), "{link}");
    if let Some((_, query)) = path.split_once('?') {
        assert!(next.contains(query), "{next} lost {query}");
    }
    let second = s.send(s.http.get(next).bearer_auth(&user.token)).await;
    second.expect(200);
    let second_items = second.json();
    assert_eq!(second_items.as_array().map(Vec::len), Some(1), "{path}");
    assert_ne!(items[0], second_items[0], "{path}: page 2 repeats page 1");
    let too_many = get(s, user, &format!("{path}{join}limit={}", max + 1)).await;
    let body = too_many.expect_error(400, "bad_request");
    assert!(
        body["error"].as_str().unwrap_or("").contains("limit"),
        "{body}"
    );
}

/// Waits until `path` says it holds `total` items.
async fn until_total(s: &TestServer, user: &TestUser, path: &str, total: u64) {
    let started = Instant::now();
    loop {
        let resp = get(s, user, path).await;
        resp.expect(200);
        if resp.header("x-total-count") == Some(total.to_string().as_str()) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{path} never held {total}: {}",
            resp.json()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn every_list_pages_with_gitea_headers(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let alice = s.create_admin("alice").await;
    let bob = s.create_user("bob").await;
    let remotes = GitBackend::start().await;

    // Accounts (Gitea's ranges: limit at most 50).
    pages_one_at_a_time(&s, &alice, "/api/v1/admin/users", 2, 50).await;

    // Organisations and their members.
    for org in ["acme", "globex"] {
        s.create_org(&alice, org).await;
    }
    s.set_role(&alice, "acme", &bob, "read").await;
    pages_one_at_a_time(&s, &alice, "/api/v1/user/orgs", 2, 50).await;
    pages_one_at_a_time(&s, &alice, "/api/v1/orgs/acme/members", 2, 50).await;

    // Mirrors, their runs, push mirrors.
    let git = Git::new();
    let work = seed(&git, remotes.create("one").await.to_str().expect("path")).await;
    let two = remotes.create("two").await;
    git.ok(&work, &["push", "-q", two.to_str().expect("path"), "main"])
        .await;
    for name in ["one", "two"] {
        let made = import_body(
            &s,
            &alice,
            json!({"clone_url": remotes.url(name), "name": name, "mirror": true}),
        )
        .await;
        made.expect(201);
        settle(&s, &alice, name).await;
    }
    sync_now(&s, &alice, "one").await.expect(202);
    settle(&s, &alice, "one").await;
    pages_one_at_a_time(&s, &alice, "/api/v1/mirrors", 2, 100).await;
    pages_one_at_a_time(&s, &alice, "/api/v1/mirrors?status=success", 2, 100).await;
    pages_one_at_a_time(&s, &alice, "/api/v1/repos/alice/one/mirror/runs", 2, 100).await;
    for target in ["backup-a", "backup-b"] {
        remotes.create(target).await;
        call(
            &s,
            "POST",
            "/api/v1/repos/alice/one/push_mirrors",
            &alice,
            Some(json!({"remote_url": remotes.url(target)})),
        )
        .await
        .expect(201);
    }
    pages_one_at_a_time(&s, &alice, "/api/v1/repos/alice/one/push_mirrors", 2, 50).await;

    // A list with nothing in it still says so, and has no other page.
    let kept = get(&s, &alice, "/api/v1/repos/alice/one/mirror/kept").await;
    kept.expect(200);
    assert_eq!(kept.header("x-total-count"), Some("0"));
    assert_eq!(kept.header("link"), None);
    assert_eq!(kept.json(), json!([]));
    get(&s, &alice, "/api/v1/repos/alice/one/mirror/kept?limit=1001")
        .await
        .expect_error(400, "bad_request");

    // Account mirrors and the repositories one made.
    let forge = ForgeStandIn::start(Forge::Github, "initech", "x-access-token", TOKEN).await;
    let mut listing = Vec::new();
    for (id, name) in [(1, "app"), (2, "lib"), (3, "web")] {
        forge.git.create(name).await;
        listing.push(forge.repo(id, name));
    }
    forge.set(listing);
    let mut ids = Vec::new();
    // Into two owners, so that each makes its own three mirrors.
    for owner in ["globex", "alice"] {
        let created = call(
            &s,
            "POST",
            "/api/v1/account_mirrors",
            &alice,
            Some(json!({"provider": "github", "api_url": forge.api_url(),
                        "account": "initech", "token": TOKEN, "owner": owner})),
        )
        .await;
        created.expect(201);
        let body: Value = created.json();
        ids.push(body["id"].as_i64().expect("id"));
    }
    pages_one_at_a_time(&s, &alice, "/api/v1/account_mirrors", 2, 1000).await;
    let repositories = format!("/api/v1/account_mirrors/{}/repositories", ids[0]);
    until_total(&s, &alice, &repositories, 3).await;
    pages_one_at_a_time(&s, &alice, &repositories, 3, 1000).await;

    // Whoever may not see a list gets no headers of it.
    let refused = get(&s, &bob, "/api/v1/admin/users").await;
    refused.expect(403);
    assert_eq!(refused.header("x-total-count"), None);
}
