//! The code pages under load, served by the same server as the clone row: the repository page
//! (the default branch's root with its README), the root's tree page and a source file's page
//! under `wrk -c50`, and the commit page of the source's largest commit (most files changed),
//! timed one request at a time.

use std::{path::Path, process::Command, time::Instant};

use super::{measure::median, scale::wrk};

/// The rows, for `alice/src` on the server at `base`, whose history is `source` (bare).
pub(crate) async fn code_rows(base: &str, source: &Path) {
    let branch = git(source, &["symbolic-ref", "--short", "HEAD"]);
    let (rate, p99) = wrk(&format!("{base}/alice/src"), &[]).await;
    println!(
        "| repository page (root + README), `wrk -c50` | {rate:.0} req/s, p99 {p99} | — | — | ≥ 2,000 req/s, p99 < 50 ms |"
    );
    let (rate, p99) = wrk(&format!("{base}/alice/src/tree/{branch}"), &[]).await;
    println!(
        "| tree page of the root, `wrk -c50` | {rate:.0} req/s, p99 {p99} | — | — | ≥ 2,000 req/s, p99 < 50 ms |"
    );
    let files = git(source, &["ls-tree", "-r", "--name-only", "HEAD"]);
    let file = files
        .lines()
        .find(|f| f.ends_with(".rs"))
        .or_else(|| files.lines().next())
        .expect("a file in the source");
    let size = git(source, &["cat-file", "-s", &format!("HEAD:{file}")]);
    let (rate, p99) = wrk(&format!("{base}/alice/src/blob/{branch}/{file}"), &[]).await;
    println!(
        "| blob page (`{file}`, {size} B), `wrk -c50` | {rate:.0} req/s, p99 {p99} | — | — | ≥ 2,000 req/s, p99 < 50 ms |"
    );
    let (commit, files_changed) = largest_commit(source);
    let client = reqwest::Client::new();
    let url = format!("{base}/alice/src/commit/{commit}");
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..7 {
        let started = Instant::now();
        let page = client.get(&url).send().await.unwrap();
        assert!(page.status().is_success(), "{url}: {}", page.status());
        bytes = page.bytes().await.unwrap().len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let max = times.iter().copied().fold(0.0, f64::max);
    println!(
        "| commit page of the largest commit ({} files changed, {} KiB of HTML), one at a time | {:.0} ms ({min:.0}–{max:.0}) | — | — | < 1 s |",
        files_changed,
        bytes / 1024,
        median(times)
    );
}

/// The commit of `source` that changes the most files, and how many.
fn largest_commit(source: &Path) -> (String, usize) {
    let log = git(
        source,
        &["log", "--all", "--format=commit %H", "--shortstat"],
    );
    let mut best = (String::new(), 0);
    let mut current = String::new();
    for line in log.lines() {
        if let Some(id) = line.strip_prefix("commit ") {
            current = id.to_owned();
        } else if let Some(count) = line
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            && line.contains("changed")
            && count > best.1
        {
            best = (current.clone(), count);
        }
    }
    assert!(!best.0.is_empty(), "no commit changes a file");
    best
}

/// `git --git-dir source args…`'s output, trimmed.
fn git(source: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("--git-dir")
        .arg(source)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The code rows alone (`MIRRORFORGE_BENCH_ONLY=code`): the bench's source pushed to a server
/// of their own.
pub(crate) async fn code_only(work: &Path) {
    use super::{
        measure::{config, repo_with_token},
        remote::{copy_source, make_source},
    };
    let source = work.join("src.git");
    match std::env::var_os("MIRRORFORGE_BENCH_SOURCE") {
        Some(from) => copy_source(Path::new(&from), &source),
        None => make_source(&source),
    }
    let data = work.join("data");
    let running = mirrorforge::server::start(config(&data, "0 0 0 1 1 *"))
        .await
        .unwrap();
    let state = mirrorforge::server::build_state(config(&data, "0 0 0 1 1 *"))
        .await
        .unwrap();
    let (_, token) = repo_with_token(&state, "alice", "src", false).await;
    let url = format!("http://alice:{token}@{}/alice/src.git", running.addr);
    git(&source, &["push", "-q", "--mirror", &url]);
    mirrorforge::git::maintenance::settled().await;
    println!("code pages; source: {source:?}\n");
    super::measure::print_head();
    code_rows(&format!("http://{}", running.addr), &source).await;
    running.stop().await.unwrap();
}
