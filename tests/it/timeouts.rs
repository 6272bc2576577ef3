//! Connections and git processes that never finish are cut off (issue 7): a request head
//! must arrive within the header timeout, an idle kept-alive connection is closed, a git
//! RPC whose body stalls loses its `git` process, and `git` processes are capped.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{Db, Git, TestServer, git::Seed, on_both_databases};

on_both_databases!(
    a_request_head_that_trickles_in_is_cut_off,
    a_git_rpc_whose_body_stalls_loses_its_git_process,
    git_processes_are_capped_and_the_excess_gets_503,
);

/// Reads until the server closes the connection; `None` if it is still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(seen),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
        }
    }
}

async fn a_request_head_that_trickles_in_is_cut_off(db: Db) {
    let s = TestServer::start_with(&db, |c| {
        c.header_read_timeout = Duration::from_secs(2);
    })
    .await;
    // Slow headers, one line every half second: the head never completes.
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let trickle = async {
        for i in 0..40 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if slow
                .write_all(format!("X-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    };
    let mut reader = TcpStream::connect(s.addr).await.unwrap();
    // A second connection that sends nothing at all.
    let (_, silent) = tokio::join!(trickle, closed_within(&mut reader, Duration::from_secs(8)));
    assert!(silent.is_some(), "a silent connection stayed open");
    assert!(
        closed_within(&mut slow, Duration::from_secs(1))
            .await
            .is_some(),
        "a trickling request head was never cut off"
    );

    // A kept-alive connection that goes quiet after its answer is closed too.
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    idle.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = closed_within(&mut idle, Duration::from_secs(8))
        .await
        .expect("an idle kept-alive connection stayed open");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

/// `git upload-pack` processes serving `repo`, found by their command line.
fn git_processes_for(repo: &Path) -> usize {
    let needle = repo.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
                .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
                .filter(|cmd| cmd.contains("upload-pack") && cmd.contains(&needle))
                .count()
        })
        .unwrap_or(0)
}

/// Waits up to `limit` for `check`.
async fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check()
}

/// A public repository with one commit; returns its path on the server.
async fn public_repo(s: &TestServer) -> std::path::PathBuf {
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", false).await;
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "r");
    Git::new().seed(&url, &Seed::ONE_COMMIT).await;
    s.repo_dir("owner", "r")
}

/// An upload-pack RPC whose chunked body starts and then stops.
async fn stalled_rpc(s: &TestServer) -> TcpStream {
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    stream
        .write_all(
            b"POST /owner/r.git/git-upload-pack HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/x-git-upload-pack-request\r\n\
              Transfer-Encoding: chunked\r\n\r\n4\r\n0032\r\n",
        )
        .await
        .unwrap();
    stream
}

async fn a_git_rpc_whose_body_stalls_loses_its_git_process(db: Db) {
    let s = TestServer::start_with(&db, |c| {
        c.git_idle_timeout = Duration::from_secs(2);
    })
    .await;
    let repo = public_repo(&s).await;
    let mut stalled = stalled_rpc(&s).await;
    assert!(
        eventually(Duration::from_secs(5), || git_processes_for(&repo) == 1).await,
        "the RPC never started git"
    );
    assert!(
        eventually(Duration::from_secs(10), || git_processes_for(&repo) == 0).await,
        "git still runs for a request body that stalled"
    );
    assert!(
        closed_within(&mut stalled, Duration::from_secs(5))
            .await
            .is_some(),
        "the stalled request's connection stayed open"
    );
}

async fn git_processes_are_capped_and_the_excess_gets_503(db: Db) {
    let s = TestServer::start_with(&db, |c| {
        c.max_git_processes = 2;
        c.git_queue_wait = Duration::from_secs(1);
    })
    .await;
    let repo = public_repo(&s).await;
    let refs = s.url("/owner/r.git/info/refs?service=git-upload-pack");
    let first = stalled_rpc(&s).await;
    let second = stalled_rpc(&s).await;
    assert!(
        eventually(Duration::from_secs(5), || git_processes_for(&repo) == 2).await,
        "the two RPCs did not start git"
    );
    let busy = s.send(s.http.get(&refs)).await;
    assert_eq!(busy.status.as_u16(), 503, "{}", busy.body);
    assert!(busy.header("retry-after").is_some(), "{:?}", busy.headers);
    assert_eq!(git_processes_for(&repo), 2);

    // Once they are gone, git answers again.
    drop((first, second));
    let mut answered = false;
    for _ in 0..50 {
        if s.send(s.http.get(&refs)).await.status.as_u16() == 200 {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        answered,
        "git did not answer after the stalled RPCs went away"
    );
}
