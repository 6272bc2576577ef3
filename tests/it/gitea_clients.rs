//! Tools written for Gitea drive mirrorforge unchanged: the client generated from Gitea's
//! OpenAPI document (`gitea-api-client`) goes through a migration tool's whole round — the
//! version, the caller, a private organisation, a repository migrated into it as a mirror,
//! `repo_get` until it has content, mirror-sync, the organisation's listing, a push mirror
//! added, listed and synced — every answer parsed by its own models; an independent,
//! hand-written client (`py-gitea`) migrates and syncs a mirror too. Both are installed by
//! `make deps` into `target/gitea-clients`; the upstream and the push target are stock
//! `git http-backend`.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::support::{
    Db, Git, TestServer, TestUser,
    git::{fast_import, parse_refs},
    git_backend::GitBackend,
    mirror::start,
    on_both_databases,
};

on_both_databases!(
    the_generated_client_migrates_syncs_lists_and_pushes,
    py_gitea_migrates_and_syncs_a_mirror
);

/// The virtual environment `make deps` installs the clients into.
fn clients_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/gitea-clients/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make deps` (it installs gitea-api-client and py-gitea there)",
        python.display()
    );
    python
}

/// Runs `tests/gitea_clients/<script>` with `env`, fails the test unless it succeeds, and
/// returns the JSON it printed.
async fn run_client(script: &str, env: &[(&str, &str)]) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/gitea_clients")
        .join(script);
    let out = tokio::process::Command::new(clients_python())
        .arg(path)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{script} printed {stdout}: {e}"))
}

/// A bare repository at `remotes`' `name` with two branches and a tag.
async fn upstream(remotes: &GitBackend, name: &str) -> PathBuf {
    let bare = remotes.create(name).await;
    let author = "Test Author <author@example.com> 1700000000 +0000";
    let stream = format!(
        "commit refs/heads/main\ncommitter {author}\ndata 4\nroot\nM 100644 inline README\ndata 6\nhello\n\n\
         commit refs/heads/dev\ncommitter {author}\ndata 3\ndev\nfrom refs/heads/main\nM 100644 inline dev.txt\ndata 4\ndev\n\n\
         tag v1\nfrom refs/heads/main\ntagger {author}\ndata 3\nv1\n"
    );
    fast_import(&bare, stream.as_bytes()).await;
    bare
}

/// Waits (up to 30 s) until the branches and tags of `here` are those of `there`.
async fn until_same_refs(git: &Git, here: &Path, there: &Path, what: &str) {
    let started = Instant::now();
    loop {
        let want = parse_refs(&git.show_ref(there).await);
        let have = if here.exists() {
            let out = git
                .run(here, &["show-ref", "--head", "--heads", "--tags"])
                .await;
            parse_refs(&String::from_utf8_lossy(&out.stdout))
        } else {
            Vec::new()
        };
        if have == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: refs {have:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn the_generated_client_migrates_syncs_lists_and_pushes(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let git = Git::new();
    let source = upstream(&remotes, "source").await;
    let backup = remotes.create("backup").await;

    let seen = run_client(
        "generated_client.py",
        &[
            ("MF_BASE", &s.base()),
            ("MF_TOKEN", &owner.token),
            ("MF_UPSTREAM", &remotes.url("source")),
            ("MF_PUSH_TARGET", &remotes.url("backup")),
            ("MF_ORG", "backups"),
        ],
    )
    .await;
    assert_eq!(seen["login"], "owner", "{seen}");
    assert_eq!(seen["mirror_interval"], "8h0m0s", "{seen}");
    assert_eq!(seen["edited_interval"], "2h30m0s", "{seen}");
    // A push mirror is pushed with each scheduled sync: the repository's interval, as edited.
    assert_eq!(seen["push_mirror_interval"], "2h30m0s", "{seen}");
    assert_eq!(seen["default_branch"], "main", "{seen}");
    assert!(
        seen["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("1.22.0+mirrorforge.")),
        "{seen}"
    );

    // The mirror holds the upstream's refs, and the push target got them from it.
    until_same_refs(
        &git,
        &s.repo_dir("backups", "mirrored"),
        &source,
        "the mirror",
    )
    .await;
    until_same_refs(&git, &backup, &source, "the push target").await;

    // The organisation is private: a stranger learns nothing of it or of its repositories.
    let stranger = s.create_user("stranger").await;
    for who in [None, Some(&stranger)] {
        s.get("/api/v1/orgs/backups", who).await.expect(404);
        s.get("/api/v1/repos/backups/mirrored", who)
            .await
            .expect(404);
        s.get("/api/v1/users/backups", who).await.expect(404);
    }
    let org = s.get("/api/v1/orgs/backups", Some(&owner)).await;
    org.expect(200);
    assert_eq!(org.json()["visibility"], "private");
    assert_eq!(org.json()["full_name"], "Mirrors of upstream");
    let repo = s.get("/api/v1/repos/backups/mirrored", Some(&owner)).await;
    repo.expect(200);
    let repo = repo.json();
    assert_eq!(repo["owner"]["login"], "backups", "{repo}");
    assert_eq!(repo["mirror"], true, "{repo}");
    assert_eq!(repo["empty"], false, "{repo}");
    assert_eq!(repo["permissions"]["admin"], true, "{repo}");
}

async fn py_gitea_migrates_and_syncs_a_mirror(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let git = Git::new();
    let source = upstream(&remotes, "source").await;

    let seen = run_client(
        "py_gitea.py",
        &[
            ("MF_BASE", &s.base()),
            ("MF_TOKEN", &owner.token),
            ("MF_UPSTREAM", &remotes.url("source")),
            ("MF_NAME", "kept"),
        ],
    )
    .await;
    assert_eq!(seen["login"], "owner", "{seen}");
    assert_eq!(seen["mirror_interval"], "10m0s", "{seen}");
    until_same_refs(&git, &s.repo_dir("owner", "kept"), &source, "the mirror").await;

    // A later upstream commit arrives by mirror-sync, as the tool presses it.
    let author = "Test Author <author@example.com> 1700000100 +0000";
    let stream = format!(
        "commit refs/heads/main\ncommitter {author}\ndata 5\nlater\nfrom refs/heads/main^0\nM 100644 inline later.txt\ndata 6\nlater\n\n"
    );
    fast_import(&source, stream.as_bytes()).await;
    mirror_sync(&s, &owner, "kept").await;
    until_same_refs(
        &git,
        &s.repo_dir("owner", "kept"),
        &source,
        "after mirror-sync",
    )
    .await;
}

/// Gitea's `mirror-sync`, as a script would call it: 200 with an empty body.
async fn mirror_sync(s: &TestServer, owner: &TestUser, name: &str) {
    let answer = s
        .send(
            s.http
                .post(s.url(&format!(
                    "/api/v1/repos/{}/{name}/mirror-sync",
                    owner.username
                )))
                .header("Authorization", format!("token {}", owner.token)),
        )
        .await;
    answer.expect(200);
    assert_eq!(answer.body, "");
}
