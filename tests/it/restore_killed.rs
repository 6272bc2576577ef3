//! A restore killed midway (kill -9 of the server and its `git update-ref`, as a power cut
//! would): every ref is at its old or its restored value, each one put back has its
//! overwritten value kept, `git fsck --full` is clean, the pull stays paused, the page says
//! what happened, and restoring again after a restart finishes the job.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    Db, Git,
    git_backend::GitBackend,
    html::input_value,
    mirror::{seed, settle_process},
    on_both_databases,
    process::{Home, ServerProcess},
};

on_both_databases!(a_restore_killed_midway_leaves_each_ref_old_or_new);

/// The owner's password.
const PASSWORD: &str = "Restore-Kill-Pw-1";

/// Branches moved by the force-push, enough that the restore's transaction takes a while.
const BRANCHES: usize = 2000;

/// `git --git-dir DIR ARGS` with `input` on its stdin; its stdout.
fn git_in(dir: &Path, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("git runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input");
    let out = child.wait_with_output().expect("git ends");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Every ref under `prefix` in `dir`, name → id.
fn refs_under(dir: &Path, prefix: &str) -> BTreeMap<String, String> {
    git_in(
        dir,
        &["for-each-ref", "--format=%(refname) %(objectname)", prefix],
        "",
    )
    .lines()
    .filter_map(|l| l.split_once(' '))
    .map(|(name, id)| (name.to_owned(), id.to_owned()))
    .collect()
}

/// Points `refs/heads/many/b0000…` at `id` in `dir`, in one transaction.
fn point_branches_at(dir: &Path, id: &str) {
    let lines: String = (0..BRANCHES)
        .map(|i| format!("update refs/heads/many/b{i:04} {id}\n"))
        .collect();
    git_in(dir, &["update-ref", "--stdin"], &lines);
}

/// The pid of a `git update-ref` whose parent is `parent`, if one runs.
fn update_ref_child_of(parent: u32) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: the comm may hold spaces, the last ')' ends it.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid != Some(parent) {
            continue;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains("update-ref") {
            return Some(pid);
        }
    }
    None
}

/// The ref lock files under `dir/refs`.
fn ref_locks(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "lock") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&dir.join("refs"), &mut found);
    if dir.join("packed-refs.lock").exists() {
        found.push(dir.join("packed-refs.lock"));
    }
    found
}

/// `path` of `server` as its owner sees it, logged in through the login form.
async fn page_as_owner(server: &ServerProcess, path: &str) -> String {
    let browser = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = browser
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input_value(&login, "csrf_token").expect("the login form's token");
    let done = browser
        .post(server.url("/login"))
        .form(&[
            ("username", "owner"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert!(done.status().is_success() || done.status().is_redirection());
    browser
        .get(server.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn a_restore_killed_midway_leaves_each_ref_old_or_new(db: Db) {
    let (home, token) = Home::with_owner(&db, PASSWORD).await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("src").await;
    let git = Git::new();
    seed(&git, upstream.to_str().unwrap()).await;
    let before = git_in(&upstream, &["rev-parse", "refs/heads/main"], "");
    point_branches_at(&upstream, &before);

    let first = home.serve(&[]).await;
    let body = json!({
        "name": "m", "clone_url": remotes.url("src"), "mirror": true, "sync_interval": 3600
    });
    let (status, _) = first
        .call(Method::POST, "/api/v1/repos/import", &token, Some(body))
        .await;
    assert_eq!(status, 201);
    let wait = Duration::from_secs(120);
    let imported = settle_process(&first, &token, "owner/m", wait).await;
    assert_eq!(imported["sync_status"], "success", "{imported}");

    // Upstream rewrites history: every branch moves to a commit that does not contain its
    // old one, and the pull applies it (keeping each old value).
    let tree = git_in(&upstream, &["rev-parse", "refs/heads/main^{tree}"], "");
    let rewritten = git_in(&upstream, &["commit-tree", &tree, "-m", "rewritten"], "");
    point_branches_at(&upstream, &rewritten);
    let (accepted, _) = first
        .call(Method::POST, "/api/v1/repos/owner/m/sync", &token, None)
        .await;
    assert_eq!(accepted, 202);
    let synced = settle_process(&first, &token, "owner/m", wait).await;
    assert_eq!(synced["sync_status"], "success", "{synced}");
    let runs = first
        .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
        .await;
    let forced = runs[0]["id"].as_i64().expect("the force-push's run");
    let here = home.path().join("repos/owner/m.git");
    let many = |dir: &Path| refs_under(dir, "refs/heads/many/");
    assert!(many(&here).values().all(|id| *id == rewritten));

    // The restore, and kill -9 of the server and its git once git writes the refs.
    let restore = format!("/api/v1/repos/owner/m/mirror/runs/{forced}/restore");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let asked = tokio::spawn(
        client
            .post(first.url(&restore))
            .bearer_auth(token.clone())
            .send(),
    );
    let server_pid = first.pid();
    let first_branch = here.join("refs/heads/many/b0000");
    let back_value = before.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut git_pid = None;
        while Instant::now() < deadline {
            git_pid = git_pid.or_else(|| update_ref_child_of(server_pid));
            // Into its transaction: the kept refs are written and the first branch is back
            // (the branches go in name order), the others not yet.
            let first_back =
                std::fs::read_to_string(&first_branch).is_ok_and(|id| id.trim() == back_value);
            if let (Some(pid), true) = (git_pid, first_back) {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &server_pid.to_string(), &pid.to_string()])
                    .status();
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(
        writer,
        "the restore's git update-ref was never seen writing"
    );
    first.kill_hard().await;
    assert!(
        asked.await.unwrap().is_err(),
        "the server answered after kill -9"
    );

    // Each ref is at its old or its restored value; each one put back has what it overwrote
    // kept under the restore's run; the repository is sound.
    let now = many(&here);
    assert_eq!(now.len(), BRANCHES);
    let back: Vec<&String> = now
        .iter()
        .filter(|(_, id)| **id == before)
        .map(|(name, _)| name)
        .collect();
    assert!(
        now.values().all(|id| *id == before || *id == rewritten),
        "a ref is at neither value"
    );
    let kept = refs_under(&here, "refs/mirrorforge/kept/");
    for name in &back {
        let by_restore = kept.iter().any(|(k, id)| {
            k.ends_with(&format!("/{name}"))
                && !k.starts_with(&format!("refs/mirrorforge/kept/{forced}/"))
                && *id == rewritten
        });
        assert!(by_restore, "{name} was put back without its value kept");
    }
    eprintln!(
        "killed with {} of {BRANCHES} refs put back, {} ref locks left",
        back.len(),
        ref_locks(&here).len()
    );
    git.ok(&here, &["fsck", "--full", "--strict"]).await;

    // A new start: the restore's run is interrupted and says so, the pull stays paused, and
    // the page tells what happened and how to finish.
    let second = home.serve(&[]).await;
    let runs = second
        .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
        .await;
    let cut: &Value = &runs[0];
    assert_eq!(cut["trigger"], "restore", "{runs}");
    assert_eq!(cut["status"], "interrupted", "{runs}");
    assert_eq!(cut["restored_run_id"], forced, "{runs}");
    assert!(
        cut["error"]
            .as_str()
            .unwrap()
            .contains("restoring the run again finishes it"),
        "{cut}"
    );
    let settings = second
        .get_json("/api/v1/repos/owner/m/mirror", &token)
        .await;
    assert_eq!(settings["mirror_enabled"], false, "{settings}");
    let page = page_as_owner(&second, "/owner/m/settings/mirror").await;
    assert!(page.contains("was cut short"), "{page}");
    assert!(
        page.contains(&format!("Restore run {forced} again")),
        "{page}"
    );

    // The locks the killed git left go once they are old enough; then a restore finishes.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ref_locks(&here).is_empty() {
        assert!(
            Instant::now() < deadline,
            "stale ref locks stayed: {:?}",
            ref_locks(&here)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (again, body) = second.call(Method::POST, &restore, &token, None).await;
    assert_eq!(again, 202, "{body}");
    assert!(many(&here).values().all(|id| *id == before));
    git.ok(&here, &["fsck", "--full", "--strict"]).await;
    // Nothing of it leaks to a clone.
    let listed = git.ls_remote(&second.url("/owner/m.git")).await;
    assert!(!listed.contains("refs/mirrorforge/"), "{listed}");
    second.terminate().await;
}
