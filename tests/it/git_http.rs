//! git smart HTTP with the stock `git` client: push, clone and fetch, who may do which,
//! both protocol versions, large packs and gzip-compressed requests.

use std::io::Write;

use mirrorforge::git::serve::pkt_line;

use crate::support::{
    Db, Git, TestServer,
    git::{parse_refs, random_bytes},
    on_both_databases,
};

on_both_databases!(
    push_with_a_token_stores_exactly_the_local_refs,
    push_with_username_and_password,
    anonymous_clone_of_a_public_repository_over_v2_and_v0,
    private_repositories_need_the_owner,
    organisation_roles_decide_who_clones_and_pushes,
    others_cannot_push_and_wrong_passwords_fail,
    a_large_push_round_trips_byte_identically,
    fetch_with_many_haves_sends_gzip_and_works,
    a_hand_made_gzip_request_is_understood,
);

/// A local repository with two branches and a tag, ready to push.
async fn local_repo(git: &Git, name: &str) -> std::path::PathBuf {
    let dir = git.init(name).await;
    git.commit_file(&dir, "README.md", "# hello\n", "first")
        .await;
    git.commit_file(&dir, "src/lib.rs", "pub fn f() {}\n", "second")
        .await;
    git.ok(&dir, &["tag", "-a", "v1.0", "-m", "release 1.0"])
        .await;
    git.ok(&dir, &["checkout", "-q", "-b", "feature"]).await;
    git.commit_file(&dir, "feature.txt", "new\n", "feature work")
        .await;
    git.ok(&dir, &["checkout", "-q", "main"]).await;
    dir
}

async fn push_with_a_token_stores_exactly_the_local_refs(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "proj", false).await;
    let git = Git::new();
    let work = local_repo(&git, "work").await;

    let url = s.git_url(Some(("alice", &alice.token)), "alice", "proj");
    git.ok(&work, &["push", "-q", &url, "--all"]).await;
    git.ok(&work, &["push", "-q", &url, "--tags"]).await;

    let local = parse_refs(&git.show_ref(&work).await);
    assert_eq!(local.len(), 3, "main, feature, v1.0: {local:?}");
    // What the server advertises, and what is on its disk, equal the local refs.
    let advertised = parse_refs(&git.ls_remote(&s.git_url(None, "alice", "proj")).await);
    assert_eq!(advertised, local);
    let stored = parse_refs(&git.show_ref(&s.repo_dir("alice", "proj")).await);
    assert_eq!(stored, local);
    git.ok(
        &s.repo_dir("alice", "proj"),
        &["fsck", "--full", "--strict"],
    )
    .await;

    // The `Authorization: token` style works for git too, as the Basic password; and
    // the URL without `.git` is the same repository.
    git.ok(&work, &["checkout", "-q", "feature"]).await;
    let new_head = git
        .commit_file(&work, "more.txt", "more\n", "more work")
        .await;
    let url_without_suffix = url.trim_end_matches(".git").to_owned();
    git.ok(&work, &["push", "-q", &url_without_suffix, "feature"])
        .await;
    let stored = git
        .ok(
            &s.repo_dir("alice", "proj"),
            &["rev-parse", "refs/heads/feature"],
        )
        .await;
    assert_eq!(stored, new_head);

    // Deleting a branch by push works as well.
    git.ok(&work, &["push", "-q", &url, ":feature"]).await;
    let remaining = parse_refs(&git.ls_remote(&s.git_url(None, "alice", "proj")).await);
    assert_eq!(
        remaining
            .iter()
            .map(|(r, _)| r.as_str())
            .collect::<Vec<_>>(),
        ["refs/heads/main", "refs/tags/v1.0"]
    );
}

async fn push_with_username_and_password(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "proj", true).await;
    let git = Git::new();
    let work = local_repo(&git, "work").await;
    let url = s.git_url(Some(("alice", &alice.password)), "alice", "proj");
    git.ok(&work, &["push", "-q", &url, "main"]).await;
    let head = git.ok(&work, &["rev-parse", "main"]).await;
    let stored = git
        .ok(
            &s.repo_dir("alice", "proj"),
            &["rev-parse", "refs/heads/main"],
        )
        .await;
    assert_eq!(stored, head);
    // The same credentials read the private repository back.
    let (out, clone) = git.clone(&url, "copy", &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]).await, head);
}

async fn anonymous_clone_of_a_public_repository_over_v2_and_v0(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "open", false).await;
    let git = Git::new();
    let work = local_repo(&git, "work").await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            &s.git_url(Some(("alice", &alice.token)), "alice", "open"),
            "--all",
            "--follow-tags",
        ],
    )
    .await;
    let local = parse_refs(&git.show_ref(&work).await);

    let url = s.git_url(None, "alice", "open");
    for (name, version) in [("v2", "2"), ("v0", "0"), ("v1", "1")] {
        let option = format!("protocol.version={version}");
        let (out, clone) = git
            .clone_env(&url, name, &[&option], &[("GIT_TRACE_PACKET", "1")])
            .await;
        let trace = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "clone over {name} failed:\n{trace}");
        // The packet trace shows which protocol was spoken.
        let spoke_v2 = trace.contains("< version 2");
        assert_eq!(spoke_v2, version == "2", "protocol {name}; trace:\n{trace}");
        // HEAD is main, and every branch and tag arrived.
        assert_eq!(
            git.ok(&clone, &["symbolic-ref", "HEAD"]).await,
            "refs/heads/main"
        );
        assert_eq!(
            std::fs::read_to_string(clone.join("README.md")).expect("checked out"),
            "# hello\n"
        );
        let remote: Vec<(String, String)> = parse_refs(&git.ok(&clone, &["show-ref"]).await)
            .into_iter()
            .filter_map(|(r, sha)| {
                if let Some(branch) = r.strip_prefix("refs/remotes/origin/") {
                    (branch != "HEAD").then(|| (format!("refs/heads/{branch}"), sha))
                } else {
                    r.starts_with("refs/tags/").then_some((r, sha))
                }
            })
            .collect();
        let mut remote = remote;
        remote.sort();
        assert_eq!(remote, local, "over {name}");
        git.ok(&clone, &["fsck", "--full"]).await;
    }

    // An empty repository clones too (with git's warning), and a missing one does not.
    s.create_repo(&alice, "empty", false).await;
    let (out, _) = git
        .clone(&s.git_url(None, "alice", "empty"), "empty", &[])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, _) = git
        .clone(&s.git_url(None, "alice", "missing"), "missing", &[])
        .await;
    assert!(!out.status.success());

    // The dumb protocol is not served.
    let resp = s.get("/alice/open.git/info/refs", None).await;
    assert_eq!(resp.status.as_u16(), 403, "{}", resp.body);
}

async fn private_repositories_need_the_owner(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "secret", true).await;
    let git = Git::new();
    let work = local_repo(&git, "work").await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            &s.git_url(Some(("alice", &alice.token)), "alice", "secret"),
            "main",
        ],
    )
    .await;
    let head = git.ok(&work, &["rev-parse", "main"]).await;

    // Anonymous: asked for credentials, and without a terminal the clone fails.
    let (out, dir) = git
        .clone(&s.git_url(None, "alice", "secret"), "anon", &[])
        .await;
    assert!(
        !out.status.success(),
        "anonymous clone of a private repo worked"
    );
    assert!(!dir.join(".git").exists());
    let resp = s
        .get("/alice/secret.git/info/refs?service=git-upload-pack", None)
        .await;
    assert_eq!(resp.status.as_u16(), 401);
    assert!(
        resp.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic")),
        "git needs a Basic challenge"
    );

    // Another user: not found, with a token or a password.
    for secret in [&bob.token, &bob.password] {
        let (out, _) = git
            .clone(
                &s.git_url(Some(("bob", secret)), "alice", "secret"),
                "bob",
                &[],
            )
            .await;
        assert!(!out.status.success(), "bob cloned alice's private repo");
    }
    // Bob's token used under alice's name is still bob.
    let (out, _) = git
        .clone(
            &s.git_url(Some(("alice", &bob.token)), "alice", "secret"),
            "bob2",
            &[],
        )
        .await;
    assert!(!out.status.success(), "bob's token opened alice's repo");

    // The owner's token and an administrator may clone it.
    for (who, user, secret) in [
        ("owner", "alice", &alice.token),
        ("admin", "root", &admin.token),
    ] {
        let (out, clone) = git
            .clone(
                &s.git_url(Some((user, secret)), "alice", "secret"),
                who,
                &[],
            )
            .await;
        assert!(
            out.status.success(),
            "{who} could not clone: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(git.ok(&clone, &["rev-parse", "HEAD"]).await, head);
    }
}

/// An organisation's repositories over git: `read` clones a private one but cannot push,
/// `write` and `owner` push, a stranger is told nothing exists, anonymous callers are asked for
/// credentials; on a public one anyone clones and only members with write push. A removed
/// member loses access at once.
async fn organisation_roles_decide_who_clones_and_pushes(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let carol = s.create_user("carol").await;
    let dave = s.create_user("dave").await;
    let erin = s.create_user("erin").await;
    let bob = s.create_user("bob").await;
    s.create_org(&carol, "acme").await;
    s.set_role(&carol, "acme", &dave, "write").await;
    s.set_role(&carol, "acme", &erin, "read").await;
    s.create_org_repo(&dave, "acme", "vault", true).await;
    s.create_org_repo(&dave, "acme", "open", false).await;
    let git = Git::new();
    let work = local_repo(&git, "work").await;
    for repo in ["vault", "open"] {
        git.ok(
            &work,
            &[
                "push",
                "-q",
                &s.git_url(Some(("dave", &dave.token)), "acme", repo),
                "main",
            ],
        )
        .await;
    }
    let head = git.ok(&work, &["rev-parse", "main"]).await;

    // Cloning the private one.
    for (who, user, may) in [
        ("carol", &carol, true),
        ("dave", &dave, true),
        ("erin", &erin, true),
        ("bob", &bob, false),
    ] {
        let (out, dir) = git
            .clone(
                &s.git_url(Some((who, &user.token)), "acme", "vault"),
                &format!("v-{who}"),
                &[],
            )
            .await;
        assert_eq!(out.status.success(), may, "{who} cloning acme/vault");
        if may {
            assert_eq!(git.ok(&dir, &["rev-parse", "main"]).await, head, "{who}");
        }
    }
    let resp = s
        .get("/acme/vault.git/info/refs?service=git-upload-pack", None)
        .await;
    assert_eq!(
        resp.status.as_u16(),
        401,
        "anonymous is asked for credentials"
    );
    let resp = s
        .get(
            "/acme/vault.git/info/refs?service=git-upload-pack",
            Some(&bob),
        )
        .await;
    assert_eq!(resp.status.as_u16(), 404, "a stranger learns nothing");

    // Pushing: write and owner may, read may not (and is told why), on both.
    git.commit_file(&work, "more.txt", "more\n", "more").await;
    for repo in ["vault", "open"] {
        let before = git.show_ref(&s.repo_dir("acme", repo)).await;
        for (who, user) in [("erin", &erin), ("bob", &bob)] {
            let err = git
                .fails(
                    &work,
                    &[
                        "push",
                        "-q",
                        &s.git_url(Some((who, &user.token)), "acme", repo),
                        "main",
                    ],
                )
                .await;
            let expected = if repo == "vault" && who == "bob" {
                "not found"
            } else {
                "403"
            };
            assert!(
                err.contains(expected),
                "{who} pushing to acme/{repo}: {err}"
            );
        }
        assert_eq!(
            git.show_ref(&s.repo_dir("acme", repo)).await,
            before,
            "nothing changed"
        );
        git.ok(
            &work,
            &[
                "push",
                "-q",
                &s.git_url(Some(("carol", &carol.token)), "acme", repo),
                "main",
            ],
        )
        .await;
    }
    let (out, _) = git
        .clone(&s.git_url(None, "acme", "open"), "anon-open", &[])
        .await;
    assert!(
        out.status.success(),
        "anyone clones a public organisation repository"
    );

    // Taken out of the organisation, erin cannot clone the private one any more.
    s.send(
        s.http
            .delete(s.url("/api/v1/orgs/acme/members/erin"))
            .bearer_auth(&carol.token),
    )
    .await
    .expect(204);
    let (out, _) = git
        .clone(
            &s.git_url(Some(("erin", &erin.token)), "acme", "vault"),
            "v-erin-gone",
            &[],
        )
        .await;
    assert!(!out.status.success(), "a removed member still cloned");
}

async fn others_cannot_push_and_wrong_passwords_fail(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "open", false).await;
    let git = Git::new();
    let work = local_repo(&git, "work").await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            &s.git_url(Some(("alice", &alice.token)), "alice", "open"),
            "main",
        ],
    )
    .await;
    let before = git.show_ref(&s.repo_dir("alice", "open")).await;
    git.commit_file(&work, "evil.txt", "evil\n", "not yours")
        .await;

    // Each attempt fails with what git says for that refusal, and changes nothing.
    let attempts = [
        (
            "anonymous",
            s.git_url(None, "alice", "open"),
            "could not read Username",
        ),
        (
            "bob's token",
            s.git_url(Some(("bob", &bob.token)), "alice", "open"),
            "403",
        ),
        (
            "bob's password",
            s.git_url(Some(("bob", &bob.password)), "alice", "open"),
            "403",
        ),
        (
            "a wrong password",
            s.git_url(Some(("alice", "wrong-password")), "alice", "open"),
            "Authentication failed",
        ),
        (
            "a made-up token",
            s.git_url(
                Some(("alice", "mf_0000000000000000000000000000000000000000")),
                "alice",
                "open",
            ),
            "Authentication failed",
        ),
    ];
    for (who, url, expected) in attempts {
        let stderr = git.fails(&work, &["push", &url, "main"]).await;
        assert!(
            stderr.contains(expected),
            "push with {who}: expected {expected:?} in:\n{stderr}"
        );
        assert_eq!(
            git.show_ref(&s.repo_dir("alice", "open")).await,
            before,
            "push with {who} changed the repository"
        );
    }

    // A wrong password does not read a private repository either.
    s.create_repo(&alice, "secret", true).await;
    let (out, _) = git
        .clone(
            &s.git_url(Some(("alice", "wrong-password")), "alice", "secret"),
            "nope",
            &[],
        )
        .await;
    assert!(
        !out.status.success(),
        "a wrong password cloned a private repo"
    );

    // The owner and an administrator may push.
    for (user, secret) in [("root", &admin.token), ("alice", &alice.password)] {
        git.ok(
            &work,
            &[
                "push",
                "-q",
                &s.git_url(Some((user, secret)), "alice", "open"),
                "main",
            ],
        )
        .await;
    }
    let head = git.ok(&work, &["rev-parse", "main"]).await;
    assert_eq!(
        git.ok(&s.repo_dir("alice", "open"), &["rev-parse", "main"])
            .await,
        head
    );
}

async fn a_large_push_round_trips_byte_identically(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "big", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    // About 6 MiB of incompressible data in four commits, the same files changed each time.
    for round in 0..4 {
        for file in 0..3 {
            let len = 256 * 1024 * (file + 1) + round * 1000;
            std::fs::write(work.join(format!("blob-{file}.bin")), random_bytes(len))
                .expect("write");
        }
        git.ok(&work, &["add", "-A"]).await;
        git.ok(&work, &["commit", "-q", "-m", &format!("round {round}")])
            .await;
    }
    git.ok(&work, &["branch", "side", "HEAD~2"]).await;
    let url = s.git_url(Some(("alice", &alice.token)), "alice", "big");
    git.ok(&work, &["push", "-q", &url, "main", "side"]).await;

    let server_refs = parse_refs(&git.show_ref(&s.repo_dir("alice", "big")).await);
    let local_refs = parse_refs(&git.show_ref(&work).await);
    assert_eq!(server_refs, local_refs);
    let stored = dir_size(&s.repo_dir("alice", "big").join("objects"));
    assert!(stored > 5_000_000, "only {stored} bytes stored");

    let (out, clone) = git
        .clone(&s.git_url(None, "alice", "big"), "clone", &[])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git.ok(&clone, &["fsck", "--full", "--strict"]).await;
    for branch in ["main", "side"] {
        assert_eq!(
            git.ok(&clone, &["rev-parse", &format!("origin/{branch}")])
                .await,
            git.ok(&work, &["rev-parse", branch]).await,
        );
    }
    for file in 0..3 {
        let name = format!("blob-{file}.bin");
        assert!(
            std::fs::read(work.join(&name)).expect("local")
                == std::fs::read(clone.join(&name)).expect("cloned"),
            "{name} differs"
        );
    }
}

async fn fetch_with_many_haves_sends_gzip_and_works(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "busy", false).await;
    let git = Git::new();
    let url = s.git_url(Some(("alice", &alice.token)), "alice", "busy");

    let upstream = git.init("upstream").await;
    let base = git.commit_file(&upstream, "a.txt", "a\n", "base").await;
    git.ok(&upstream, &["push", "-q", &url, "main"]).await;

    // A clone that then makes many commits of its own the server has never seen: fetching
    // makes git list them as "have" lines, a request git gzips once it passes 1 KiB.
    let (out, local) = git
        .clone(&s.git_url(None, "alice", "busy"), "local", &[])
        .await;
    assert!(out.status.success());
    git.ok(&local, &["checkout", "-q", "-b", "private-work"])
        .await;
    // Dated after the base, a minute apart: git offers "have" lines newest first, so the base
    // (the one commit the server knows) comes last. Made in the same second as the base, the
    // order among equal dates varied, and an early base ended the talk in one small request.
    let base_time: i64 = git
        .ok(&local, &["show", "-s", "--format=%ct", &base])
        .await
        .parse()
        .expect("a commit time");
    for i in 0..100 {
        let date = format!("@{} +0000", base_time + 60 * (i + 1));
        let out = git
            .run_env(
                &local,
                &["commit", "-q", "--allow-empty", "-m", &format!("local {i}")],
                &[("GIT_COMMITTER_DATE", &date), ("GIT_AUTHOR_DATE", &date)],
            )
            .await;
        assert!(out.status.success(), "{out:?}");
    }

    for (version, name) in [("2", "v2"), ("0", "v0")] {
        // The server moves on, so the fetch has something new to negotiate for.
        let new_head = git
            .commit_file(
                &upstream,
                "a.txt",
                format!("{name}\n"),
                &format!("upstream {name}"),
            )
            .await;
        git.ok(&upstream, &["push", "-q", &url, "main"]).await;
        // Forget the last fetch, so the only common commit is the old base, behind all the
        // local commits.
        git.ok(&local, &["update-ref", "refs/remotes/origin/main", &base])
            .await;
        let out = git
            .run_env(
                &local,
                &[
                    "-c",
                    &format!("protocol.version={version}"),
                    "fetch",
                    "origin",
                ],
                &[("GIT_TRACE_CURL", "1"), ("GIT_TRACE_CURL_NO_DATA", "1")],
            )
            .await;
        let trace = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "fetch over {name} failed:\n{trace}");
        assert!(
            trace
                .to_ascii_lowercase()
                .contains("content-encoding: gzip"),
            "git sent no gzipped request over {name}; trace:\n{trace}"
        );
        assert_eq!(
            git.ok(&local, &["rev-parse", "origin/main"]).await,
            new_head,
            "over {name}"
        );
    }
    git.ok(&local, &["fsck", "--full"]).await;
}

async fn a_hand_made_gzip_request_is_understood(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "zipped", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    let head = git.commit_file(&work, "f.txt", "zip me\n", "only").await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            &s.git_url(Some(("alice", &alice.token)), "alice", "zipped"),
            "main",
        ],
    )
    .await;

    // A protocol v0 upload-pack request: want the commit, done.
    let mut request = String::new();
    request.push_str(&pkt_line(&format!("want {head} ofs-delta\n")));
    request.push_str("0000");
    request.push_str(&pkt_line("done\n"));
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(request.as_bytes()).expect("gzip");
    let gzipped = encoder.finish().expect("gzip");

    for (encoding, body) in [("gzip", gzipped), ("identity", request.into_bytes())] {
        let mut builder = s
            .http
            .post(s.url("/alice/zipped.git/git-upload-pack"))
            .header("Content-Type", "application/x-git-upload-pack-request")
            .body(body);
        if encoding == "gzip" {
            builder = builder.header("Content-Encoding", "gzip");
        }
        let response = builder.send().await.expect("request");
        assert_eq!(response.status().as_u16(), 200, "{encoding}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/x-git-upload-pack-result")
        );
        let bytes = response.bytes().await.expect("body");
        assert!(
            bytes.starts_with(b"0008NAK\n"),
            "{encoding}: {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(64)])
        );
        assert!(
            bytes.windows(4).any(|w| w == b"PACK"),
            "{encoding}: no pack in the answer"
        );
    }
}

/// Bytes in all files under `dir` (a push may be kept as a pack or as loose objects).
fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("readable")
        .map(|entry| {
            let entry = entry.expect("entry");
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                dir_size(&entry.path())
            } else {
                meta.len()
            }
        })
        .sum()
}
