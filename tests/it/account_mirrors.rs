//! Account mirrors through the API, against stand-ins of GitHub's, GitLab's and Gitea's
//! listings (several pages, a rate limit answered once, private repositories only with the
//! token, forks and archived flags, clone URLs on stock `git http-backend`) and against another
//! mirrorforge's organisation listing: filters, new and vanished repositories, a rename by id,
//! a taken name, the token never sent to a clone URL on another host, notifications, and
//! another user unable to read or use an account mirror.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    Db, TestServer, TestUser,
    forge_standin::{Forge, ForgeStandIn},
    git::Git,
    git_backend::{GitBackend, refs_of},
    mirror::{call, local_server, seed, settle},
    on_both_databases,
    sinks::HookListener,
};

on_both_databases!(
    a_github_organisation_over_several_pages_becomes_mirrors,
    a_gitlab_group_and_a_gitea_user_are_listed_as_documented,
    mirrorforge_to_mirrorforge_new_vanished_taken_and_filtered,
    another_user_cannot_read_or_use_an_account_mirror,
    one_deleted_while_it_discovers_leaves_ordinary_mirrors,
    a_stop_interrupts_a_waiting_discovery_and_the_next_start_may_run_it,
    the_migration_keeps_every_repository_as_it_was,
);

const TOKEN: &str = "ghp_standInToken0123456789abcdefABCDEF";

/// Account mirror `id` as `user` reads it (200).
async fn account_json(s: &TestServer, user: &TestUser, id: i64) -> Value {
    let body = call(
        s,
        "GET",
        &format!("/api/v1/account_mirrors/{id}"),
        user,
        None,
    )
    .await;
    body.expect(200);
    body.json()
}

/// `user`'s account mirror of the GitHub organisation `acme` on `forge`, with the token
/// (201); its id. Its first discovery starts at once.
async fn create_acme(s: &TestServer, user: &TestUser, forge: &ForgeStandIn) -> i64 {
    let created = call(
        s,
        "POST",
        "/api/v1/account_mirrors",
        user,
        Some(
            json!({"provider": "github", "api_url": forge.api_url(), "account": "acme",
                    "token": TOKEN}),
        ),
    )
    .await;
    created.expect(201);
    created.json()["id"].as_i64().expect("id")
}

/// Waits (30 s at most) until account mirror `id` is no longer discovering; its JSON.
async fn discovered(s: &TestServer, user: &TestUser, id: i64) -> Value {
    let started = Instant::now();
    loop {
        let body = account_json(s, user, id).await;
        if body["last_status"] != "discovering" {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the discovery did not end: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// "Discover now" on account mirror `id` (202), then its JSON once the discovery ended.
async fn discover_now(s: &TestServer, user: &TestUser, id: i64) -> Value {
    call(
        s,
        "POST",
        &format!("/api/v1/account_mirrors/{id}/discover"),
        user,
        None,
    )
    .await
    .expect(202);
    discovered(s, user, id).await
}

/// The names of account mirror `id`'s repositories, with their JSON.
async fn made(s: &TestServer, user: &TestUser, id: i64) -> Vec<(String, Value)> {
    let resp = call(
        s,
        "GET",
        &format!("/api/v1/account_mirrors/{id}/repositories"),
        user,
        None,
    )
    .await;
    resp.expect(200);
    resp.json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            let full = r["repository"].as_str().expect("repository").to_owned();
            let name = full.split_once('/').expect("owner/name").1.to_owned();
            (name, r.clone())
        })
        .collect()
}

/// Waits (60 s at most) until `user`'s new mirror `name` has had its first sync (the
/// scheduler starts it when a fair slot is free); its status.
async fn first_sync(s: &TestServer, user: &TestUser, name: &str) -> Value {
    let started = Instant::now();
    loop {
        let status = settle(s, user, name).await;
        if status["sync_status"] != "idle" {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{name} never synced: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn names(made: &[(String, Value)]) -> Vec<&str> {
    made.iter().map(|(n, _)| n.as_str()).collect()
}

/// Pushes the seeded work tree `work` (main, feature, v1) to the bare repository at `path`.
async fn push_seed(git: &Git, work: &std::path::Path, path: &std::path::Path) {
    git.ok(
        work,
        &[
            "push",
            "-q",
            path.to_str().expect("path"),
            "main",
            "feature",
            "v1",
        ],
    )
    .await;
}

async fn a_github_organisation_over_several_pages_becomes_mirrors(db: Db) {
    let s = local_server(&db, |c| c.min_sync_interval = 60).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.forbid_in_answers(TOKEN);
    let git = Git::new();
    let forge = ForgeStandIn::start(Forge::Github, "acme", "x-access-token", TOKEN).await;
    // Another host that would take the token if it were sent there, and a public one.
    let wants_token = GitBackend::with_auth("x-access-token", TOKEN).await;
    let public = GitBackend::start().await;
    let first = forge.git.create("app").await;
    let work = seed(&git, first.to_str().unwrap()).await;
    for name in ["lib", "secret", "forked", "old"] {
        push_seed(&git, &work, &forge.git.create(name).await).await;
    }
    push_seed(&git, &work, &wants_token.create("elsewhere").await).await;
    push_seed(&git, &work, &public.create("outside").await).await;
    let mut listing = vec![
        forge.repo(1, "app"),
        forge.repo(2, "lib"),
        forge.repo(3, "secret"),
        forge.repo(4, "forked"),
        forge.repo(5, "old"),
        forge.repo(6, "elsewhere"),
        forge.repo(7, "outside"),
    ];
    listing[2].private = true;
    listing[3].fork = true;
    listing[4].archived = true;
    listing[5].clone_url = wants_token.url("elsewhere");
    listing[6].clone_url = public.url("outside");
    forge.set(listing.clone());
    forge.rate_limit_once();

    let created = call(
        &s,
        "POST",
        "/api/v1/account_mirrors",
        &alice,
        Some(
            json!({"provider": "github", "api_url": forge.api_url(), "account": "acme",
                    "token": TOKEN, "sync_interval": 3600}),
        ),
    )
    .await;
    created.expect(201);
    let body = created.json();
    assert_eq!(body["token_set"], true, "{body}");
    assert_eq!(body["owner"], "alice");
    assert_eq!(body["include"], json!(["*"]));
    assert_eq!(body["forks"], false);
    assert_eq!(body["archived"], true);
    assert_eq!(body["on_removed"], "pause");
    let id = body["id"].as_i64().expect("id");
    // The first discovery started at once and waits out the rate limit, saying so.
    let again = call(
        &s,
        "POST",
        &format!("/api/v1/account_mirrors/{id}/discover"),
        &alice,
        None,
    )
    .await;
    again.expect_error(409, "conflict");
    let started = Instant::now();
    let mut said_waiting = false;
    while started.elapsed() < Duration::from_millis(900) && !said_waiting {
        let now = call(
            &s,
            "GET",
            &format!("/api/v1/account_mirrors/{id}"),
            &alice,
            None,
        )
        .await;
        said_waiting = now.json()["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("rate limit"));
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert!(
        said_waiting,
        "last_error never said it waits for the rate limit"
    );
    let done = discovered(&s, &alice, id).await;
    assert_eq!(done["last_status"], "success", "{done}");
    assert_eq!(done["last_error"], "");
    assert_eq!(done["repositories"], 6);
    // 4 pages of 2, and the rate-limited request before them; the token on every one.
    assert_eq!(forge.requests(), 5);
    assert!(
        forge
            .credentials()
            .iter()
            .all(|c| c == &format!("Bearer {TOKEN}"))
    );

    let mirrors = made(&s, &alice, id).await;
    assert_eq!(
        names(&mirrors),
        ["app", "elsewhere", "lib", "old", "outside", "secret"],
        "the fork is left out; the private one is there through the token"
    );
    // Their first syncs take the scheduler's fair slots, at once.
    for name in ["app", "lib", "old", "outside", "secret"] {
        let status = first_sync(&s, &alice, name).await;
        assert_eq!(status["sync_status"], "success", "{name}: {status}");
    }
    assert_eq!(
        refs_of(&first).await,
        refs_of(&s.repo_dir("alice", "app")).await
    );
    assert_eq!(
        refs_of(&public.path("outside")).await,
        refs_of(&s.repo_dir("alice", "outside")).await
    );
    // The clone URL on another host never got the token: its sync fails asking for it.
    let elsewhere = first_sync(&s, &alice, "elsewhere").await;
    assert_eq!(elsewhere["sync_status"], "failed", "{elsewhere}");
    assert!(
        wants_token
            .authorizations()
            .iter()
            .all(|a| !a.contains(TOKEN)),
        "the token went to another host: {:?}",
        wants_token.authorizations()
    );
    assert!(
        forge
            .git
            .authorizations()
            .iter()
            .any(|a| a == &format!("x-access-token:{TOKEN}")),
        "the forge's own git host gets the token as the git password"
    );
    // A private repository stays private here.
    let secret = s.get("/api/v1/repos/alice/secret", Some(&alice)).await;
    assert_eq!(secret.json()["private"], true);
    let app = s.get("/api/v1/repos/alice/app", Some(&alice)).await;
    assert_eq!(app.json()["private"], false);

    // A rename at the source (same id) keeps the mirror here, with the new URL.
    std::fs::rename(forge.git.path("app"), forge.git.path("application")).unwrap();
    listing[0] = forge.repo(1, "application");
    forge.set(listing.clone());
    let preview = call(
        &s,
        "GET",
        &format!("/api/v1/account_mirrors/{id}/preview"),
        &alice,
        None,
    )
    .await;
    preview.expect(200);
    let preview = preview.json();
    assert_eq!(preview["add"], json!([]), "{preview}");
    assert_eq!(preview["gone"], json!([]), "{preview}");
    assert!(
        preview["skipped"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "forked", "reason": "a fork"})),
        "{preview}"
    );
    discover_now(&s, &alice, id).await;
    let settings = call(&s, "GET", "/api/v1/repos/alice/app/mirror", &alice, None).await;
    assert_eq!(
        settings.json()["upstream_url"],
        forge.git.url("application")
    );
    assert_eq!(names(&made(&s, &alice, id).await).len(), 6);
    call(&s, "POST", "/api/v1/repos/alice/app/sync", &alice, None)
        .await
        .expect(202);
    assert_eq!(settle(&s, &alice, "app").await["sync_status"], "success");

    // The token cleared, then set again: the mirrors it made sign in with what it has now.
    call(
        &s,
        "PATCH",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        Some(json!({"token": ""})),
    )
    .await
    .expect(200);
    call(&s, "POST", "/api/v1/repos/alice/lib/sync", &alice, None)
        .await
        .expect(202);
    assert_eq!(settle(&s, &alice, "lib").await["sync_status"], "failed");
    call(
        &s,
        "PATCH",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        Some(json!({"token": TOKEN})),
    )
    .await
    .expect(200);
    call(&s, "POST", "/api/v1/repos/alice/lib/sync", &alice, None)
        .await
        .expect(202);
    assert_eq!(settle(&s, &alice, "lib").await["sync_status"], "success");

    // Forks on: the fork is added by the next discovery.
    call(
        &s,
        "PATCH",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        Some(json!({"forks": true})),
    )
    .await
    .expect(200);
    discover_now(&s, &alice, id).await;
    assert!(names(&made(&s, &alice, id).await).contains(&"forked"));
}

async fn a_gitlab_group_and_a_gitea_user_are_listed_as_documented(db: Db) {
    let s = local_server(&db, |c| c.min_sync_interval = 60).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.forbid_in_answers(TOKEN);
    let git = Git::new();
    for (forge_kind, provider, kind, account) in [
        (Forge::Gitlab, "gitlab", "group", "team/platform"),
        (Forge::Gitea, "gitea", "user", "bob"),
    ] {
        let forge = ForgeStandIn::start(forge_kind, account, "oauth2", TOKEN).await;
        let first = forge.git.create(&format!("{provider}-one")).await;
        let work = git.path("seed");
        if !work.exists() {
            seed(&git, first.to_str().unwrap()).await;
        } else {
            push_seed(&git, &work, &first).await;
        }
        push_seed(
            &git,
            &work,
            &forge.git.create(&format!("{provider}-two")).await,
        )
        .await;
        let mut listing = vec![
            forge.repo(10, &format!("{provider}-one")),
            forge.repo(11, &format!("{provider}-two")),
            forge.repo(12, &format!("{provider}-fork")),
            forge.repo(13, &format!("{provider}-old")),
        ];
        listing[1].private = true;
        listing[2].fork = true;
        listing[3].archived = true;
        forge.set(listing);
        forge.rate_limit_once();
        let created = call(
            &s,
            "POST",
            "/api/v1/account_mirrors",
            &alice,
            Some(
                json!({"provider": provider, "api_url": forge.api_url(), "account": account,
                        "account_kind": kind, "token": TOKEN, "archived": false}),
            ),
        )
        .await;
        created.expect(201);
        let id = created.json()["id"].as_i64().unwrap();
        let done = discovered(&s, &alice, id).await;
        assert_eq!(done["last_status"], "success", "{provider}: {done}");
        let mirrors = made(&s, &alice, id).await;
        assert_eq!(
            names(&mirrors),
            [format!("{provider}-one"), format!("{provider}-two")],
            "{provider}: forks and (here) archived ones left out, the private one in"
        );
        let expected = match forge_kind {
            Forge::Gitlab => TOKEN.to_owned(),
            _ => format!("token {TOKEN}"),
        };
        assert!(
            forge.credentials().iter().all(|c| c == &expected),
            "{provider}"
        );
        assert_eq!(forge.requests(), 3, "{provider}: a rate limit and 2 pages");
        let status = first_sync(&s, &alice, &format!("{provider}-two")).await;
        assert_eq!(status["sync_status"], "success", "{provider}: {status}");
        assert_eq!(
            refs_of(&forge.git.path(&format!("{provider}-two"))).await,
            refs_of(&s.repo_dir("alice", &format!("{provider}-two"))).await
        );
    }
}

async fn mirrorforge_to_mirrorforge_new_vanished_taken_and_filtered(db: Db) {
    let source = local_server(&Db::Sqlite, |_| {}).await;
    let up = source.create_admin("up").await;
    source.create_org(&up, "upstream").await;
    let s = local_server(&db, |c| c.min_sync_interval = 60).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.forbid_in_answers(&up.token);
    let hooks = HookListener::start().await;
    let git = Git::new();
    for (name, private) in [("one", false), ("two", true), ("skip-me", false)] {
        source.create_org_repo(&up, "upstream", name, private).await;
    }
    let url = |name: &str| source.git_url(Some(("up", &up.token)), "upstream", name);
    let work = seed(&git, &url("one")).await;
    for name in ["two", "skip-me"] {
        git.ok(&work, &["push", "-q", &url(name), "main", "feature", "v1"])
            .await;
    }
    // A repository of alice's own already has the name "two".
    s.create_repo(&alice, "two", false).await;

    let fields = json!({"provider": "mirrorforge", "api_url": source.base(), "account": "upstream",
                        "account_kind": "org", "token": up.token, "exclude": ["skip-*"],
                        "notify_url": hooks.url});
    let preview = call(
        &s,
        "POST",
        "/api/v1/account_mirrors/preview",
        &alice,
        Some(fields.clone()),
    )
    .await;
    preview.expect(200);
    let preview = preview.json();
    assert_eq!(preview["add"].as_array().unwrap().len(), 1, "{preview}");
    assert_eq!(preview["add"][0]["name"], "one");
    assert_eq!(
        preview["add"][0]["clone_url"],
        source.git_url(None, "upstream", "one")
    );
    let skipped = preview["skipped"].as_array().unwrap();
    assert!(
        skipped.contains(&json!({"name": "skip-me", "reason": "excluded"})),
        "{preview}"
    );
    assert!(
        skipped.contains(&json!({"name": "two", "reason": "name taken"})),
        "{preview}"
    );
    assert_eq!(
        call(&s, "GET", "/api/v1/account_mirrors", &alice, None)
            .await
            .json(),
        json!([]),
        "a preview makes nothing"
    );

    let created = call(&s, "POST", "/api/v1/account_mirrors", &alice, Some(fields)).await;
    created.expect(201);
    let id = created.json()["id"].as_i64().unwrap();
    assert_eq!(discovered(&s, &alice, id).await["last_status"], "success");
    assert_eq!(names(&made(&s, &alice, id).await), ["one"]);
    assert_eq!(
        first_sync(&s, &alice, "one").await["sync_status"],
        "success"
    );
    assert_eq!(
        refs_of(&source.repo_dir("upstream", "one")).await,
        refs_of(&s.repo_dir("alice", "one")).await
    );
    // Alice's own "two" was never touched.
    let own = call(&s, "GET", "/api/v1/repos/alice/two/mirror", &alice, None).await;
    assert_eq!(own.json()["mirror_enabled"], false);
    let notice = hooks.wait_for(1).await;
    let first: Value = serde_json::from_slice(&notice[0].body).unwrap();
    assert_eq!(first["event"], "account_mirror.discovered");
    assert_eq!(first["changes"]["added"], json!(["one"]));
    assert_eq!(
        notice[0].headers["x-mirrorforge-event"],
        "account_mirror.discovered"
    );

    // A new repository at the source, and one gone.
    source
        .create_org_repo(&up, "upstream", "three", false)
        .await;
    git.ok(&work, &["push", "-q", &url("three"), "main"]).await;
    call(&source, "DELETE", "/api/v1/repos/upstream/one", &up, None)
        .await
        .expect(204);
    assert_eq!(discover_now(&s, &alice, id).await["last_status"], "success");
    let mirrors = made(&s, &alice, id).await;
    assert_eq!(names(&mirrors), ["one", "three"]);
    let one = &mirrors[0].1;
    assert_eq!(one["gone_from_source"], true, "{one}");
    assert_eq!(one["mirror_enabled"], false, "paused, never deleted: {one}");
    assert!(s.repo_dir("alice", "one").exists());
    let second: Value = serde_json::from_slice(&hooks.wait_for(2).await[1].body).unwrap();
    assert_eq!(second["changes"]["added"], json!(["three"]));
    assert_eq!(second["changes"]["paused"], json!(["one"]));

    // The filter widened: the excluded repository is added by the next discovery.
    call(
        &s,
        "PATCH",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        Some(json!({"exclude": []})),
    )
    .await
    .expect(200);
    discover_now(&s, &alice, id).await;
    assert_eq!(
        names(&made(&s, &alice, id).await),
        ["one", "skip-me", "three"]
    );

    // Deleting the account mirror leaves its repositories as ordinary mirrors.
    call(
        &s,
        "DELETE",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        None,
    )
    .await
    .expect(204);
    call(
        &s,
        "GET",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        None,
    )
    .await
    .expect_error(404, "not_found");
    let three = call(&s, "GET", "/api/v1/repos/alice/three/mirror", &alice, None).await;
    assert_eq!(three.json()["mirror_enabled"], true);
    let listed = call(&s, "GET", "/api/v1/mirrors", &alice, None)
        .await
        .json();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["repository"] == "alice/three"),
        "{listed}"
    );
}

async fn another_user_cannot_read_or_use_an_account_mirror(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let root = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    let carol = s.create_user("carol").await;
    s.forbid_in_answers(TOKEN);
    let forge = ForgeStandIn::start(Forge::Github, "acme", "x-access-token", TOKEN).await;
    let fields = |owner: &str| {
        json!({"provider": "github", "api_url": forge.api_url(), "account": "acme",
               "token": TOKEN, "owner": owner})
    };

    // Bad fields are each named, and nothing is made.
    let bad = call(
        &s,
        "POST",
        "/api/v1/account_mirrors",
        &alice,
        Some(json!({"include": ["a/b"], "discovery_interval": 5})),
    )
    .await;
    let body = bad.expect_error(422, "validation_failed");
    for field in ["provider", "account", "include", "discovery_interval"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    let unknown = call(
        &s,
        "POST",
        "/api/v1/account_mirrors",
        &alice,
        Some(json!({"provider": "github", "account": "x", "colour": "red"})),
    )
    .await;
    assert_eq!(unknown.status, 400);

    let created = call(
        &s,
        "POST",
        "/api/v1/account_mirrors",
        &alice,
        Some(fields("alice")),
    )
    .await;
    created.expect(201);
    let id = created.json()["id"].as_i64().unwrap();
    discovered(&s, &alice, id).await;

    // Bob sees nothing of it and can do nothing with it.
    for (method, path) in [
        ("GET", format!("/api/v1/account_mirrors/{id}")),
        ("PATCH", format!("/api/v1/account_mirrors/{id}")),
        ("DELETE", format!("/api/v1/account_mirrors/{id}")),
        ("POST", format!("/api/v1/account_mirrors/{id}/discover")),
        ("GET", format!("/api/v1/account_mirrors/{id}/preview")),
        ("GET", format!("/api/v1/account_mirrors/{id}/repositories")),
    ] {
        let body = (method == "PATCH").then(|| json!({"enabled": false}));
        call(&s, method, &path, &bob, body)
            .await
            .expect_error(404, "not_found");
    }
    assert_eq!(
        call(&s, "GET", "/api/v1/account_mirrors", &bob, None)
            .await
            .json(),
        json!([])
    );
    let into_alice = call(
        &s,
        "POST",
        "/api/v1/account_mirrors",
        &bob,
        Some(fields("alice")),
    )
    .await;
    into_alice.expect_error(403, "forbidden");
    let still = call(
        &s,
        "GET",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        None,
    )
    .await;
    assert_eq!(still.json()["enabled"], true);

    // An organisation: its owners manage its account mirrors; a writer may not.
    s.create_org(&alice, "team").await;
    s.set_role(&alice, "team", &bob, "write").await;
    s.set_role(&alice, "team", &carol, "owner").await;
    call(
        &s,
        "POST",
        "/api/v1/account_mirrors",
        &bob,
        Some(fields("team")),
    )
    .await
    .expect_error(403, "forbidden");
    let team = call(
        &s,
        "POST",
        "/api/v1/account_mirrors",
        &alice,
        Some(fields("team")),
    )
    .await;
    team.expect(201);
    let team_id = team.json()["id"].as_i64().unwrap();
    assert_eq!(team.json()["owner"], "team");
    call(
        &s,
        "GET",
        &format!("/api/v1/account_mirrors/{team_id}"),
        &bob,
        None,
    )
    .await
    .expect_error(404, "not_found");
    call(
        &s,
        "GET",
        &format!("/api/v1/account_mirrors/{team_id}"),
        &carol,
        None,
    )
    .await
    .expect(200);
    let carols = call(&s, "GET", "/api/v1/account_mirrors", &carol, None)
        .await
        .json();
    assert_eq!(carols.as_array().unwrap().len(), 1, "{carols}");
    // The owner cannot change, the token clears with "".
    call(
        &s,
        "PATCH",
        &format!("/api/v1/account_mirrors/{team_id}"),
        &carol,
        Some(json!({"owner": "carol"})),
    )
    .await
    .expect_error(422, "validation_failed");
    let cleared = call(
        &s,
        "PATCH",
        &format!("/api/v1/account_mirrors/{team_id}"),
        &carol,
        Some(json!({"token": ""})),
    )
    .await;
    assert_eq!(cleared.json()["token_set"], false);
    // A site admin sees everyone's with ?all=true, their own without.
    let all = call(&s, "GET", "/api/v1/account_mirrors?all=true", &root, None)
        .await
        .json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(
        call(&s, "GET", "/api/v1/account_mirrors", &root, None)
            .await
            .json(),
        json!([])
    );
}

async fn one_deleted_while_it_discovers_leaves_ordinary_mirrors(db: Db) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let s = local_server(&db, |_| {}).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let forge = ForgeStandIn::start(Forge::Github, "acme", "x-access-token", TOKEN).await;
    for name in ["first", "second", "third"] {
        forge.git.create(name).await;
    }
    forge.set(vec![
        forge.repo(1, "first"),
        forge.repo(2, "second"),
        forge.repo(3, "third"),
    ]);
    // The discovery waits out a rate limit on its first page; the deletion comes meanwhile.
    forge.rate_limit_once_for(3);
    let id = create_acme(&s, &alice, &forge).await;
    // The deletion comes once the discovery has met the rate limit (on a busy machine it may
    // start a moment after the account mirror is made; deleted before that, it makes nothing).
    let asked = Instant::now();
    while forge.requests() < 1 {
        assert!(
            asked.elapsed() < Duration::from_secs(30),
            "the discovery never asked the forge"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    call(
        &s,
        "DELETE",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        None,
    )
    .await
    .expect(204);

    // The discovery goes on to its end; what it made is kept, as ordinary mirrors.
    let started = Instant::now();
    loop {
        let rows = mirrorforge::entities::repository::Entity::find()
            .filter(mirrorforge::entities::repository::Column::OwnerId.eq(alice.id))
            .all(&s.conn)
            .await
            .expect("repositories");
        let detached = rows.iter().all(|r| r.account_mirror_id.is_none());
        if rows.len() == 3 && detached {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the mirrors still name the deleted account mirror: {:?}",
            rows.iter()
                .map(|r| (&r.name, r.account_mirror_id))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(forge.requests() >= 2, "the rate limit was answered first");
}

async fn a_stop_interrupts_a_waiting_discovery_and_the_next_start_may_run_it(db: Db) {
    let mut s = local_server(&db, |_| {}).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let forge = ForgeStandIn::start(Forge::Github, "acme", "x-access-token", TOKEN).await;
    forge.git.create("only").await;
    forge.set(vec![forge.repo(1, "only")]);
    // The first discovery waits ten minutes for the forge's rate limit when the server stops.
    forge.rate_limit_once_for(600);
    let id = create_acme(&s, &alice, &forge).await;
    let started = Instant::now();
    while forge.requests() == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "never listed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let stopping = Instant::now();
    s.restart().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(20),
        "the stop waited for the rate limit: {:?}",
        stopping.elapsed()
    );
    let body = account_json(&s, &alice, id).await;
    assert_eq!(body["last_status"], "failed", "{body}");
    assert!(
        body["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("interrupted when the server stopped")),
        "{body}"
    );
    // Not held by the stopped process: "Discover now" runs it at once.
    let done = discover_now(&s, &alice, id).await;
    assert_eq!(done["last_status"], "success", "{done}");
    assert_eq!(names(&made(&s, &alice, id).await), ["only"]);
}

async fn the_migration_keeps_every_repository_as_it_was(db: Db) {
    use sea_orm::ConnectionTrait;

    let (dir, conn) =
        crate::support::db::migrated_before(&db, "m20261206_000016_account_mirrors").await;
    let at = "'2026-12-01T00:00:00Z'";
    for sql in [
        format!(
            "INSERT INTO users (username, lower_name, email, password_hash, is_admin, created_at) \
             VALUES ('Alice', 'alice', 'alice@example.com', 'x', FALSE, {at})"
        ),
        format!(
            "INSERT INTO repositories (owner_id, name, lower_name, created_at, updated_at, \
             mirror_enabled, mirror_direction, upstream_url, upstream_depth) \
             SELECT id, 'Tools', 'tools', {at}, {at}, TRUE, 'upstream', 'https://example.com/t.git', 0 FROM users"
        ),
    ] {
        conn.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let conn = crate::support::db::migrate_rest(&db, &dir, conn).await;
    let repo = mirrorforge::repos::find(&conn, "alice", "tools")
        .await
        .expect("db")
        .expect("the repository is still there");
    assert!(repo.repo.mirror_enabled);
    assert_eq!(
        repo.repo.account_mirror_id, None,
        "made by no account mirror"
    );
    assert_eq!(repo.repo.source_id, None);
    assert!(!repo.repo.gone_from_source);
}
