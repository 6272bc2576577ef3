//! `GET /api/v1/users/:username/repos`: a user's repositories in the shape Gitea and Forgejo
//! clients read, paged with `X-Total-Count` and `Link` as Gitea sends them.

use serde_json::{Value, json};

use crate::support::{
    Db, TestServer,
    git::Git,
    git_backend::GitBackend,
    mirror::{import_body, seed, settle, start},
    on_both_databases,
};

on_both_databases!(
    thirty_five_repositories_page_as_gitea_pages_them,
    out_of_range_paging_is_400,
    private_repositories_are_listed_for_the_owner_and_admins_only,
    an_unknown_user_is_404,
    every_field_has_its_gitea_type_and_no_url_carries_credentials,
    a_pull_mirror_is_listed_as_a_mirror_without_its_upstream_credentials,
);

/// The `rel="…"` URLs of a `Link` header, by rel.
fn rels(link: &str) -> Vec<(String, String)> {
    link.split(',')
        .map(|part| {
            let (url, rel) = part.split_once(';').expect("<url>; rel=\"…\"");
            let url = url.trim().trim_start_matches('<').trim_end_matches('>');
            let rel = rel
                .trim()
                .trim_start_matches("rel=\"")
                .trim_end_matches('"');
            (rel.to_owned(), url.to_owned())
        })
        .collect()
}

fn rel<'a>(links: &'a [(String, String)], name: &str) -> Option<&'a str> {
    links
        .iter()
        .find(|(rel, _)| rel == name)
        .map(|(_, url)| url.as_str())
}

fn names(body: &Value) -> Vec<String> {
    body.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn thirty_five_repositories_page_as_gitea_pages_them(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    for i in 0..35 {
        s.create_repo(&alice, &format!("r{i:02}"), false).await;
    }

    let first = s.get("/api/v1/users/alice/repos", None).await;
    first.expect(200);
    assert_eq!(first.header("x-total-count"), Some("35"));
    let page_one = names(&first.json());
    assert_eq!(page_one.len(), 30);
    // Oldest first, as Gitea lists them (by id).
    assert_eq!(page_one[0], "r00");
    assert_eq!(page_one[29], "r29");
    let links = rels(first.header("link").expect("a Link header"));
    let base = s.base();
    assert_eq!(
        rel(&links, "next"),
        Some(format!("{base}/api/v1/users/alice/repos?page=2").as_str())
    );
    assert_eq!(
        rel(&links, "last"),
        Some(format!("{base}/api/v1/users/alice/repos?page=2").as_str())
    );
    assert_eq!(rel(&links, "prev"), None);
    assert_eq!(rel(&links, "first"), None);

    // The next page, with the limit spelled out: the links keep it.
    let second = s
        .get("/api/v1/users/alice/repos?limit=30&page=2", None)
        .await;
    second.expect(200);
    assert_eq!(second.header("x-total-count"), Some("35"));
    assert_eq!(names(&second.json()), ["r30", "r31", "r32", "r33", "r34"]);
    let links = rels(second.header("link").expect("a Link header"));
    assert_eq!(rel(&links, "next"), None);
    assert_eq!(rel(&links, "last"), None);
    assert_eq!(
        rel(&links, "prev"),
        Some(format!("{base}/api/v1/users/alice/repos?limit=30&page=1").as_str())
    );
    assert_eq!(
        rel(&links, "first"),
        Some(format!("{base}/api/v1/users/alice/repos?limit=30&page=1").as_str())
    );

    // Following the first page's `next` gives the same second page.
    let followed = s
        .send(
            s.http
                .get(rel(&rels(first.header("link").expect("link")), "next").expect("next")),
        )
        .await;
    followed.expect(200);
    assert_eq!(names(&followed.json()).len(), 5);

    let small = s
        .get("/api/v1/users/alice/repos?limit=10&page=4", None)
        .await;
    small.expect(200);
    assert_eq!(names(&small.json()), ["r30", "r31", "r32", "r33", "r34"]);
    let small_links = rels(small.header("link").expect("link"));
    assert_eq!(rel(&small_links, "next"), None);

    let middle = s
        .get("/api/v1/users/alice/repos?limit=10&page=2", None)
        .await;
    let links = rels(middle.header("link").expect("link"));
    assert_eq!(
        rel(&links, "next"),
        Some(format!("{base}/api/v1/users/alice/repos?limit=10&page=3").as_str())
    );
    assert_eq!(
        rel(&links, "last"),
        Some(format!("{base}/api/v1/users/alice/repos?limit=10&page=4").as_str())
    );

    // Past the end: an empty page, the total still told.
    let past = s.get("/api/v1/users/alice/repos?page=3", None).await;
    past.expect(200);
    assert_eq!(past.json(), Value::Array(vec![]));
    assert_eq!(past.header("x-total-count"), Some("35"));
}

async fn out_of_range_paging_is_400(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "one", false).await;
    for query in ["limit=0", "limit=51", "page=0", "limit=ten"] {
        let resp = s
            .get(&format!("/api/v1/users/alice/repos?{query}"), None)
            .await;
        let body = resp.expect_error(400, "bad_request");
        let named = if query.starts_with("page") {
            "page"
        } else {
            "limit"
        };
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains(named)),
            "{query}: {body}"
        );
    }
    s.get("/api/v1/users/alice/repos?limit=50", None)
        .await
        .expect(200);
    s.get("/api/v1/users/alice/repos?limit=1", None)
        .await
        .expect(200);
}

async fn private_repositories_are_listed_for_the_owner_and_admins_only(db: Db) {
    let s = TestServer::start(&db).await;
    let root = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "open", false).await;
    s.create_repo(&alice, "secret", true).await;
    s.create_repo(&alice, "shown", false).await;

    for (who, caller) in [("alice", Some(&alice)), ("root", Some(&root))] {
        let resp = s.get("/api/v1/users/alice/repos", caller).await;
        resp.expect(200);
        assert_eq!(resp.header("x-total-count"), Some("3"), "{who}");
        assert_eq!(names(&resp.json()), ["open", "secret", "shown"], "{who}");
        let secret = &resp.json()[1];
        assert_eq!(secret["private"], true, "{who}");
    }
    for (who, caller) in [("bob", Some(&bob)), ("anonymous", None)] {
        let resp = s.get("/api/v1/users/alice/repos", caller).await;
        resp.expect(200);
        assert_eq!(resp.header("x-total-count"), Some("2"), "{who}");
        assert_eq!(names(&resp.json()), ["open", "shown"], "{who}");
        assert!(!resp.body.contains("secret"), "{who}: {}", resp.body);
    }
    // A page of one for a stranger: the private repository neither listed nor counted.
    let resp = s
        .get("/api/v1/users/alice/repos?limit=1&page=2", Some(&bob))
        .await;
    assert_eq!(names(&resp.json()), ["shown"]);
    assert_eq!(resp.header("x-total-count"), Some("2"));
    assert!(rel(&rels(resp.header("link").expect("link")), "next").is_none());

    // The name is matched in any case; wrong credentials are 401, never anonymous.
    s.get("/api/v1/users/ALICE/repos", None).await.expect(200);
    s.send(
        s.http
            .get(s.url("/api/v1/users/alice/repos"))
            .bearer_auth("not-a-token"),
    )
    .await
    .expect_error(401, "unauthorized");
}

async fn an_unknown_user_is_404(db: Db) {
    let s = TestServer::start(&db).await;
    let root = s.create_admin("root").await;
    s.get("/api/v1/users/nobody/repos", None)
        .await
        .expect_error(404, "not_found");
    s.get("/api/v1/users/nobody/repos", Some(&root))
        .await
        .expect_error(404, "not_found");
    // A user without repositories is an empty list, not a 404.
    let resp = s.get("/api/v1/users/root/repos", None).await;
    resp.expect(200);
    assert_eq!(resp.json(), Value::Array(vec![]));
    assert_eq!(resp.header("x-total-count"), Some("0"));
    assert!(resp.header("link").is_none());
}

async fn every_field_has_its_gitea_type_and_no_url_carries_credentials(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "empty-one", false).await;
    s.create_repo(&alice, "pushed", true).await;
    let git = Git::new();
    let work = git.init("work").await;
    git.commit_file(&work, "README", "hello", "first").await;
    git.ok(&work, &["branch", "-m", "main", "trunk"]).await;
    let url = s.git_url(Some(("alice", &alice.token)), "alice", "pushed");
    git.ok(&work, &["push", "-q", &url, "trunk"]).await;

    let resp = s.get("/api/v1/users/alice/repos", Some(&alice)).await;
    resp.expect(200);
    let list = resp.json();
    let base = s.base();
    for repo in list.as_array().expect("a list") {
        let mut keys: Vec<&str> = repo
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "archived",
                "clone_url",
                "created_at",
                "default_branch",
                "description",
                "empty",
                "fork",
                "full_name",
                "html_url",
                "id",
                "mirror",
                "mirror_direction",
                "mirror_enabled",
                "mirror_interval",
                "mirror_updated",
                "name",
                "owner",
                "permissions",
                "private",
                "ssh_url",
                "updated_at"
            ]
        );
        let name = repo["name"].as_str().expect("name is text");
        assert!(repo["id"].as_i64().is_some(), "{repo}");
        assert_eq!(repo["full_name"], format!("alice/{name}"));
        assert_eq!(repo["owner"]["login"], "alice");
        assert_eq!(repo["owner"]["id"].as_i64(), Some(alice.id));
        assert!(repo["owner"]["full_name"].is_string(), "{repo}");
        assert!(repo["description"].is_string(), "{repo}");
        assert!(repo["private"].is_boolean(), "{repo}");
        assert_eq!(repo["fork"], false);
        assert_eq!(repo["archived"], false);
        assert_eq!(repo["mirror"], false);
        assert!(repo["empty"].is_boolean(), "{repo}");
        assert!(repo["default_branch"].is_string(), "{repo}");
        assert_eq!(repo["clone_url"], format!("{base}/alice/{name}.git"));
        assert_eq!(repo["html_url"], format!("{base}/alice/{name}"));
        let updated = repo["updated_at"].as_str().expect("updated_at is text");
        chrono::DateTime::parse_from_rfc3339(updated).expect("updated_at is RFC 3339");
        for field in ["clone_url", "html_url"] {
            let url = url::Url::parse(repo[field].as_str().expect("text")).expect("absolute");
            assert!(
                url.username().is_empty() && url.password().is_none(),
                "{url}"
            );
        }
    }
    assert_eq!(list[0]["name"], "empty-one");
    assert_eq!(list[0]["empty"], true);
    assert_eq!(list[0]["default_branch"], "main");
    assert_eq!(list[0]["private"], false);
    assert_eq!(list[1]["name"], "pushed");
    assert_eq!(list[1]["empty"], false);
    assert_eq!(list[1]["default_branch"], "trunk");
    assert_eq!(list[1]["private"], true);
    assert!(!resp.body.contains(&alice.token));
    assert!(!resp.body.contains(&alice.password));
}

async fn a_pull_mirror_is_listed_as_a_mirror_without_its_upstream_credentials(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::with_auth("bob", "upstream-S3cret").await;
    // Any answer carrying the upstream's password fails the test.
    s.forbid_in_answers("upstream-S3cret");
    let bare = upstream.create("src").await;
    let git = Git::new();
    seed(&git, bare.to_str().expect("utf-8 path")).await;
    import_body(
        &s,
        &owner,
        json!({
            "name": "src", "clone_url": upstream.url("src"), "mirror": true,
            "auth_username": "bob", "auth_password": "upstream-S3cret", "sync_interval": 3600
        }),
    )
    .await
    .expect(201);
    settle(&s, &owner, "src").await;
    s.create_repo(&owner, "plain", false).await;

    let resp = s.get("/api/v1/users/owner/repos", None).await;
    resp.expect(200);
    let list = resp.json();
    assert_eq!(names(&list), ["src", "plain"]);
    assert_eq!(list[0]["mirror"], true);
    assert_eq!(list[0]["empty"], false);
    assert_eq!(list[0]["default_branch"], "main");
    assert_eq!(list[1]["mirror"], false);
    assert!(!resp.body.contains("bob@"), "{}", resp.body);
    assert!(!resp.body.contains(&upstream.url("src")), "{}", resp.body);
}
