//! Password guessing: a flood of bad logins that cannot run the server out of memory.

use crate::support::{Db, on_both_databases, process::ServerProcess};

on_both_databases!(a_flood_of_bad_logins_keeps_memory_bounded);

/// The server's peak resident memory so far (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status:\n{status}"))
}

async fn a_flood_of_bad_logins_keeps_memory_bounded(db: Db) {
    const PARALLEL: usize = 100;
    const BOUND_MIB: u64 = 400;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(dir.path(), &db.database_url(dir.path()), &[]).await;
    let pid = server.pid();
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    // One request first, so the baseline includes everything a single login costs.
    let first = http
        .get(server.url("/api/v1/user"))
        .basic_auth("warm-up", Some("wrong password"))
        .send()
        .await
        .expect("answers");
    assert_eq!(first.status().as_u16(), 401);
    let before = peak_rss_kib(pid);

    // Each request names another (unknown) account, so no account limit cuts the flood short:
    // every one of them needs a password check.
    let requests = (0..PARALLEL).map(|i| {
        let request = http
            .get(server.url("/api/v1/user"))
            .basic_auth(format!("flood{i}"), Some(format!("wrong password {i}")));
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let statuses = futures_util::future::join_all(requests).await;
    for status in &statuses {
        assert_eq!(status.as_ref().ok(), Some(&401), "{statuses:?}");
    }
    let after = peak_rss_kib(pid);
    eprintln!(
        "peak RSS of the server: {} MiB before, {} MiB after {PARALLEL} parallel bad logins",
        before / 1024,
        after / 1024
    );
    assert!(
        after < BOUND_MIB * 1024,
        "peak RSS {} MiB after {PARALLEL} parallel bad logins (bound {BOUND_MIB} MiB; {} MiB before)",
        after / 1024,
        before / 1024
    );
    server.terminate().await;
}
