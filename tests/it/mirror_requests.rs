//! What a sync asks of the remote: a sync with nothing to do costs exactly the one ref
//! advertisement, and one that fetches or pushes a new commit asks for the advertisement once
//! (libgit2 is served the copy our code read), then negotiates.

use std::path::PathBuf;

use serde_json::json;

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::{GitBackend, refs_of},
    mirror::{import_body, patch, seed, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    a_sync_asks_the_remote_no_more_than_it_needs,
    a_first_push_to_an_empty_remote_is_complete_either_way,
);

/// A server with a mirror `m` imported from a seeded upstream `src`, its first sync done; the
/// upstream's work tree too.
async fn imported_mirror(db: &Db) -> (TestServer, TestUser, GitBackend, Git, PathBuf) {
    let (s, owner) = start(db).await;
    let upstream = GitBackend::start().await;
    upstream.create("src").await;
    let git = Git::new();
    let work = seed(&git, upstream.path("src").to_str().unwrap()).await;
    import_body(
        &s,
        &owner,
        json!({ "name": "m", "clone_url": upstream.url("src"), "mirror": true }),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    (s, owner, upstream, git, work)
}

async fn a_sync_asks_the_remote_no_more_than_it_needs(db: Db) {
    let (s, owner, upstream, git, work) = imported_mirror(&db).await;
    upstream.take_requests();

    // Nothing changed: the advertisement alone.
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    assert_eq!(upstream.take_requests(), ["GET refs"], "a no-op pull");

    // One new commit: the advertisement once, then the negotiation.
    git.commit_file(&work, "n.txt", "new\n", "new").await;
    git.ok(
        &work,
        &["push", "-q", upstream.path("src").to_str().unwrap(), "main"],
    )
    .await;
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    let pulled = upstream.take_requests();
    assert_eq!(
        pulled.iter().filter(|r| *r == "GET refs").count(),
        1,
        "{pulled:?}"
    );
    assert!(
        pulled
            .iter()
            .all(|r| r == "GET refs" || r == "POST git-upload-pack"),
        "{pulled:?}"
    );

    // A push mirror: a no-op push is one advertisement, a push one advertisement and one POST.
    let backup = GitBackend::start().await;
    backup.create("backup").await;
    patch(
        &s,
        &owner,
        "m",
        json!({
            "mirror_direction": "downstream", "downstream_url": backup.url("backup")
        }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    assert_eq!(
        backup.take_requests(),
        ["GET refs", "POST git-receive-pack"],
        "a full push"
    );
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    assert_eq!(backup.take_requests(), ["GET refs"], "a no-op push");
}

/// A first push of a mirror that is one pack (as its import left it) to an empty remote sends
/// that pack as it is; a repository with loose objects goes through libgit2's pack builder.
/// Either way the backup ends with the same refs and passes `git fsck`.
async fn a_first_push_to_an_empty_remote_is_complete_either_way(db: Db) {
    let (s, owner, _upstream, git, work) = imported_mirror(&db).await;
    // The import's pack is repacked with a bitmap in the background; still one pack after.
    mirrorforge::git::maintenance::settled().await;
    let local = s.repo_dir("owner", "m");
    assert!(
        !mirrorforge::git::maintenance::needs_packing(&local),
        "the import was repacked for clones"
    );
    assert!(
        mirrorforge::git::fetch_push::pack_push::single_pack(&local).is_some(),
        "one pack after an import"
    );
    let backups = GitBackend::start().await;
    let mut hidden = String::new();
    for (name, loose) in [
        ("as-one-pack", false),
        ("with-a-ref-not-mirrored", false),
        ("with-loose-objects", true),
    ] {
        if name == "with-a-ref-not-mirrored" {
            // A commit only a host-internal ref reaches, packed with the rest: the pack would
            // carry it, so the push goes through the pack builder and leaves it behind.
            let tree = git.ok(&local, &["rev-parse", "HEAD^{tree}"]).await;
            hidden = git
                .ok(&local, &["commit-tree", tree.trim(), "-m", "pull request"])
                .await
                .trim()
                .to_owned();
            git.ok(&local, &["update-ref", "refs/pull/1/head", &hidden])
                .await;
            git.ok(&local, &["gc", "-q"]).await;
            assert!(mirrorforge::git::fetch_push::pack_push::single_pack(&local).is_some());
        }
        if loose {
            // A loose object of its own: the pack no longer holds everything.
            git.ok(&work, &["commit", "-q", "--allow-empty", "-m", "loose"])
                .await;
            git.ok(
                &work,
                &[
                    "push",
                    "-q",
                    local.to_str().unwrap(),
                    "HEAD:refs/heads/loose",
                ],
            )
            .await;
            assert!(mirrorforge::git::fetch_push::pack_push::single_pack(&local).is_none());
        }
        backups.create(name).await;
        patch(
            &s,
            &owner,
            "m",
            json!({ "mirror_direction": "downstream", "downstream_url": backups.url(name) }),
        )
        .await
        .expect(200);
        sync_now(&s, &owner, "m").await.expect(202);
        let status = settle(&s, &owner, "m").await;
        assert_eq!(status["sync_status"], "success", "{name}: {status}");
        assert_eq!(
            refs_of(&backups.path(name)).await,
            refs_of(&local).await,
            "{name}"
        );
        let fsck = git.run(&backups.path(name), &["fsck", "--full"]).await;
        assert!(fsck.status.success(), "{name}: {fsck:?}");
        if !hidden.is_empty() {
            let there = git
                .run(&backups.path(name), &["cat-file", "-e", &hidden])
                .await;
            assert!(
                !there.status.success(),
                "{name}: the pull request's commit was sent"
            );
        }
    }
}
