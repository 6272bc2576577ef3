//! Gitea's API as mirrorforge speaks it, at its edges: tokens in the URL refused, Gitea's
//! durations and field names in every refusal, the email address kept to its owner, and a
//! private organisation that does not exist for anyone outside it — API, pages, search, git.

use serde_json::{Value, json};

use crate::support::{
    Db, Git, Resp, TestServer, TestUser,
    git_backend::{GitBackend, refs_of},
    mirror::{local_server, seed, settle, sync_now},
    on_both_databases,
};

on_both_databases!(
    a_token_in_the_url_is_refused_with_a_sentence,
    migrate_refuses_in_gitea_terms_and_changes_nothing,
    durations_are_read_and_written_as_go_does,
    the_email_address_is_shown_to_its_owner_and_admins_only,
    a_private_organisation_is_its_members_only,
    a_repository_is_edited_with_giteas_edit_option,
    a_repository_is_created_as_gitea_creates_it
);

async fn a_repository_is_created_as_gitea_creates_it(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let git = Git::new();

    // Gitea's CreateRepoOption with auto_init: a first commit with the README, on the branch
    // asked for, by the caller; the template fields Gitea fills with nothing are accepted.
    let made = post(
        &s,
        &alice,
        "/api/v1/user/repos",
        json!({"name": "tool", "description": "Made by a tool", "private": true,
               "auto_init": true, "default_branch": "trunk", "readme": "Default",
               "gitignores": "", "license": "", "trust_model": "default",
               "issue_labels": "", "template": false, "object_format_name": "sha1"}),
    )
    .await;
    made.expect(201);
    let body = made.json();
    assert_eq!(body["default_branch"], "trunk", "{body}");
    assert_eq!(body["empty"], false, "{body}");
    assert_eq!(body["private"], true, "{body}");
    assert_eq!(body["owner"]["login"], "alice", "{body}");
    let url = s.git_url(Some(("alice", &alice.token)), "alice", "tool");
    let (cloned, dir) = git.clone(&url, "tool", &[]).await;
    assert!(cloned.status.success(), "{cloned:?}");
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).expect("README.md"),
        "# tool\n\nMade by a tool\n"
    );
    assert_eq!(
        git.ok(&dir, &["branch", "--show-current"]).await.trim(),
        "trunk"
    );
    assert_eq!(
        git.ok(&dir, &["log", "-1", "--format=%an <%ae>|%s"])
            .await
            .trim(),
        format!("alice <{}>|Initial commit", "alice@example.com")
    );

    // What this server has no template for is named, and nothing is made.
    for (body, field) in [
        (
            json!({"name": "a", "auto_init": true, "license": "MIT"}),
            "license",
        ),
        (json!({"name": "a", "gitignores": "Rust"}), "gitignores"),
        (json!({"name": "a", "readme": "Fancy"}), "readme"),
        (
            json!({"name": "a", "object_format_name": "sha256"}),
            "object_format_name",
        ),
        (
            json!({"name": "a", "auto_init": true, "default_branch": "bad..name"}),
            "default_branch",
        ),
    ] {
        let refused = post(&s, &alice, "/api/v1/user/repos", body).await;
        let answer = refused.expect_error(422, "validation_failed");
        assert!(answer["fields"][field].is_string(), "{answer}");
        s.get("/api/v1/repos/alice/a", Some(&alice))
            .await
            .expect_error(404, "not_found");
        assert!(!s.repo_dir("alice", "a").exists());
    }

    // Without auto_init it is empty, its HEAD on the branch asked for: the first push of that
    // branch is what a clone checks out.
    post(
        &s,
        &alice,
        "/api/v1/user/repos",
        json!({"name": "empty", "default_branch": "develop"}),
    )
    .await
    .expect(201);
    let work = git.path("work");
    std::fs::create_dir_all(&work).expect("work tree");
    git.ok(&work, &["init", "-q", "-b", "develop"]).await;
    std::fs::write(work.join("a.txt"), "a\n").expect("a file");
    git.ok(&work, &["add", "a.txt"]).await;
    git.ok(&work, &["commit", "-q", "-m", "a"]).await;
    let url = s.git_url(Some(("alice", &alice.token)), "alice", "empty");
    git.ok(&work, &["push", "-q", &url, "develop"]).await;
    let got = s
        .get("/api/v1/repos/alice/empty", Some(&alice))
        .await
        .json();
    assert_eq!(got["default_branch"], "develop", "{got}");

    // The same into an organisation.
    s.create_org(&alice, "acme").await;
    let made = post(
        &s,
        &alice,
        "/api/v1/orgs/acme/repos",
        json!({"name": "tool", "auto_init": true}),
    )
    .await;
    made.expect(201);
    assert_eq!(made.json()["default_branch"], "main");
    assert_eq!(made.json()["empty"], false);
}

/// `PATCH /api/v1/repos/alice/{repo}` as alice with Gitea's scheme.
async fn edit(s: &TestServer, alice: &TestUser, repo: &str, body: Value) -> Resp {
    s.send(
        s.http
            .patch(s.url(&format!("/api/v1/repos/alice/{repo}")))
            .header("Authorization", format!("token {}", alice.token))
            .json(&body),
    )
    .await
}

async fn a_repository_is_edited_with_giteas_edit_option(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let alice = s.create_admin("alice").await;
    s.forbid_in_answers("s3cret-Pw");
    s.forbid_in_answers("tok-9f8e7d");
    let remote = GitBackend::with_auth("mirror-bot", "s3cret-Pw").await;
    let git = Git::new();
    let upstream = remote.create("up").await;
    seed(&git, upstream.to_str().expect("path")).await;
    // Migrated with a wrong password: the first sync fails.
    post(
        &s,
        &alice,
        "/api/v1/repos/migrate",
        json!({"clone_addr": remote.url("up"), "repo_name": "m", "mirror": true,
               "auth_username": "mirror-bot", "auth_password": "wrong"}),
    )
    .await
    .expect(201);
    let status = settle(&s, &alice, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");

    // Bad values are named in Gitea's terms and change nothing.
    let before = s.get("/api/v1/repos/alice/m", Some(&alice)).await.json();
    for (body, field) in [
        (
            json!({"mirror_interval": "10s", "description": "x"}),
            "mirror_interval",
        ),
        (
            json!({"mirror_interval": "often", "name": "renamed"}),
            "mirror_interval",
        ),
        (json!({"archived": true}), "archived"),
    ] {
        let refused = edit(&s, &alice, "m", body).await;
        let answer = refused.expect_error(422, "validation_failed");
        assert!(answer["fields"][field].is_string(), "{answer}");
    }
    let unknown = edit(&s, &alice, "m", json!({"has_wikis": true})).await;
    let answer = unknown.expect_error(400, "bad_request");
    assert!(
        answer["error"].as_str().unwrap_or("").contains("has_wikis"),
        "{answer}"
    );
    assert_eq!(
        s.get("/api/v1/repos/alice/m", Some(&alice)).await.json(),
        before
    );

    // Gitea's fields: the interval as Go writes it, the right password, the rest ignored.
    let edited = edit(
        &s,
        &alice,
        "m",
        json!({"mirror_interval": "1h30m", "mirror_username": "mirror-bot",
               "mirror_password": "s3cret-Pw", "description": "kept", "has_issues": false,
               "website": "", "default_merge_style": "merge", "archived": false}),
    )
    .await;
    edited.expect(200);
    let body = edited.json();
    assert_eq!(body["mirror_interval"], "1h30m0s", "{body}");
    assert_eq!(body["description"], "kept");
    let settings = s
        .get("/api/v1/repos/alice/m/mirror", Some(&alice))
        .await
        .json();
    assert_eq!(settings["sync_interval"], 5400, "{settings}");
    assert_eq!(settings["upstream_username"], "mirror-bot", "{settings}");
    sync_now(&s, &alice, "m").await.expect(202);
    let status = settle(&s, &alice, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        refs_of(&s.repo_dir("alice", "m")).await,
        refs_of(&upstream).await
    );

    // A token alone signs in as `oauth2`.
    edit(&s, &alice, "m", json!({"mirror_token": "tok-9f8e7d"}))
        .await
        .expect(200);
    let settings = s
        .get("/api/v1/repos/alice/m/mirror", Some(&alice))
        .await
        .json();
    assert_eq!(settings["upstream_username"], "oauth2", "{settings}");

    // A repository that pulls from nowhere has no mirror interval to set.
    s.create_repo(&alice, "plain", false).await;
    let refused = edit(&s, &alice, "plain", json!({"mirror_interval": "1h"})).await;
    let answer = refused.expect_error(422, "validation_failed");
    assert!(answer["fields"]["mirror_interval"].is_string(), "{answer}");
}

/// `POST path` as `user` with `token` (Gitea's scheme) and a JSON body.
async fn post(s: &TestServer, user: &TestUser, path: &str, body: Value) -> Resp {
    s.send(
        s.http
            .post(s.url(path))
            .header("Authorization", format!("token {}", user.token))
            .json(&body),
    )
    .await
}

async fn a_token_in_the_url_is_refused_with_a_sentence(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    for query in ["access_token", "token", "Access_Token"] {
        let resp = s
            .send(
                s.http
                    .get(s.url(&format!("/api/v1/user?{query}={}", alice.token))),
            )
            .await;
        let body = resp.expect_error(401, "unauthorized");
        let said = body["error"].as_str().unwrap_or("");
        assert!(said.contains("Authorization"), "{body}");
        // Not even with the header beside it: the URL has leaked already.
        let resp = s
            .send(
                s.http
                    .get(s.url(&format!("/api/v1/user?{query}=x")))
                    .header("Authorization", format!("token {}", alice.token)),
            )
            .await;
        resp.expect_error(401, "unauthorized");
    }
    let me = s
        .send(
            s.http
                .get(s.url("/api/v1/user"))
                .header("Authorization", format!("token {}", alice.token)),
        )
        .await;
    me.expect(200);
    assert_eq!(me.json()["login"], "alice");
}

async fn migrate_refuses_in_gitea_terms_and_changes_nothing(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let alice = s.create_admin("alice").await;
    let remotes = GitBackend::start().await;
    remotes.create("x").await;
    let source = remotes.url("x");
    s.create_repo(&alice, "taken", false).await;
    let cases = [
        (json!({"repo_name": "a"}), "clone_addr"),
        (json!({"clone_addr": source}), "repo_name"),
        (
            json!({"clone_addr": source, "repo_name": "a", "mirror": true, "mirror_interval": "soon"}),
            "mirror_interval",
        ),
        (
            json!({"clone_addr": source, "repo_name": "a", "mirror": true, "mirror_interval": "30s"}),
            "mirror_interval",
        ),
        (
            json!({"clone_addr": source, "repo_name": "a", "service": "svn"}),
            "service",
        ),
        (
            json!({"clone_addr": "ftp://127.0.0.1/x.git", "repo_name": "a"}),
            "clone_addr",
        ),
        (
            json!({"clone_addr": source, "repo_name": "a b"}),
            "repo_name",
        ),
    ];
    for (body, field) in cases {
        let resp = post(&s, &alice, "/api/v1/repos/migrate", body.clone()).await;
        let error = resp.expect_error(422, "validation_failed");
        assert!(error["fields"][field].is_string(), "{body} → {error}");
    }
    let taken = json!({"clone_addr": source, "repo_name": "taken"});
    post(&s, &alice, "/api/v1/repos/migrate", taken)
        .await
        .expect_error(409, "conflict");
    let listed = s.get("/api/v1/user/repos", Some(&alice)).await;
    assert_eq!(
        listed.json().as_array().map(Vec::len),
        Some(1),
        "nothing made"
    );

    // Gitea's sync routes on a repository that mirrors nothing.
    post(
        &s,
        &alice,
        "/api/v1/repos/alice/taken/mirror-sync",
        json!({}),
    )
    .await
    .expect_error(422, "validation_failed");
    post(
        &s,
        &alice,
        "/api/v1/repos/alice/taken/push_mirrors-sync",
        json!({}),
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn durations_are_read_and_written_as_go_does(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let alice = s.create_admin("alice").await;
    let remotes = GitBackend::start().await;
    remotes.create("x").await;
    remotes.create("backup").await;
    s.create_repo(&alice, "src", false).await;
    let made = post(
        &s,
        &alice,
        "/api/v1/repos/migrate",
        json!({"clone_addr": remotes.url("x"), "repo_name": "copy",
               "mirror": true, "mirror_interval": "1h30m"}),
    )
    .await;
    made.expect(201);
    assert_eq!(made.json()["mirror_interval"], "1h30m0s");
    let settings = s.get("/api/v1/repos/alice/copy/mirror", Some(&alice)).await;
    assert_eq!(settings.json()["sync_interval"], 5400);

    // A Gitea push mirror body: its interval is checked as a Go duration.
    for (interval, ok) in [("10s", false), ("eventually", false), ("8h0m0s", true)] {
        let resp = post(
            &s,
            &alice,
            "/api/v1/repos/alice/src/push_mirrors",
            json!({"remote_address": remotes.url("backup"), "interval": interval}),
        )
        .await;
        if ok {
            // Gitea answers its own shape with 200.
            resp.expect(200);
            let mirror = resp.json();
            assert_eq!(mirror["remote_address"], remotes.url("backup"));
            assert_eq!(
                mirror["remote_name"],
                format!("remote_mirror_{}", mirror["id"])
            );
            assert!(
                mirror["interval"]
                    .as_str()
                    .is_some_and(|i| i.ends_with("0s")),
                "{mirror}"
            );
        } else {
            let error = resp.expect_error(422, "validation_failed");
            assert!(error["fields"]["interval"].is_string(), "{error}");
        }
    }
    let listed = s
        .get("/api/v1/repos/alice/src/push_mirrors", Some(&alice))
        .await
        .json();
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "refused ones made nothing"
    );
}

async fn the_email_address_is_shown_to_its_owner_and_admins_only(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    for (who, shown) in [
        (Some(&alice), true),
        (Some(&admin), true),
        (Some(&bob), false),
        (None, false),
    ] {
        let user = s.get("/api/v1/users/alice", who).await;
        user.expect(200);
        let user = user.json();
        assert_eq!(user["login"], "alice");
        let email = if shown { "alice@example.com" } else { "" };
        assert_eq!(user["email"], email, "{user}");
    }
    s.get("/api/v1/users/nobody", None).await.expect(404);
}

async fn a_private_organisation_is_its_members_only(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let member = s.create_user("member").await;
    let stranger = s.create_user("stranger").await;
    let made = post(
        &s,
        &alice,
        "/api/v1/orgs",
        json!({"username": "hidden", "full_name": "Hidden Mirrors", "visibility": "private"}),
    )
    .await;
    made.expect(201);
    assert_eq!(made.json()["visibility"], "private");
    assert_eq!(made.json()["name"], "hidden");
    s.set_role(&alice, "hidden", &member, "read").await;
    post(
        &s,
        &alice,
        "/api/v1/orgs",
        json!({"username": "x", "visibility": "limited"}),
    )
    .await
    .expect_error(422, "validation_failed");
    // A public repository in it is still the members' only.
    s.create_org_repo(&alice, "hidden", "open", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    git.commit_file(&work, "README", "hello", "first").await;
    let url = s.git_url(Some(("alice", &alice.token)), "hidden", "open");
    git.ok(&work, &["push", "-q", &url, "HEAD:refs/heads/main"])
        .await;

    for (who, sees) in [
        (Some(&alice), true),
        (Some(&member), true),
        (Some(&admin), true),
        (Some(&stranger), false),
        (None, false),
    ] {
        let status = if sees { 200 } else { 404 };
        for path in [
            "/api/v1/orgs/hidden",
            "/api/v1/orgs/hidden/repos",
            "/api/v1/users/hidden",
            "/api/v1/users/hidden/repos",
            "/api/v1/repos/hidden/open",
        ] {
            assert_eq!(
                s.get(path, who).await.status.as_u16(),
                status,
                "{path} for {:?}",
                who.map(|u| &u.username)
            );
        }
        let found = s.get("/api/v1/repos/search?q=hidden", who).await.json();
        let count = found.as_array().map_or(0, Vec::len);
        assert_eq!(
            count,
            usize::from(sees),
            "search for {:?}",
            who.map(|u| &u.username)
        );
    }
    // Anonymous: the page, the explore page and a clone know nothing of it.
    let page = s.send(s.http.get(s.url("/hidden"))).await;
    assert_eq!(page.status.as_u16(), 404);
    let explore = s.send(s.http.get(s.url("/explore?q=hidden"))).await;
    explore.expect(200);
    assert!(
        !explore.body.contains("Hidden Mirrors") && !explore.body.contains("/hidden"),
        "explore lists it"
    );
    let clone = git
        .run(&work, &["ls-remote", &s.git_url(None, "hidden", "open")])
        .await;
    assert!(
        !clone.status.success(),
        "an anonymous clone of a private organisation's repository"
    );
    let clone = git
        .run(
            &work,
            &[
                "ls-remote",
                &s.git_url(Some(("stranger", &stranger.token)), "hidden", "open"),
            ],
        )
        .await;
    assert!(!clone.status.success(), "a stranger's clone");
    let clone = git
        .run(
            &work,
            &[
                "ls-remote",
                &s.git_url(Some(("member", &member.token)), "hidden", "open"),
            ],
        )
        .await;
    assert!(clone.status.success(), "a member's clone");
}
