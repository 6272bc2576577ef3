//! What the mirror tests share: a server that accepts 127.0.0.1 remotes, the mirror API one
//! call each, a seeded work tree pushed to a remote, and waiting until a sync has ended.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use mirrorforge::config::Config;
use serde_json::Value;

use super::{
    Db, Git, Resp, TestServer, TestUser,
    git::{Seed, Tag},
    process::ServerProcess,
};

/// A server that accepts 127.0.0.1 remotes, after `adjust` has set the rest (intervals,
/// scheduler, secret key).
pub async fn local_server(db: &Db, adjust: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(db, |c| {
        c.allow_local_networks = true;
        adjust(c);
    })
    .await
}

/// A server that accepts 127.0.0.1 remotes and intervals down to 1 s, with the admin `owner`.
pub async fn start(db: &Db) -> (TestServer, TestUser) {
    let s = local_server(db, |c| c.min_sync_interval = 1).await;
    let owner = s.create_admin("owner").await;
    (s, owner)
}

/// `METHOD path` as `user` (Bearer token), with an optional JSON body.
pub async fn call(
    s: &TestServer,
    method: &str,
    path: &str,
    user: &TestUser,
    body: Option<Value>,
) -> Resp {
    let url = s.url(path);
    let mut request = match method {
        "GET" => s.http.get(url),
        "POST" => s.http.post(url),
        "PATCH" => s.http.patch(url),
        "PUT" => s.http.put(url),
        "DELETE" => s.http.delete(url),
        other => panic!("method {other}"),
    }
    .bearer_auth(&user.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    s.send(request).await
}

/// How long a test waits for a sync to end, and how often it asks.
#[derive(Debug, Clone, Copy)]
struct Patience {
    /// Fail the test once this has passed with the sync still running.
    within: Duration,
    /// The pause between two questions.
    every: Duration,
}

/// Asks `status` until its `sync_status` is no longer `syncing` and returns that status;
/// fails the test once `patience.within` has passed.
async fn until_settled<F, Fut>(repo: &str, patience: Patience, mut status: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Value>,
{
    let started = Instant::now();
    loop {
        let body = status().await;
        if body["sync_status"] != "syncing" {
            return body;
        }
        assert!(
            started.elapsed() < patience.within,
            "the sync of {repo} did not end within {:?}",
            patience.within
        );
        tokio::time::sleep(patience.every).await;
    }
}

/// Waits (30 s at most, asking every 50 ms) until the sync of `user`'s `repo` has ended;
/// returns the status object.
pub async fn settle(s: &TestServer, user: &TestUser, repo: &str) -> Value {
    let path = &format!("/api/v1/repos/{}/{repo}/mirror/status", user.username);
    let patience = Patience {
        within: Duration::from_secs(30),
        every: Duration::from_millis(50),
    };
    until_settled(repo, patience, move || async move {
        let status = call(s, "GET", path, user, None).await;
        status.expect(200);
        status.json()
    })
    .await
}

/// Waits (`within` at most, asking every 100 ms) until the sync of `repo` (`owner/name`) on a
/// server process has ended; returns the status object.
pub async fn settle_process(
    server: &ServerProcess,
    token: &str,
    repo: &str,
    within: Duration,
) -> Value {
    let path = &format!("/api/v1/repos/{repo}/mirror/status");
    let patience = Patience {
        within,
        every: Duration::from_millis(100),
    };
    until_settled(repo, patience, move || server.get_json(path, token)).await
}

/// The runs of `user`'s `repo`, newest first.
pub async fn runs(s: &TestServer, user: &TestUser, repo: &str) -> Vec<Value> {
    let resp = call(
        s,
        "GET",
        &format!("/api/v1/repos/{}/{repo}/mirror/runs", user.username),
        user,
        None,
    )
    .await;
    resp.expect(200);
    resp.json().as_array().expect("a list").clone()
}

/// "Sync now" on `user`'s `repo` through the API.
pub async fn sync_now(s: &TestServer, user: &TestUser, repo: &str) -> Resp {
    call(
        s,
        "POST",
        &format!("/api/v1/repos/{}/{repo}/sync", user.username),
        user,
        None,
    )
    .await
}

/// `PATCH` the mirror settings of `user`'s `repo` with `body`.
pub async fn patch(s: &TestServer, user: &TestUser, repo: &str, body: Value) -> Resp {
    call(
        s,
        "PATCH",
        &format!("/api/v1/repos/{}/{repo}/mirror", user.username),
        user,
        Some(body),
    )
    .await
}

/// The mirror tests' remote: two commits on main, a branch `feature`, an annotated tag `v1`.
const MIRROR: Seed = Seed {
    work: "seed",
    commits: &[("a.txt", b"one\n", "one"), ("b.txt", b"two\n", "two")],
    tag: Some(Tag::Annotated("v1")),
    branches: &["feature"],
};

/// [`MIRROR`]'s work tree pushed to `remote`; returns the work tree.
pub async fn seed(git: &Git, remote: &str) -> PathBuf {
    git.seed(remote, &MIRROR).await
}

/// `POST /api/v1/repos/import` with `body` as `owner`.
pub async fn import_body(s: &TestServer, owner: &TestUser, body: Value) -> Resp {
    call(s, "POST", "/api/v1/repos/import", owner, Some(body)).await
}

/// Makes `owner`'s SSH key for `repo` and returns its public line.
pub async fn make_ssh_key(s: &TestServer, owner: &TestUser, repo: &str) -> String {
    let made = call(
        s,
        "POST",
        &format!("/api/v1/repos/owner/{repo}/mirror/ssh_key"),
        owner,
        None,
    )
    .await;
    made.expect(201);
    made.json()["public_key"].as_str().unwrap().to_owned()
}

/// A repository `name` of `owner` with its own SSH key, which a new `sshd` lets in.
pub async fn repo_with_ssh_key(
    s: &TestServer,
    owner: &TestUser,
    name: &str,
) -> (String, crate::support::sshd::Sshd) {
    s.create_repo(owner, name, false).await;
    let public = make_ssh_key(s, owner, name).await;
    let sshd = crate::support::sshd::Sshd::start(&public).await;
    (public, sshd)
}

/// The private SSH key of `owner/repo` as the server holds it (unsealed here, to look for it
/// where it must never be).
pub async fn private_ssh_key(s: &TestServer, repo: &str) -> String {
    let stored = mirrorforge::repos::find(&s.conn, "owner", repo)
        .await
        .unwrap()
        .unwrap();
    let secrets = mirrorforge::mirror::secrets::SecretBox::load(&s.config).unwrap();
    let private = mirrorforge::mirror::ssh_key::private_key_of(&secrets, &stored.repo)
        .unwrap()
        .unwrap();
    private.to_string()
}

/// The base64 body of an OpenSSH private key (what must never show anywhere).
pub fn key_body(private: &str) -> String {
    private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
}

/// Every file under `dir`, read as bytes.
pub fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((path, bytes));
        }
    }
    found
}
