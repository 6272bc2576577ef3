//! What a sync asks of the remote: a sync with nothing to do costs exactly the one ref
//! advertisement, and one that fetches or pushes a new commit asks for the advertisement once
//! (libgit2 is served the copy our code read), then negotiates.

use serde_json::json;

use crate::support::{
    Db, Git,
    git_backend::GitBackend,
    mirror::{import_body, patch, seed, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(a_sync_asks_the_remote_no_more_than_it_needs,);

async fn a_sync_asks_the_remote_no_more_than_it_needs(db: Db) {
    let (s, owner) = start(&db).await;
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
