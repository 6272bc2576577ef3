//! LFS with SSH remotes, as the reference client reaches GitHub's and GitLab's: the mirror
//! runs `git-lfs-authenticate '<path>' download` (or `upload`) over its own SSH connection
//! (the repository's key, the pinned host key) and speaks to the LFS API the answer names,
//! with the headers it hands out. A real `sshd` runs the command through a forced command
//! that answers as those hosts do; this server's own LFS stands behind the href. A remote
//! without the command fails the run with a sentence and the refs stay.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::refs_of,
    lfs::{Auth, get, oid_of, pseudo_random},
    mirror::{call, patch, repo_with_ssh_key, runs, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    lfs_over_ssh_goes_where_git_lfs_authenticate_says_both_ways,
    an_ssh_remote_without_git_lfs_authenticate_fails_with_a_sentence,
);

/// Lets `public` into `sshd` through a forced command: `git-lfs-authenticate … download` (or
/// `upload`) is written down in `asked` and answered with `answers[operation]`; any other
/// command runs as asked.
fn answer_lfs_authenticate(
    sshd: &crate::support::sshd::Sshd,
    public: &str,
    dir: &Path,
    answers: &[(&str, Value)],
) -> PathBuf {
    let asked = dir.join("asked");
    let mut cases = String::new();
    for (operation, answer) in answers {
        let file = dir.join(format!("answer-{operation}"));
        std::fs::write(&file, answer.to_string()).unwrap();
        cases.push_str(&format!(
            "  \"git-lfs-authenticate \"*\" {operation}\") echo \"$SSH_ORIGINAL_COMMAND\" >> '{}'; cat '{}' ;;\n",
            asked.display(),
            file.display()
        ));
    }
    let script = dir.join("forced");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$SSH_ORIGINAL_COMMAND\" in\n{cases}  git-lfs-authenticate*) echo unknown >&2; exit 1 ;;\n  *) exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\" ;;\nesac\n"
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", script.to_str().unwrap()])
        .status()
        .unwrap();
    sshd.authorize(&format!("command=\"{}\" {public}", script.display()));
    asked
}

/// What GitHub's `git-lfs-authenticate` answers, for this server's repository `repo`.
fn access_to(s: &TestServer, owner: &TestUser, repo: &str) -> Value {
    let login = base64::engine::general_purpose::STANDARD.encode(format!("owner:{}", owner.token));
    json!({
        "href": format!("{}/owner/{repo}.git/info/lfs", s.base()),
        "header": {"Authorization": format!("Basic {login}")},
        "expires_in": 3600
    })
}

/// Runs a sync of `owner/repo` and waits for it; the status and the newest run.
async fn sync(s: &TestServer, owner: &TestUser, repo: &str) -> (Value, Value) {
    sync_now(s, owner, repo).await.expect(202);
    let status = settle(s, owner, repo).await;
    (status, runs(s, owner, repo).await[0].clone())
}

/// A work tree tracking `*.bin` with LFS, holding `files`, committed.
async fn lfs_work_tree(git: &Git, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = git.init_lfs("work").await;
    for (name, content) in files {
        std::fs::write(dir.join(name), content).unwrap();
    }
    git.ok(&dir, &["add", "-A"]).await;
    git.ok(&dir, &["commit", "-q", "-m", "files"]).await;
    dir
}

async fn lfs_over_ssh_goes_where_git_lfs_authenticate_says_both_ways(db: Db) {
    let (s, owner) = start(&db).await;
    // The LFS objects live behind this server's own (private) repository `store`; git's
    // objects on the SSH host.
    s.create_repo(&owner, "store", true).await;
    let (public, sshd) = repo_with_ssh_key(&s, &owner, "m").await;
    let upstream = sshd.create("up").await;
    let git = Git::new();
    git.lfs_install().await;
    let (one, two) = (pseudo_random(150 * 1024, 31), pseudo_random(70 * 1024, 32));
    let work = lfs_work_tree(&git, &[("one.bin", &one), ("two.bin", &two)]).await;
    let store = s.git_url(Some(("owner", &owner.token)), "owner", "store");
    git.ok(&work, &["push", "-q", &store, "main"]).await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            "--no-verify",
            upstream.to_str().unwrap(),
            "main",
        ],
    )
    .await;

    s.create_repo(&owner, "backup", true).await;
    let dir = tempfile::tempdir().unwrap();
    let asked = answer_lfs_authenticate(
        &sshd,
        &public,
        dir.path(),
        &[
            ("download", access_to(&s, &owner, "store")),
            ("upload", access_to(&s, &owner, "backup")),
        ],
    );

    // Pull: the objects come from the href, signed in with the header handed out.
    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": sshd.url("up"), "lfs_enabled": true}),
    )
    .await
    .expect(200);
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 2, "{run}");
    assert_eq!(
        run["lfs_bytes_transferred"],
        150 * 1024 + 70 * 1024,
        "{run}"
    );
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        refs_of(&upstream).await
    );
    let said = std::fs::read_to_string(&asked).unwrap();
    assert_eq!(
        said.trim(),
        format!("git-lfs-authenticate '{}' download", upstream.display()),
        "the command as the reference client sends it"
    );
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "m");
    let (out, clone) = git.clone(&url, "clone", &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(clone.join("one.bin")).unwrap() == one);
    assert!(std::fs::read(clone.join("two.bin")).unwrap() == two);

    // Push: a push mirror over SSH gets its objects through `… upload`'s href.
    let backup = sshd.create("backup").await;
    call(
        &s,
        "POST",
        "/api/v1/repos/owner/m/push_mirrors",
        &owner,
        Some(json!({"remote_url": sshd.url("backup")})),
    )
    .await
    .expect(201);
    patch(&s, &owner, "m", json!({"mirror_direction": "both"}))
        .await
        .expect(200);
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(refs_of(&backup).await, refs_of(&upstream).await);
    let said = std::fs::read_to_string(&asked).unwrap();
    assert!(
        said.contains(&format!(
            "git-lfs-authenticate '{}' upload",
            backup.display()
        )),
        "{said}"
    );
    for content in [&one, &two] {
        let (code, body) = get(
            &s,
            "owner/backup",
            Auth::Token(&owner.token),
            &oid_of(content),
        )
        .await;
        assert_eq!(code, 200, "the push mirror's LFS server has the object");
        assert!(body == *content);
    }
    assert!(
        run["lfs_objects_transferred"].as_u64().unwrap() >= 2,
        "{run}"
    );
    s.forbid_in_answers(&owner.token);
}

async fn an_ssh_remote_without_git_lfs_authenticate_fails_with_a_sentence(db: Db) {
    let (s, owner) = start(&db).await;
    let (_, sshd) = repo_with_ssh_key(&s, &owner, "m").await;
    let upstream = sshd.create("up").await;
    let git = Git::new();
    git.lfs_install().await;
    let work = lfs_work_tree(&git, &[("one.bin", &pseudo_random(1024, 41))]).await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            "--no-verify",
            upstream.to_str().unwrap(),
            "main",
        ],
    )
    .await;
    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": sshd.url("up"), "lfs_enabled": true}),
    )
    .await
    .expect(200);
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains("gave no LFS access") && error.contains("LFS endpoint"),
        "{error}"
    );
    assert_eq!(run["status"], "failed");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        "",
        "no ref moved without the objects"
    );
}
