//! Regression tests for the holes an attacker found in mirroring (issue 7): redirects that
//! would lead a transfer past the egress, credentials that would follow a changed URL, a
//! scheduler that synced the same mirror twice, one owner starving the others.

use serde_json::json;

use crate::support::{
    Db, Git, TestServer, TestUser,
    git::Seed,
    git_backend::{CountingListener, GitBackend, refs_of},
    mirror::{import_body, local_server, patch, seed, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    a_redirect_only_the_transfer_sees_reaches_nothing_and_fails_the_sync,
    a_new_origin_without_a_new_password_drops_the_stored_credentials,
    urls_are_stored_in_their_normalised_form,
    translated_ipv6_forms_of_local_addresses_are_refused,
    out_of_range_paging_is_a_400_in_the_error_shape,
    a_mirror_synced_since_the_due_list_was_read_is_not_claimed_again,
    claims_are_found_by_index,
    one_owner_cannot_hold_every_sync_slot,
);

/// A remote that answers the ref advertisement and redirects what follows (the requests
/// libgit2 makes) to another port on the same host: nothing may arrive there, for fetch and
/// push. (Against the first fix, a remote told the preflight from libgit2 by its User-Agent;
/// now every request is ours, and the one that could still be told apart is the first.)
async fn a_redirect_only_the_transfer_sees_reaches_nothing_and_fails_the_sync(db: Db) {
    let (s, owner) = start(&db).await;
    let listener = CountingListener::start().await;
    let target = format!("http://127.0.0.1:{}", listener.addr.port());
    let remote = GitBackend::redirecting_after_refs(&target).await;
    let git = Git::new();
    remote.create("src").await;
    seed(&git, remote.path("src").to_str().unwrap()).await;

    import_body(
        &s,
        &owner,
        json!({ "name": "pulled", "clone_url": remote.url("src"), "mirror": true }),
    )
    .await
    .expect(201);
    let status = settle(&s, &owner, "pulled").await;
    let error = status["sync_error"].as_str().unwrap_or_default();
    assert_eq!(listener.accepted(), 0, "the fetch reached {target}");
    assert_eq!(status["sync_status"], "failed", "{status}");
    assert!(
        error.contains(&format!("the remote redirected to {target}/src.git"))
            && error.contains("update the URL"),
        "{error}"
    );
    assert_eq!(refs_of(&s.repo_dir("owner", "pulled")).await, "");

    // A push is led the same way.
    s.create_repo(&owner, "pushed", false).await;
    let push_url = s.git_url(Some(("owner", &owner.token)), "owner", "pushed");
    git.seed(&push_url, &Seed::ONE_COMMIT).await;
    patch(
        &s,
        &owner,
        "pushed",
        json!({
            "mirror_enabled": true, "mirror_direction": "downstream",
            "downstream_url": remote.url("src")
        }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "pushed").await.expect(202);
    let status = settle(&s, &owner, "pushed").await;
    let error = status["sync_error"].as_str().unwrap_or_default();
    assert_eq!(listener.accepted(), 0, "the push reached {target}");
    assert_eq!(status["sync_status"], "failed", "{status}");
    assert!(
        error.contains(&format!("the remote redirected to {target}/src.git")),
        "{error}"
    );
}

/// An admin (or a stolen session) must not be able to point a mirror at their own host and
/// receive the owner's stored password on the next sync.
async fn a_new_origin_without_a_new_password_drops_the_stored_credentials(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    s.forbid_in_answers("Owners-Secret-1");
    for side in ["upstream", "downstream"] {
        let url = format!("{side}_url");
        let user = format!("{side}_username");
        let password = format!("{side}_password");
        let is_set = format!("{side}_password_set");
        let set =
            |target: &str| json!({ &url: target, &user: "owner", &password: "Owners-Secret-1" });
        patch(&s, &owner, "r", set("http://127.0.0.1:9/team/r.git"))
            .await
            .expect(200);
        // Another path on the same origin keeps them.
        let kept = patch(
            &s,
            &owner,
            "r",
            json!({ &url: "http://127.0.0.1:9/team/r2.git" }),
        )
        .await
        .json();
        assert_eq!(kept[&is_set], true, "{side}: {kept}");
        assert_eq!(kept[&user], "owner", "{side}: {kept}");
        // Another host, port or scheme without a password drops both.
        for elsewhere in [
            "http://localhost:9/team/r2.git",
            "http://127.0.0.1:10/team/r2.git",
            "https://127.0.0.1:9/team/r2.git",
        ] {
            patch(&s, &owner, "r", set("http://127.0.0.1:9/team/r2.git"))
                .await
                .expect(200);
            let moved = patch(&s, &owner, "r", json!({ &url: elsewhere })).await;
            moved.expect(200);
            let moved = moved.json();
            assert_eq!(moved[&url], elsewhere, "{side}");
            assert_eq!(moved[&is_set], false, "{side} → {elsewhere}: {moved}");
            assert_eq!(moved[&user], "", "{side} → {elsewhere}: {moved}");
        }
        // A new origin with its own password keeps that one.
        let with_own = patch(
            &s,
            &owner,
            "r",
            json!({ &url: "http://127.0.0.2:9/r.git", &password: "Owners-Secret-1" }),
        )
        .await
        .json();
        assert_eq!(with_own[&is_set], true, "{side}: {with_own}");
    }
}

/// What is shown is what is connected to: URLs are stored as parsed.
async fn urls_are_stored_in_their_normalised_form(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let saved = patch(
        &s,
        &owner,
        "r",
        json!({
            "upstream_url": " HTTP://LocalHost:80/team/../r.git ",
            "downstream_url": "https://127.0.0.1:443/a/%7euser/b.git"
        }),
    )
    .await;
    saved.expect(200);
    let saved = saved.json();
    assert_eq!(saved["upstream_url"], "http://localhost/r.git");
    assert_eq!(saved["downstream_url"], "https://127.0.0.1/a/%7euser/b.git");
}

/// IPv4-translated (`::ffff:0:a.b.c.d`) and local-use NAT64 (`64:ff9b:1::/48`) addresses
/// reach local hosts too.
async fn translated_ipv6_forms_of_local_addresses_are_refused(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", false).await;
    for url in [
        "http://[::ffff:0:7f00:1]/r.git",
        "http://[::ffff:0:a00:1]/r.git",
        "http://[64:ff9b:1::7f00:1]/r.git",
        "http://[64:ff9b:1:ffff::808:808]/r.git",
    ] {
        let refused = patch(&s, &owner, "r", json!({ "upstream_url": url })).await;
        let body = refused.expect_error(422, "validation_failed");
        assert!(
            body["fields"]["upstream_url"]
                .as_str()
                .is_some_and(|m| m.contains("not allowed")),
            "{url}: {body}"
        );
    }
}

/// Paging values out of range, or not numbers at all, are the caller's mistake: 400 in the
/// contract's error shape, never a dropped connection or a plain-text message.
async fn out_of_range_paging_is_a_400_in_the_error_shape(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let runs = "/api/v1/repos/owner/r/mirror/runs";
    for query in [
        "?page=18446744073709551615",
        "?page=100001",
        "?page=0",
        "?limit=0",
        "?limit=101",
        "?limit=18446744073709551615&page=2",
        "?page=abc",
        "?limit=-1",
        "?page=1&page=2",
    ] {
        let answer = s.get(&format!("{runs}{query}"), Some(&owner)).await;
        let body = answer.expect_error(400, "bad_request");
        let name = if query.contains("limit") {
            "limit"
        } else {
            "page"
        };
        assert!(
            body["error"].as_str().is_some_and(|m| m.contains(name)),
            "{query}: {body}"
        );
    }
    for fine in ["", "?page=100000", "?limit=100", "?limit=1&page=3"] {
        s.get(&format!("{runs}{fine}"), Some(&owner))
            .await
            .expect(200);
    }
}

/// Another process (or a look that started earlier) may hold a due list read before a sync
/// ended. Its claim must fail for a mirror that is no longer due, or the mirror is
/// synced twice in a row. Here a second engine on the same database plays the other tick.
async fn a_mirror_synced_since_the_due_list_was_read_is_not_claimed_again(db: Db) {
    let s = local_server(&db, |c| {
        c.min_sync_interval = 60;
        c.max_syncs_per_owner = 3; // all three start in one look
        c.scheduler_cron = "0 0 0 1 1 *".to_owned(); // not during the test
    })
    .await;
    let owner = s.create_admin("owner").await;
    let upstream = GitBackend::start().await;
    upstream.create("src").await;
    seed(&Git::new(), upstream.path("src").to_str().unwrap()).await;
    for name in ["m1", "m2", "m3"] {
        s.create_repo(&owner, name, false).await;
        patch(
            &s,
            &owner,
            name,
            json!({ "mirror_enabled": true, "upstream_url": upstream.url("src") }),
        )
        .await
        .expect(200);
    }
    let other = mirrorforge::server::build_state(s.config.clone())
        .await
        .unwrap()
        .engine;
    let stale = other.due(500).await.unwrap();
    assert_eq!(stale.len(), 3);

    let state = mirrorforge::server::build_state(s.config.clone())
        .await
        .unwrap();
    let filled = mirrorforge::mirror::engine::scheduler::fill(&state.engine).await;
    assert_eq!(filled.report.started, 3, "{:?}", filled.report);
    assert_eq!(filled.synced().await, 3);
    for repo in stale {
        assert!(
            !other.claim_due(repo.id).await.unwrap(),
            "{} was claimed again right after its sync",
            repo.name
        );
    }
}

/// `recover()` looks for claims on every tick: by index, not by reading the whole table.
async fn claims_are_found_by_index(db: Db) {
    use sea_orm::{ConnectionTrait, Statement};
    let s = TestServer::start(&db).await;
    let backend = s.conn.get_database_backend();
    let query = match db {
        Db::Sqlite => {
            "SELECT sql AS definition FROM sqlite_master WHERE type = 'index' AND tbl_name = 'repositories'"
        }
        Db::Postgres { .. } => {
            "SELECT indexdef AS definition FROM pg_indexes WHERE tablename = 'repositories'"
        }
    };
    let rows = s
        .conn
        .query_all_raw(Statement::from_string(backend, query))
        .await
        .unwrap();
    let definitions: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            row.try_get::<Option<String>>("", "definition")
                .ok()
                .flatten()
        })
        .collect();
    assert!(
        definitions.iter().any(|d| d.contains("sync_claimed_by")),
        "{definitions:?}"
    );
}

/// Four slow mirrors of one owner must not hold every slot (4 by default): at most two of
/// them run at once (`MIRRORFORGE_MAX_SYNCS_PER_OWNER`, default 2), and another owner's
/// import runs at once beside them.
async fn one_owner_cannot_hold_every_sync_slot(db: Db) {
    let (s, _admin) = start(&db).await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    let git = Git::new();
    let slow = GitBackend::slow(std::time::Duration::from_millis(1500)).await;
    slow.create("big").await;
    seed(&git, slow.path("big").to_str().unwrap()).await;
    let fast = GitBackend::start().await;
    fast.create("small").await;
    let small = Seed {
        work: "small-work",
        ..Seed::ONE_COMMIT
    };
    git.seed(fast.path("small").to_str().unwrap(), &small).await;
    let names = ["a1", "a2", "a3", "a4"];
    for name in names {
        s.create_repo(&alice, name, false).await;
        patch(
            &s,
            &alice,
            name,
            json!({ "mirror_enabled": true, "upstream_url": slow.url("big") }),
        )
        .await
        .expect(200);
    }
    for name in names {
        sync_now(&s, &alice, name).await.expect(202);
    }
    import_body(
        &s,
        &bob,
        json!({ "name": "tiny", "clone_url": fast.url("small"), "mirror": true }),
    )
    .await
    .expect(201);

    let mut most_running = 0;
    loop {
        most_running = most_running.max(running_runs(&s).await);
        let alice_syncing = syncing(&s, &alice, &names).await;
        let tiny = s
            .get("/api/v1/repos/bob/tiny/mirror/status", Some(&bob))
            .await
            .json();
        if tiny["sync_status"] != "syncing" {
            assert_eq!(tiny["sync_status"], "success", "{tiny}");
            assert!(
                alice_syncing > 0,
                "bob's import waited until alice's mirrors were done"
            );
            break;
        }
        assert!(
            alice_syncing > 0,
            "alice's mirrors were done before bob's import"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Let alice's run out, watching how many run at once.
    for _ in 0..300 {
        most_running = most_running.max(running_runs(&s).await);
        if syncing(&s, &alice, &names).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        most_running <= 2,
        "{most_running} of alice's syncs ran at once"
    );
}

/// How many of alice's repositories `names` say they are syncing.
async fn syncing(s: &TestServer, alice: &TestUser, names: &[&str]) -> usize {
    let mut syncing = 0;
    for name in names {
        let status = s
            .get(
                &format!("/api/v1/repos/alice/{name}/mirror/status"),
                Some(alice),
            )
            .await
            .json();
        syncing += usize::from(status["sync_status"] == "syncing");
    }
    syncing
}

/// Runs of alice's repositories in progress, read in one query (one moment).
async fn running_runs(s: &TestServer) -> u64 {
    use mirrorforge::entities::{mirror_run, repository, user};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
    let alice = user::Entity::find()
        .filter(user::Column::Username.eq("alice"))
        .one(&s.conn)
        .await
        .unwrap()
        .unwrap();
    let repos: Vec<i64> = repository::Entity::find()
        .select_only()
        .column(repository::Column::Id)
        .filter(repository::Column::OwnerId.eq(alice.id))
        .into_tuple()
        .all(&s.conn)
        .await
        .unwrap();
    mirror_run::Entity::find()
        .filter(mirror_run::Column::Status.eq("running"))
        .filter(mirror_run::Column::RepositoryId.is_in(repos))
        .count(&s.conn)
        .await
        .unwrap()
}
