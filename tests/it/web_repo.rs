//! The repository page and what a first push leaves behind: commits listed newest first even
//! when made in the same second (on the history page), and a HEAD that names a branch that exists.

use crate::support::{Db, Git, TestServer, on_both_databases};

on_both_databases!(
    commits_of_one_second_are_listed_newest_first,
    the_first_push_of_another_branch_becomes_head,
    a_pushed_repository_is_repacked_for_quick_clones,
);

async fn commits_of_one_second_are_listed_newest_first(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    let same_second = [
        ("GIT_AUTHOR_DATE", "2026-11-30T12:00:00Z"),
        ("GIT_COMMITTER_DATE", "2026-11-30T12:00:00Z"),
    ];
    for i in 1..=12 {
        let message = format!("commit number {i:02}");
        let made = git
            .run_env(
                &work,
                &["commit", "-q", "--allow-empty", "-m", &message],
                &same_second,
            )
            .await;
        assert!(made.status.success(), "{made:?}");
    }
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "r");
    git.ok(&work, &["push", "-q", &url, "main"]).await;
    let page = s.get("/owner/r/commits/main", None).await;
    page.expect(200);
    let listed: Vec<usize> = (1..=12)
        .map(|i| {
            page.body
                .find(&format!("commit number {i:02}"))
                .unwrap_or_else(|| panic!("commit {i} missing"))
        })
        .collect();
    assert!(
        listed.windows(2).all(|pair| pair[0] > pair[1]),
        "not newest first: positions {listed:?}"
    );
}

async fn the_first_push_of_another_branch_becomes_head(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    git.ok(&work, &["checkout", "-q", "-b", "master"]).await;
    git.commit_file(&work, "a.txt", "a\n", "on master").await;
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "r");
    git.ok(&work, &["push", "-q", &url, "master"]).await;
    // A clone checks the pushed branch out, and the page names it the default.
    let (cloned, dir) = git.clone(&s.git_url(None, "owner", "r"), "copy", &[]).await;
    assert!(cloned.status.success(), "{cloned:?}");
    assert_eq!(
        std::fs::read_to_string(dir.join("a.txt")).unwrap_or_default(),
        "a\n",
        "the clone checked nothing out"
    );
    let page = s.get("/owner/r", None).await;
    assert!(
        page.body.contains(r#"class="ref-current">master<"#),
        "{}",
        page.body
    );
    // Once HEAD names a branch that exists, later pushes of other branches leave it alone.
    git.ok(&work, &["checkout", "-q", "-b", "topic"]).await;
    git.commit_file(&work, "b.txt", "b\n", "on topic").await;
    git.ok(&work, &["push", "-q", &url, "topic"]).await;
    let head = std::fs::read_to_string(s.repo_dir("owner", "r").join("HEAD")).unwrap();
    assert_eq!(head.trim(), "ref: refs/heads/master");
}

/// A push leaves a pack without a bitmap index, so every clone would walk every object; the
/// server repacks it in the background, and a clone still gets everything.
async fn a_pushed_repository_is_repacked_for_quick_clones(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    for i in 0..150 {
        git.commit_file(
            &work,
            &format!("f{i}.txt"),
            &format!("{i}\n"),
            &format!("c{i}"),
        )
        .await;
    }
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "r");
    git.ok(&work, &["push", "-q", &url, "main"]).await;
    // The server may start its background repack a moment after git's push has returned.
    let repo = s.repo_dir("owner", "r");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while mirrorforge::git::maintenance::needs_packing(&repo) {
        assert!(
            std::time::Instant::now() < deadline,
            "no bitmap a minute after a push"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    mirrorforge::git::maintenance::settled().await;
    let (cloned, dir) = git.clone(&s.git_url(None, "owner", "r"), "copy", &[]).await;
    assert!(cloned.status.success(), "{cloned:?}");
    assert!(dir.join("f149.txt").exists());
}
