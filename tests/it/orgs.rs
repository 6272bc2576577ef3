//! Organisations through the API: one namespace with users (also under simultaneous
//! creation), members and roles, what each role may do with the organisation's repositories
//! (API and pages), the Gitea-shaped listing, import into an organisation, and the protections
//! (the last owner stays, an organisation with repositories stays).

use std::time::Duration;

use mirrorforge::accounts::users;
use serde_json::{Value, json};

use crate::support::{
    Db, TestServer, TestUser,
    git::Git,
    git_backend::GitBackend,
    mirror::{call, import_body, local_server, seed},
    on_both_databases,
    web::{get as page, logged_in_as},
};

on_both_databases!(
    users_and_organisations_share_one_namespace,
    simultaneous_creations_of_one_name_make_exactly_one,
    members_roles_and_the_last_owner,
    each_role_against_the_api_and_the_pages,
    the_organisation_listing_pages_as_gitea_does,
    import_into_an_organisation_takes_write,
    an_organisation_with_repositories_cannot_be_deleted,
    an_organisation_never_signs_in,
    the_migration_keeps_every_repository_with_its_owner,
);

/// The names in a listing.
fn names(body: &Value) -> Vec<String> {
    body.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

/// A person through the account service, as registration makes them; the error if refused.
async fn register(s: &TestServer, name: &str) -> Result<(), mirrorforge::error::Error> {
    users::create(
        &s.conn,
        users::NewUser {
            username: name.to_owned(),
            email: format!("{name}@example.com"),
            password: "a long enough password".to_owned(),
            is_admin: false,
        },
    )
    .await
    .map(|_| ())
}

async fn users_and_organisations_share_one_namespace(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;

    // An organisation cannot take a user's name, in any case.
    let taken = call(
        &s,
        "POST",
        "/api/v1/orgs",
        &alice,
        Some(json!({"name": "ALICE"})),
    )
    .await;
    let body = taken.expect_error(409, "conflict");
    assert!(body["error"].as_str().unwrap().contains("taken"), "{body}");
    // Nor a reserved word, nor a bad name (422 naming the field).
    for bad in ["orgs", "new", "a b", ""] {
        let refused = call(
            &s,
            "POST",
            "/api/v1/orgs",
            &alice,
            Some(json!({"name": bad})),
        )
        .await;
        let body = refused.expect_error(422, "validation_failed");
        assert!(body["fields"]["name"].is_string(), "{bad}: {body}");
    }

    // A user cannot take an organisation's name.
    let org = s.create_org(&alice, "Acme").await;
    assert_eq!(org["name"], "Acme");
    assert_eq!(org["description"], "");
    assert!(org["created_at"].is_string());
    let err = register(&s, "acme")
        .await
        .expect_err("a user named like an organisation");
    assert!(
        matches!(err, mirrorforge::error::Error::Conflict(_)),
        "{err:?}"
    );
    let again = call(
        &s,
        "POST",
        "/api/v1/orgs",
        &alice,
        Some(json!({"name": "acme"})),
    )
    .await;
    again.expect_error(409, "conflict");

    // Organisations are public: anyone reads one; an unknown one is 404; a person is not one.
    let shown = s.get("/api/v1/orgs/ACME", None).await;
    shown.expect(200);
    assert_eq!(shown.json()["name"], "Acme");
    s.get("/api/v1/orgs/nobody", None)
        .await
        .expect_error(404, "not_found");
    s.get("/api/v1/orgs/alice", None)
        .await
        .expect_error(404, "not_found");
}

async fn simultaneous_creations_of_one_name_make_exactly_one(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    for round in 0..3 {
        let name = format!("same{round}");
        let orgs = (0..4).map(|_| {
            call(
                &s,
                "POST",
                "/api/v1/orgs",
                &alice,
                Some(json!({"name": name.clone()})),
            )
        });
        let people = (0..4).map(|_| register(&s, &name));
        let (orgs, people) = futures_util::future::join(
            futures_util::future::join_all(orgs),
            futures_util::future::join_all(people),
        )
        .await;
        let made_orgs = orgs.iter().filter(|r| r.status.as_u16() == 201).count();
        for refused in orgs.iter().filter(|r| r.status.as_u16() != 201) {
            refused.expect_error(409, "conflict");
        }
        let made_people = people.iter().filter(|r| r.is_ok()).count();
        for err in people.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                matches!(err, mirrorforge::error::Error::Conflict(_)),
                "{err:?}"
            );
        }
        assert_eq!(
            made_orgs + made_people,
            1,
            "round {round}: exactly one owner of '{name}'"
        );
    }
}

async fn members_roles_and_the_last_owner(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let carol = s.create_user("carol").await;
    let dave = s.create_user("dave").await;
    let bob = s.create_user("bob").await;
    s.create_org(&carol, "acme").await;

    // The creator is its owner.
    let mine = call(&s, "GET", "/api/v1/user/orgs", &carol, None).await;
    mine.expect(200);
    assert_eq!(mine.json()[0]["name"], "acme");
    assert_eq!(mine.json()[0]["role"], "owner");
    let none = call(&s, "GET", "/api/v1/user/orgs", &bob, None).await;
    assert_eq!(none.json(), json!([]));

    // Owners add and change members; a bad role or an unknown user is refused.
    let added = put(&s, "dave", &carol, json!("read")).await;
    added.expect(200);
    assert_eq!(added.json(), json!({"username": "dave", "role": "read"}));
    put(&s, "dave", &carol, json!("admin"))
        .await
        .expect_error(422, "validation_failed");
    put(&s, "nobody", &carol, json!("read"))
        .await
        .expect_error(404, "not_found");
    put(&s, "dave", &carol, json!("write")).await.expect(200);

    // Members see the members; others do not.
    let listed = call(&s, "GET", "/api/v1/orgs/acme/members", &dave, None).await;
    listed.expect(200);
    assert_eq!(
        listed.json(),
        json!([{"username": "carol", "role": "owner"}, {"username": "dave", "role": "write"}])
    );
    call(&s, "GET", "/api/v1/orgs/acme/members", &bob, None)
        .await
        .expect_error(403, "forbidden");
    s.get("/api/v1/orgs/acme/members", None)
        .await
        .expect_error(401, "unauthorized");

    // Only owners manage members: dave (write) may not add bob, nor remove carol.
    put(&s, "bob", &dave, json!("read"))
        .await
        .expect_error(403, "forbidden");
    call(&s, "DELETE", "/api/v1/orgs/acme/members/carol", &dave, None)
        .await
        .expect_error(403, "forbidden");

    // The last owner can neither leave nor stop being an owner.
    let leaving = call(
        &s,
        "DELETE",
        "/api/v1/orgs/acme/members/carol",
        &carol,
        None,
    )
    .await;
    let body = leaving.expect_error(409, "conflict");
    assert!(
        body["error"].as_str().unwrap().contains("last owner"),
        "{body}"
    );
    put(&s, "carol", &carol, json!("write"))
        .await
        .expect_error(409, "conflict");
    // With a second owner, she may leave; a member may leave by themselves.
    put(&s, "dave", &carol, json!("owner")).await.expect(200);
    call(
        &s,
        "DELETE",
        "/api/v1/orgs/acme/members/carol",
        &carol,
        None,
    )
    .await
    .expect(204);
    let left = call(&s, "GET", "/api/v1/orgs/acme/members", &dave, None).await;
    assert_eq!(left.json(), json!([{"username": "dave", "role": "owner"}]));
    call(&s, "DELETE", "/api/v1/orgs/acme/members/carol", &dave, None)
        .await
        .expect_error(404, "not_found");
}

/// `METHOD path` as `user`, the status only.
/// `PUT /api/v1/orgs/acme/members/{who}` with `role`, as `by`.
async fn put(s: &TestServer, who: &str, by: &TestUser, role: Value) -> crate::support::Resp {
    let path = format!("/api/v1/orgs/acme/members/{who}");
    call(s, "PUT", &path, by, Some(json!({ "role": role }))).await
}

async fn status_of(
    s: &TestServer,
    method: &str,
    path: &str,
    user: Option<&TestUser>,
    body: Option<Value>,
) -> u16 {
    let url = s.url(path);
    let mut request = match method {
        "GET" => s.http.get(url),
        "POST" => s.http.post(url),
        "PATCH" => s.http.patch(url),
        _ => s.http.delete(url),
    };
    if let Some(user) = user {
        request = request.bearer_auth(&user.token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    s.send(request).await.status.as_u16()
}

async fn each_role_against_the_api_and_the_pages(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let root = s.create_admin("root").await;
    let carol = s.create_user("carol").await;
    let dave = s.create_user("dave").await;
    let erin = s.create_user("erin").await;
    let bob = s.create_user("bob").await;
    s.create_org(&carol, "acme").await;
    s.set_role(&carol, "acme", &dave, "write").await;
    s.set_role(&carol, "acme", &erin, "read").await;
    // A write member creates repositories in it; a read member may not.
    s.create_org_repo(&dave, "acme", "vault", true).await;
    s.create_org_repo(&dave, "acme", "open", false).await;
    let refused = call(
        &s,
        "POST",
        "/api/v1/orgs/acme/repos",
        &erin,
        Some(json!({"name": "x"})),
    )
    .await;
    refused.expect_error(403, "forbidden");
    // A mirror to press "Sync now" on.
    let upstream = GitBackend::start().await;
    let git = Git::new();
    let bare = upstream.create("src").await;
    seed(&git, bare.to_str().expect("utf-8 path")).await;
    call(
        &s,
        "PATCH",
        "/api/v1/repos/acme/open/mirror",
        &carol,
        Some(json!({"mirror_enabled": true, "mirror_direction": "upstream", "upstream_url": upstream.url("src")})),
    )
    .await
    .expect(200);

    let (owner, writer, reader, stranger, admin) = (
        Some(&carol),
        Some(&dave),
        Some(&erin),
        Some(&bob),
        Some(&root),
    );
    // (method, path, body, [owner, writer, reader, stranger, anonymous, admin])
    let cases: Vec<(&str, &str, Option<Value>, [u16; 6])> = vec![
        (
            "GET",
            "/api/v1/repos/acme/vault",
            None,
            [200, 200, 200, 404, 404, 200],
        ),
        (
            "GET",
            "/api/v1/repos/acme/open",
            None,
            [200, 200, 200, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/repos/acme/open/mirror/status",
            None,
            [200, 200, 403, 403, 401, 200],
        ),
        (
            "GET",
            "/api/v1/repos/acme/vault/mirror",
            None,
            [200, 403, 403, 404, 401, 200],
        ),
        (
            "PATCH",
            "/api/v1/repos/acme/vault/mirror",
            Some(json!({"sync_interval": 7200})),
            [200, 403, 403, 404, 401, 200],
        ),
        (
            "GET",
            "/api/v1/repos/acme/vault/push_mirrors",
            None,
            [200, 403, 403, 404, 401, 200],
        ),
    ];
    let callers = [owner, writer, reader, stranger, None, admin];
    let labels = ["owner", "write", "read", "stranger", "anonymous", "admin"];
    for (method, path, body, expected) in &cases {
        for ((caller, label), want) in callers.iter().zip(labels).zip(expected) {
            let got = status_of(&s, method, path, *caller, body.clone()).await;
            assert_eq!(got, *want, "{label}: {method} {path}");
        }
    }

    // "Sync now": write may, read may not; "Sync anyway" past the guard takes an owner.
    assert_eq!(
        status_of(&s, "POST", "/api/v1/repos/acme/open/sync", reader, None).await,
        403
    );
    assert_eq!(
        status_of(
            &s,
            "POST",
            "/api/v1/repos/acme/open/sync",
            writer,
            Some(json!({"allow_mass_delete": true}))
        )
        .await,
        403
    );
    let started = status_of(&s, "POST", "/api/v1/repos/acme/open/sync", writer, None).await;
    assert!(
        matches!(started, 202 | 409),
        "write starts a sync: {started}"
    );
    wait_idle(&s, &carol, "acme/open").await;

    // Deleting: owners (and admins) only.
    assert_eq!(
        status_of(&s, "DELETE", "/api/v1/repos/acme/vault", writer, None).await,
        403
    );
    assert_eq!(
        status_of(&s, "DELETE", "/api/v1/repos/acme/vault", reader, None).await,
        403
    );

    // Pages: the private repository's page for members only, its settings for owners only.
    for (user, repo_page, settings) in [
        (&carol, 200, 200),
        (&dave, 200, 403),
        (&erin, 200, 403),
        (&bob, 404, 404),
    ] {
        let browser = logged_in_as(&s, user).await;
        assert_eq!(
            page(&s, &browser, "/acme/vault").await.status.as_u16(),
            repo_page,
            "{}",
            user.username
        );
        assert_eq!(
            page(&s, &browser, "/acme/vault/settings/mirror")
                .await
                .status
                .as_u16(),
            settings,
            "{}",
            user.username
        );
    }
    let anonymous = s.browser();
    assert_eq!(
        page(&s, &anonymous, "/acme/vault").await.status.as_u16(),
        404
    );
    assert_eq!(
        page(&s, &anonymous, "/acme/open").await.status.as_u16(),
        200
    );
    // The write member sees "Sync now" on the mirror's page; the read member does not.
    let dave_page = page(&s, &logged_in_as(&s, &dave).await, "/acme/open").await;
    assert!(dave_page.body.contains("Sync now"), "write sees Sync now");
    let erin_page = page(&s, &logged_in_as(&s, &erin).await, "/acme/open").await;
    assert!(
        !erin_page.body.contains("Sync now"),
        "read does not see Sync now"
    );

    // The overview and the dashboard include the organisation's repositories, owner shown.
    let mirrors = call(&s, "GET", "/api/v1/mirrors", &erin, None).await;
    mirrors.expect(200);
    assert!(mirrors.body.contains("acme/open"), "{}", mirrors.body);
    let dashboard = page(&s, &logged_in_as(&s, &erin).await, "/").await;
    assert!(
        dashboard.body.contains("acme/vault") || dashboard.body.contains("/acme/vault"),
        "dashboard lists acme/vault"
    );
}

/// Waits until `repo` no longer syncs.
async fn wait_idle(s: &TestServer, user: &TestUser, repo: &str) {
    let path = format!("/api/v1/repos/{repo}/mirror/status");
    for _ in 0..600 {
        let status = call(s, "GET", &path, user, None).await.json();
        if status["sync_status"] != "syncing" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{repo} still syncing");
}

async fn the_organisation_listing_pages_as_gitea_does(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let carol = s.create_user("carol").await;
    let erin = s.create_user("erin").await;
    s.create_org(&carol, "acme").await;
    s.set_role(&carol, "acme", &erin, "read").await;
    for i in 0..33 {
        s.create_org_repo(&carol, "acme", &format!("r{i:02}"), i % 3 == 0)
            .await;
    }
    // Anonymous: the 22 public ones, 30 a page by default.
    let first = s.get("/api/v1/orgs/acme/repos", None).await;
    first.expect(200);
    assert_eq!(first.header("x-total-count"), Some("22"));
    assert_eq!(names(&first.json()).len(), 22);
    assert!(first.header("link").is_none(), "one page has no Link");
    // A member: all 33, in pages of 10.
    let base = s.base();
    let paged = s
        .get("/api/v1/orgs/acme/repos?limit=10&page=2", Some(&erin))
        .await;
    paged.expect(200);
    assert_eq!(paged.header("x-total-count"), Some("33"));
    assert_eq!(names(&paged.json())[0], "r10");
    let link = paged.header("link").expect("a Link header");
    assert!(
        link.contains(&format!(
            "<{base}/api/v1/orgs/acme/repos?limit=10&page=3>; rel=\"next\""
        )),
        "{link}"
    );
    assert!(
        link.contains(&format!(
            "<{base}/api/v1/orgs/acme/repos?limit=10&page=4>; rel=\"last\""
        )),
        "{link}"
    );
    let item = &paged.json()[0];
    assert_eq!(item["full_name"], "acme/r10");
    assert_eq!(item["owner"]["login"], "acme");
    s.get("/api/v1/orgs/acme/repos?limit=51", None)
        .await
        .expect_error(400, "bad_request");
    s.get("/api/v1/orgs/nobody/repos", None)
        .await
        .expect_error(404, "not_found");
    // The same shape lists an organisation through `/users/:name/repos`, as Gitea does.
    let as_user = s
        .get("/api/v1/users/acme/repos?limit=50", Some(&erin))
        .await;
    assert_eq!(as_user.header("x-total-count"), Some("33"));
}

async fn import_into_an_organisation_takes_write(db: Db) {
    let s = local_server(&db, |_| {}).await;
    s.create_admin("root").await;
    let carol = s.create_user("carol").await;
    let dave = s.create_user("dave").await;
    let erin = s.create_user("erin").await;
    s.create_org(&carol, "acme").await;
    s.set_role(&carol, "acme", &dave, "write").await;
    s.set_role(&carol, "acme", &erin, "read").await;
    let upstream = GitBackend::start().await;
    let git = Git::new();
    let bare = upstream.create("src").await;
    seed(&git, bare.to_str().expect("utf-8 path")).await;
    let body = |owner: &str| json!({"name": "src", "clone_url": upstream.url("src"), "mirror": true, "owner": owner});

    for (who, user) in [("read", &erin), ("stranger", &s.create_user("bob").await)] {
        let refused = import_body(&s, user, body("acme")).await;
        let err = refused.expect_error(403, "forbidden");
        assert!(
            err["error"].as_str().unwrap().contains("acme"),
            "{who}: {err}"
        );
    }
    import_body(&s, &erin, body("nobody"))
        .await
        .expect_error(403, "forbidden");
    let made = import_body(&s, &dave, body("acme")).await;
    made.expect(201);
    assert_eq!(made.json()["owner"]["login"], "acme");
    wait_idle(&s, &dave, "acme/src").await;
    let status = call(
        &s,
        "GET",
        "/api/v1/repos/acme/src/mirror/status",
        &dave,
        None,
    )
    .await
    .json();
    assert_eq!(status["sync_status"], "success", "{status}");
    let refs = git.show_ref(&s.repo_dir("acme", "src")).await;
    assert_eq!(refs, git.show_ref(&upstream.path("src")).await);
    // Without `owner`, the caller's own account, as before.
    let own = import_body(
        &s,
        &erin,
        json!({"name": "mine", "clone_url": upstream.url("src")}),
    )
    .await;
    own.expect(201);
    assert_eq!(own.json()["owner"]["login"], "erin");
}

async fn an_organisation_with_repositories_cannot_be_deleted(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let carol = s.create_user("carol").await;
    let dave = s.create_user("dave").await;
    s.create_org(&carol, "acme").await;
    s.set_role(&carol, "acme", &dave, "write").await;
    s.create_org_repo(&carol, "acme", "r", false).await;
    call(&s, "DELETE", "/api/v1/orgs/acme", &dave, None)
        .await
        .expect_error(403, "forbidden");
    let refused = call(&s, "DELETE", "/api/v1/orgs/acme", &carol, None).await;
    let body = refused.expect_error(409, "conflict");
    assert!(
        body["error"].as_str().unwrap().contains("1 repository"),
        "{body}"
    );
    s.get("/api/v1/repos/acme/r", None).await.expect(200);
    call(&s, "DELETE", "/api/v1/repos/acme/r", &carol, None)
        .await
        .expect(204);
    call(&s, "DELETE", "/api/v1/orgs/acme", &carol, None)
        .await
        .expect(204);
    s.get("/api/v1/orgs/acme", None)
        .await
        .expect_error(404, "not_found");
    // The name is free again, for a person too.
    register(&s, "acme").await.expect("the name is free");
}

async fn an_organisation_never_signs_in(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let carol = s.create_user("carol").await;
    s.create_org(&carol, "acme").await;
    for password in ["", "x"] {
        let resp = s
            .send(
                s.http
                    .get(s.url("/api/v1/user"))
                    .basic_auth("acme", Some(password)),
            )
            .await;
        assert_eq!(
            resp.status.as_u16(),
            401,
            "signed in as an organisation with {password:?}"
        );
    }
    let browser = s.browser();
    let answer = crate::support::web::log_in(&s, &browser, "acme", "").await;
    assert_ne!(answer.status.as_u16(), 303, "logged in as an organisation");
}

/// A database made by the schema before organisations, holding a repository that mirrors
/// with a push mirror, a run with a ref update and an LFS object: after the migration every
/// row is there, its owner is a person who administers it, and organisations can be made.
async fn the_migration_keeps_every_repository_with_its_owner(db: Db) {
    use mirrorforge::{
        accounts::orgs,
        entities::{lfs_object, mirror_ref_update, mirror_run, push_mirror},
        repos::{self, Permission, access},
    };
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

    let (dir, conn) =
        crate::support::db::migrated_before(&db, "m20261206_000015_organisations").await;
    let at = "'2026-12-01T00:00:00Z'";
    for sql in [
        format!(
            "INSERT INTO users (username, lower_name, email, password_hash, is_admin, created_at) \
             VALUES ('Alice', 'alice', 'alice@example.com', 'x', FALSE, {at})"
        ),
        format!(
            "INSERT INTO repositories (owner_id, name, lower_name, created_at, updated_at, \
             mirror_enabled, mirror_direction, upstream_url, upstream_depth) \
             SELECT id, 'Tools', 'tools', {at}, {at}, TRUE, 'both', 'https://example.com/t.git', 0 FROM users"
        ),
        format!(
            "INSERT INTO push_mirrors (repository_id, remote_url, created_at) \
             SELECT id, 'https://backup.example.com/t.git', {at} FROM repositories"
        ),
        format!(
            "INSERT INTO mirror_runs (repository_id, trigger, direction, status, started_at, claimed_by) \
             SELECT id, 'schedule', 'upstream', 'success', {at}, 'old-process' FROM repositories"
        ),
        "INSERT INTO mirror_ref_updates (run_id, side, ref_name) \
         SELECT id, 'upstream', 'refs/heads/main' FROM mirror_runs"
            .to_owned(),
        format!(
            "INSERT INTO lfs_objects (repository_id, oid, size, created_at) \
             SELECT id, '{}', 5, {at} FROM repositories",
            "a".repeat(64)
        ),
    ] {
        conn.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let conn = crate::support::db::migrate_rest(&db, &dir, conn).await;

    let repo = repos::find(&conn, "alice", "tools")
        .await
        .expect("db")
        .expect("the repository is still found by its owner's name");
    assert!(
        !repo.owner.is_organization,
        "every existing owner is a person"
    );
    assert_eq!(
        repo.repo.upstream_url.as_deref(),
        Some("https://example.com/t.git")
    );
    assert_eq!(
        access::permission(&conn, &repo, Some(&repo.owner))
            .await
            .expect("db"),
        Permission::Admin
    );
    assert_eq!(
        push_mirror::Entity::find().count(&conn).await.expect("db"),
        1
    );
    assert_eq!(
        mirror_run::Entity::find().count(&conn).await.expect("db"),
        1
    );
    assert_eq!(
        mirror_ref_update::Entity::find()
            .count(&conn)
            .await
            .expect("db"),
        1
    );
    assert_eq!(
        lfs_object::Entity::find().count(&conn).await.expect("db"),
        1
    );
    // The namespace is shared from now on: an organisation cannot take Alice's name.
    let err = orgs::create(
        &conn,
        &repo.owner,
        orgs::NewOrg {
            name: "ALICE".into(),
            ..Default::default()
        },
    )
    .await
    .expect_err("the name is a person's");
    assert!(
        matches!(err, mirrorforge::error::Error::Conflict(_)),
        "{err:?}"
    );
    orgs::create(
        &conn,
        &repo.owner,
        orgs::NewOrg {
            name: "acme".into(),
            description: "tools".into(),
            ..Default::default()
        },
    )
    .await
    .expect("an organisation after the migration");
}
