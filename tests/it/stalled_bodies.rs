//! Request bodies are timed too (issue 21): a body that stops arriving loses its connection
//! after 30 s, and its buffer with it; the webhook and the LFS batch API answer what they can
//! without waiting for the body; `MIRRORFORGE_MAX_CONNECTIONS` holds new connections back.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{
    Db, TestServer, on_both_databases,
    process::{ServerProcess, cli_user_with_token},
};

on_both_databases!(
    sixty_stalled_bodies_lose_their_connections_while_health_answers,
    the_webhook_answers_a_missing_repository_without_the_body,
    the_lfs_batch_api_refuses_a_stranger_without_the_body,
    connections_past_the_limit_wait_for_one_to_close,
);

/// What the server wrote on `stream` until it closed it (a reset counts as closed), with the
/// time it closed it, measured from `since`; `None` if it is still open at `since + limit`.
async fn closed_within(
    mut stream: TcpStream,
    since: Instant,
    limit: Duration,
) -> Option<(Duration, Vec<u8>)> {
    let deadline = since + limit;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some((since.elapsed(), seen)),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
        }
    }
}

/// The head of an answer on `stream` (up to its blank line), or `None` if none came within
/// `limit`.
async fn answer_head_within(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
        }
    }
    (!seen.is_empty()).then(|| String::from_utf8_lossy(&seen).into_owned())
}

/// A `POST` head to `path` announcing `length` bytes of body, with `headers`.
fn post_head(path: &str, length: usize, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Sends only the head of a `POST` (the body never follows) and returns the head of the
/// answer, failing the test if none comes within 5 s.
async fn answer_without_the_body(addr: SocketAddr, head: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head).await.unwrap();
    answer_head_within(&mut stream, Duration::from_secs(5))
        .await
        .unwrap_or_else(|| {
            panic!(
                "no answer within 5 s: the server waited for the body of\n{}",
                String::from_utf8_lossy(head)
            )
        })
}

/// A `/proc/PID/status` memory figure (`VmRSS`, `VmHWM`), in KiB.
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status:\n{status}"))
}

const WEBHOOK_SIGNATURE: (&str, &str) = ("X-Hub-Signature-256", "sha256=00");
const LFS_JSON: &str = "application/vnd.git-lfs+json";

async fn sixty_stalled_bodies_lose_their_connections_while_health_answers(db: Db) {
    const STALLED: usize = 60;
    /// Every stalled connection must be gone by then (the body timeout is 30 s).
    const LIMIT: Duration = Duration::from_secs(40);
    const GROWTH_BOUND_MIB: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let database_url = db.database_url(dir.path());
    let token = cli_user_with_token(dir.path(), &database_url, "alice", "pw-alice-Correct-9").await;
    let server = ServerProcess::start(dir.path(), &database_url, &[]).await;
    let (status, _) = server
        .call(
            reqwest::Method::POST,
            "/api/v1/repos",
            &token,
            Some(serde_json::json!({ "name": "r" })),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = server
        .call(
            reqwest::Method::POST,
            "/api/v1/repos/alice/r/mirror/webhook_secret",
            &token,
            None,
        )
        .await;
    assert_eq!(status, 201);
    // A fresh connection for every poll: a new client must get in, not a kept-alive one.
    let health = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    for _ in 0..3 {
        let answer = health.get(server.url("/healthz")).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 200);
    }
    let pid = server.pid();
    let baseline_kib = memory_kib(pid, "VmRSS");
    let addr: SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();

    // Half are webhook calls to a repository that has a secret, announcing 1 MiB and sending
    // half of it; half are LFS batch requests to a repository that does not exist, announcing
    // 10 MiB and sending 1 MiB. Then nothing more, and nothing closed: held, that is 45 MiB.
    let webhook = post_head(
        "/api/v1/repos/alice/r/mirror/webhook",
        1024 * 1024,
        &[("Content-Type", "application/json"), WEBHOOK_SIGNATURE],
    );
    let lfs = post_head(
        "/nobody/missing.git/info/lfs/objects/batch",
        10 * 1024 * 1024,
        &[("Accept", LFS_JSON), ("Content-Type", LFS_JSON)],
    );
    let started = Instant::now();
    let mut watchers = Vec::new();
    for i in 0..STALLED {
        let (kind, head, sent) = if i % 2 == 0 {
            ("webhook", webhook.clone(), 512 * 1024)
        } else {
            ("lfs batch", lfs.clone(), 1024 * 1024)
        };
        let mut stream = TcpStream::connect(addr).await.unwrap();
        watchers.push((
            kind,
            tokio::spawn(async move {
                stream.write_all(&head).await.unwrap();
                // The server may answer and close before taking it all (the LFS batch does).
                let piece = vec![b' '; sent];
                let _ = tokio::time::timeout(LIMIT, stream.write_all(&piece)).await;
                closed_within(stream, started, LIMIT).await
            }),
        ));
    }

    // Meanwhile `/healthz` is asked every second, and the server's memory watched.
    let mut peak_kib = baseline_kib;
    let mut unanswered = Vec::new();
    let mut polls = 0;
    while started.elapsed() < LIMIT && !watchers.iter().all(|(_, w)| w.is_finished()) {
        let asked = Instant::now();
        polls += 1;
        match health.get(server.url("/healthz")).send().await {
            Ok(answer) if answer.status().as_u16() == 200 => {}
            Ok(answer) => unanswered.push(format!("{:?}: {}", started.elapsed(), answer.status())),
            Err(e) => unanswered.push(format!("{:?}: {e}", started.elapsed())),
        }
        peak_kib = peak_kib.max(memory_kib(pid, "VmRSS"));
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(asked.elapsed())).await;
    }
    let mut still_open = Vec::new();
    let mut webhook_closed = Vec::new();
    let mut lfs_closed = Vec::new();
    for (kind, watcher) in watchers {
        match watcher.await.unwrap() {
            None => still_open.push(kind),
            Some((after, answer)) => {
                let first_line = String::from_utf8_lossy(&answer)
                    .lines()
                    .next()
                    .unwrap_or("(nothing)")
                    .to_owned();
                if kind == "webhook" {
                    webhook_closed.push((after, first_line));
                } else {
                    lfs_closed.push((after, first_line));
                }
            }
        }
    }
    let after_kib = memory_kib(pid, "VmRSS");
    let growth_mib = peak_kib.saturating_sub(baseline_kib) / 1024;
    eprintln!(
        "{STALLED} stalled bodies: RSS {} MiB before, peak {} MiB (+{growth_mib} MiB), {} MiB \
         after; VmHWM {} MiB; {polls} health polls; webhook closed at {:?}; lfs batch closed \
         at {:?}",
        baseline_kib / 1024,
        peak_kib / 1024,
        after_kib / 1024,
        memory_kib(pid, "VmHWM") / 1024,
        webhook_closed
            .iter()
            .map(|(t, l)| (t.as_secs(), l.as_str()))
            .max(),
        lfs_closed
            .iter()
            .map(|(t, l)| (t.as_secs(), l.as_str()))
            .max(),
    );
    assert!(
        still_open.is_empty(),
        "{} of {STALLED} stalled connections still open after {LIMIT:?}: {still_open:?}",
        still_open.len()
    );
    assert!(
        unanswered.is_empty(),
        "/healthz did not answer 200 within 3 s: {unanswered:?}"
    );
    assert!(
        growth_mib < GROWTH_BOUND_MIB,
        "RSS grew by {growth_mib} MiB (bound {GROWTH_BOUND_MIB} MiB)"
    );
    // A slow client is not cut short: the webhook's body had its 30 s.
    for (after, _) in &webhook_closed {
        assert!(
            *after >= Duration::from_secs(25),
            "a webhook body was cut after {after:?}"
        );
    }
    server.terminate().await;
}

async fn the_webhook_answers_a_missing_repository_without_the_body(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "nosecret", false).await;
    for path in [
        "/api/v1/repos/owner/missing/mirror/webhook",
        "/api/v1/repos/nobody/r/mirror/webhook",
        "/api/v1/repos/owner/nosecret/mirror/webhook",
    ] {
        let head = post_head(
            path,
            1024 * 1024,
            &[("Content-Type", "application/json"), WEBHOOK_SIGNATURE],
        );
        let answer = answer_without_the_body(s.addr, &head).await;
        assert!(answer.starts_with("HTTP/1.1 404"), "{path}: {answer}");
    }
}

async fn the_lfs_batch_api_refuses_a_stranger_without_the_body(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    let other = s.create_user("other").await;
    s.create_repo(&owner, "hidden", true).await;
    let basic = |user: &str, secret: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
        )
    };
    let as_owner = basic("owner", &owner.token);
    let as_other = basic("other", &other.token);
    for (path, authorization, expected) in [
        ("/owner/hidden.git/info/lfs/objects/batch", None, "401"),
        ("/owner/missing.git/info/lfs/objects/batch", None, "401"),
        (
            "/owner/missing.git/info/lfs/objects/batch",
            Some(as_owner.as_str()),
            "404",
        ),
        (
            "/owner/hidden/info/lfs/objects/batch",
            Some(as_other.as_str()),
            "404",
        ),
        (
            "/owner/hidden/info/lfs/objects/batch",
            Some(basic("owner", "wrong").as_str()),
            "401",
        ),
    ] {
        let mut headers = vec![("Accept", LFS_JSON), ("Content-Type", LFS_JSON)];
        if let Some(authorization) = authorization {
            headers.push(("Authorization", authorization));
        }
        let head = post_head(path, 1000, &headers);
        let answer = answer_without_the_body(s.addr, &head).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {expected}")),
            "{path} ({}): {answer}",
            if authorization.is_some() {
                "with credentials"
            } else {
                "anonymous"
            }
        );
    }
}

async fn connections_past_the_limit_wait_for_one_to_close(db: Db) {
    let s = TestServer::start_with(&db, |c| c.max_connections = 2).await;
    // Two connections that have begun a request and hold their places.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(s.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A third is let in by the kernel, but the server does not take it yet.
    let mut third = TcpStream::connect(s.addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let early = answer_head_within(&mut third, Duration::from_millis(1500)).await;
    assert!(
        early.is_none(),
        "a third connection was served past a limit of 2: {early:?}"
    );
    // One closes: the waiting one is taken and answered.
    drop(held.remove(0));
    let answer = answer_head_within(&mut third, Duration::from_secs(3))
        .await
        .expect("the waiting connection was not served once a place was free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The one still held is served as usual.
    held[0].write_all(b"Host: x\r\n\r\n").await.unwrap();
    let answer = answer_head_within(&mut held[0], Duration::from_secs(3))
        .await
        .expect("a held connection was not served");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
