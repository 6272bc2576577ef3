//! `/api/v1/repos` and `/api/v1/user/repos`: create, read, list and delete repositories.

use chrono::DateTime;
use serde_json::{Value, json};

use crate::support::{Db, TestServer, on_both_databases};

on_both_databases!(
    create_returns_the_contract_fields_and_a_bare_repository,
    taken_names_conflict_ignoring_case,
    bad_names_are_422_naming_the_field,
    malformed_bodies_are_400,
    creating_needs_a_caller,
    private_repositories_are_hidden_from_all_but_owner_and_admin,
    delete_is_for_the_owner_and_removes_the_directory,
    user_repos_lists_only_the_callers_own,
);

async fn create_returns_the_contract_fields_and_a_bare_repository(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;

    let resp = s
        .send(
            s.http
                .post(s.url("/api/v1/repos"))
                .bearer_auth(&alice.token)
                .json(&json!({ "name": "Hello-World", "description": "  my first  ", "private": true })),
        )
        .await;
    resp.expect(201);
    let repo = resp.json();
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
    assert_eq!(repo["empty"], true, "{repo}");
    assert_eq!(repo["mirror"], false, "{repo}");
    assert_eq!(repo["mirror_interval"], "", "{repo}");
    assert_eq!(
        repo["permissions"],
        json!({"admin": true, "push": true, "pull": true})
    );
    assert_eq!(
        repo["owner"]["email"], "",
        "no owner's address in a repository"
    );
    assert!(repo["id"].as_i64().is_some(), "{repo}");
    assert_eq!(repo["owner"]["login"], "alice");
    assert_eq!(repo["name"], "Hello-World");
    assert_eq!(repo["description"], "my first");
    assert_eq!(repo["private"], true);
    assert_eq!(repo["mirror_enabled"], false);
    // The stored direction, as the mirror settings show it (never null).
    assert_eq!(repo["mirror_direction"], "upstream");
    assert_eq!(
        repo["clone_url"],
        format!("{}/alice/Hello-World.git", s.base())
    );
    let created = repo["created_at"].as_str().expect("created_at is text");
    DateTime::parse_from_rfc3339(created).expect("created_at is RFC 3339");

    // On disk: DATA_DIR/repos/OWNER/NAME.git, a bare repository whose HEAD names main.
    let dir = s.repo_dir("alice", "Hello-World");
    let head = std::fs::read_to_string(dir.join("HEAD")).expect("HEAD exists");
    assert_eq!(head.trim(), "ref: refs/heads/main");
    assert!(dir.join("objects").is_dir() && dir.join("refs").is_dir());

    // Defaults: public, empty description.
    let plain = s.create_repo(&alice, "plain", false).await;
    assert_eq!(plain["private"], false);
    assert_eq!(plain["description"], "");
    let minimal = s
        .send(
            s.http
                .post(s.url("/api/v1/repos"))
                .bearer_auth(&alice.token)
                .json(&json!({ "name": "minimal" })),
        )
        .await;
    minimal.expect(201);
    assert_eq!(minimal.json()["private"], false);

    // What was created reads back the same.
    let read = s.get("/api/v1/repos/alice/Hello-World", Some(&alice)).await;
    read.expect(200);
    assert_eq!(read.json(), repo);
}

async fn taken_names_conflict_ignoring_case(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "project", false).await;
    for name in ["project", "PROJECT", "Project"] {
        s.send(
            s.http
                .post(s.url("/api/v1/repos"))
                .bearer_auth(&alice.token)
                .json(&json!({ "name": name })),
        )
        .await
        .expect_error(409, "conflict");
    }
    // The name is per owner: bob may have his own.
    s.create_repo(&bob, "project", false).await;
}

async fn bad_names_are_422_naming_the_field(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let long = "a".repeat(101);
    let bad: [Value; 9] = [
        json!("a b"),
        json!("x.git"),
        json!(".."),
        json!("."),
        json!(long),
        json!(""),
        json!("a/b"),
        json!("ü"),
        Value::Null,
    ];
    for name in bad {
        let body = s
            .send(
                s.http
                    .post(s.url("/api/v1/repos"))
                    .bearer_auth(&alice.token)
                    .json(&json!({ "name": name })),
            )
            .await
            .expect_error(422, "validation_failed");
        assert!(
            body["fields"]["name"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "fields.name for {name}: {body}"
        );
    }
    // A name of exactly 100 characters is fine; nothing bad reached the disk.
    s.create_repo(&alice, &"a".repeat(100), false).await;
    let on_disk: Vec<_> = std::fs::read_dir(s.data_dir().join("repos").join("alice"))
        .expect("alice's folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(on_disk.len(), 1, "{on_disk:?}");
    let listed = s.get("/api/v1/user/repos", Some(&alice)).await.json();
    assert_eq!(listed.as_array().expect("list").len(), 1, "{listed}");
}

async fn malformed_bodies_are_400(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let cases: [(&str, Option<&str>); 4] = [
        ("{\"name\": ", Some("application/json")),
        ("not json at all", Some("application/json")),
        ("{\"name\": 42}", Some("application/json")),
        ("{\"name\": \"ok\"}", None),
    ];
    for (body, content_type) in cases {
        let mut request = s
            .http
            .post(s.url("/api/v1/repos"))
            .bearer_auth(&alice.token)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        s.send(request).await.expect_error(400, "bad_request");
    }
    assert!(!s.repo_dir("alice", "ok").exists());
}

async fn creating_needs_a_caller(db: Db) {
    let s = TestServer::start(&db).await;
    s.send(
        s.http
            .post(s.url("/api/v1/repos"))
            .json(&json!({ "name": "sneaky" })),
    )
    .await
    .expect_error(401, "unauthorized");
    s.send(
        s.http
            .post(s.url("/api/v1/repos"))
            .bearer_auth("mf_not_a_real_token")
            .json(&json!({ "name": "sneaky" })),
    )
    .await
    .expect_error(401, "unauthorized");
    assert!(!s.data_dir().join("repos").join("sneaky").exists());
}

async fn private_repositories_are_hidden_from_all_but_owner_and_admin(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "open", false).await;
    s.create_repo(&alice, "secret", true).await;

    // Public: anyone, even anonymous.
    for viewer in [None, Some(&bob), Some(&alice)] {
        let resp = s.get("/api/v1/repos/alice/open", viewer).await;
        resp.expect(200);
        assert_eq!(resp.json()["name"], "open");
    }
    // Owner and repository names are case-insensitive in URLs.
    s.get("/api/v1/repos/ALICE/Open", None).await.expect(200);

    // Private: 404, exactly like a repository that does not exist.
    let hidden = s.get("/api/v1/repos/alice/secret", None).await;
    let hidden_body = hidden.expect_error(404, "not_found");
    let missing_body = s
        .get("/api/v1/repos/alice/no-such-repo", None)
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        hidden_body, missing_body,
        "a private repo must not differ from a missing one"
    );
    s.get("/api/v1/repos/alice/secret", Some(&bob))
        .await
        .expect_error(404, "not_found");
    s.get("/api/v1/repos/nobody/secret", None)
        .await
        .expect_error(404, "not_found");

    for viewer in [&alice, &admin] {
        let resp = s.get("/api/v1/repos/alice/secret", Some(viewer)).await;
        resp.expect(200);
        assert_eq!(resp.json()["private"], true);
    }

    // A header with bad credentials is 401, not "anonymous".
    s.send(
        s.http
            .get(s.url("/api/v1/repos/alice/open"))
            .bearer_auth("mf_wrong"),
    )
    .await
    .expect_error(401, "unauthorized");
}

async fn delete_is_for_the_owner_and_removes_the_directory(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "open", false).await;
    s.create_repo(&alice, "secret", true).await;
    s.create_repo(&alice, "third", true).await;
    let delete = |path: &str, user: Option<&crate::support::TestUser>| {
        let mut request = s.http.delete(s.url(path));
        if let Some(user) = user {
            request = request.bearer_auth(&user.token);
        }
        s.send(request)
    };

    delete("/api/v1/repos/alice/open", None)
        .await
        .expect_error(401, "unauthorized");
    delete("/api/v1/repos/alice/open", Some(&bob))
        .await
        .expect_error(403, "forbidden");
    delete("/api/v1/repos/alice/secret", Some(&bob))
        .await
        .expect_error(404, "not_found");
    assert!(s.repo_dir("alice", "open").is_dir());
    assert!(s.repo_dir("alice", "secret").is_dir());
    s.get("/api/v1/repos/alice/open", None).await.expect(200);

    for name in ["open", "secret"] {
        let resp = delete(&format!("/api/v1/repos/alice/{name}"), Some(&alice)).await;
        resp.expect(204);
        assert!(resp.body.is_empty(), "204 has no body: {}", resp.body);
        assert!(
            !s.repo_dir("alice", name).exists(),
            "the directory of {name} is gone"
        );
        s.get(&format!("/api/v1/repos/alice/{name}"), Some(&alice))
            .await
            .expect_error(404, "not_found");
    }
    delete("/api/v1/repos/alice/open", Some(&alice))
        .await
        .expect_error(404, "not_found");

    // An administrator may delete anyone's repository.
    delete("/api/v1/repos/alice/third", Some(&admin))
        .await
        .expect(204);
    assert!(!s.repo_dir("alice", "third").exists());

    // The name is free again.
    s.create_repo(&alice, "open", false).await;
    assert!(s.repo_dir("alice", "open").is_dir());
}

async fn user_repos_lists_only_the_callers_own(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "zeta", true).await;
    s.create_repo(&alice, "alpha", false).await;
    s.create_repo(&bob, "bobs", false).await;
    s.create_repo(&bob, "bobs-secret", true).await;

    let names = |list: Value| -> Vec<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|r| {
                assert!(r["clone_url"].is_string() && r["id"].is_i64(), "{r}");
                format!(
                    "{}/{}",
                    r["owner"]["login"].as_str().expect("owner"),
                    r["name"].as_str().expect("name")
                )
            })
            .collect()
    };
    let resp = s.get("/api/v1/user/repos", Some(&alice)).await;
    resp.expect(200);
    // Oldest first, as Gitea lists them.
    assert_eq!(names(resp.json()), ["alice/zeta", "alice/alpha"]);
    let resp = s.get("/api/v1/user/repos", Some(&bob)).await;
    assert_eq!(names(resp.json()), ["bob/bobs", "bob/bobs-secret"]);
    // Even an administrator's own list holds only their own.
    let resp = s.get("/api/v1/user/repos", Some(&admin)).await;
    resp.expect(200);
    assert_eq!(resp.json(), json!([]));
}
