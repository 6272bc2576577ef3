//! `make bench`: a full mirror push through libgit2 against `git push --mirror`, both into an
//! empty bare repository served by stock `git http-backend` on 127.0.0.1; also the no-op sync.
//! Prints a Markdown table for BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/it/support/git_backend.rs"]
#[allow(dead_code)]
mod git_backend;

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use mirrorforge::{
    git::mirror::{
        self as transfer, Limits, Progress, default_pack_threads, push_mirror_with_threads,
        transport::Transfer,
    },
    net::{remote_http::RemoteHttp, remote_url::RemoteUrl},
};

const COMMITS: usize = 3000;
const FILES: usize = 300;
const RUNS: usize = 5;

/// A repository with a long history of small text edits (good deltas, like real code),
/// 40 branches and 100 tags, packed as a server would hold it.
fn make_source(dir: &Path) {
    let status = Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
    let mut fast_import = Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = std::io::BufWriter::new(fast_import.stdin.take().unwrap());
    let mut contents: Vec<String> = (0..FILES)
        .map(|f| format!("// file {f}\n{}", "fn placeholder() {}\n".repeat(20)))
        .collect();
    for c in 1..=COMMITS {
        writeln!(input, "commit refs/heads/main\nmark :{c}").unwrap();
        writeln!(
            input,
            "committer Bench <bench@example.com> {} +0000",
            1_700_000_000 + c
        )
        .unwrap();
        let message = format!("change {c}");
        writeln!(input, "data {}\n{message}", message.len()).unwrap();
        if c > 1 {
            writeln!(input, "from :{}", c - 1).unwrap();
        }
        for k in 0..3 {
            let f = (c * 7 + k * 13) % FILES;
            contents[f].push_str(&format!("fn change_{c}_{k}() {{ let x = {}; }}\n", c * k));
            let body = &contents[f];
            writeln!(
                input,
                "M 100644 inline src/file_{f}.rs\ndata {}\n{body}",
                body.len()
            )
            .unwrap();
        }
        if c % 75 == 0 {
            writeln!(input, "reset refs/heads/branch-{}\nfrom :{c}", c / 75).unwrap();
        }
        if c % 30 == 0 {
            writeln!(input, "reset refs/tags/v{}\nfrom :{c}", c / 30).unwrap();
        }
    }
    drop(input);
    assert!(fast_import.wait().unwrap().success());
    // `MIRRORFORGE_BENCH_GC=aggressive` packs as `git gc --aggressive` (deeper deltas for the
    // CLI to reuse); the default is the plain `git gc` a server's auto-gc does.
    let mut gc = vec!["gc", "-q"];
    if gc_mode() == "gc --aggressive" {
        gc.push("--aggressive");
    }
    let status = Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(&gc)
        .status()
        .unwrap();
    assert!(status.success());
}

fn gc_mode() -> &'static str {
    if std::env::var("MIRRORFORGE_BENCH_GC").is_ok_and(|v| v == "aggressive") {
        "gc --aggressive"
    } else {
        "gc"
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn limits() -> Limits {
    Limits {
        deadline: Instant::now() + Duration::from_secs(600),
        timeout_secs: 600,
    }
}

#[tokio::main]
async fn main() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source.git");
    make_source(&source);
    let count = Command::new("git")
        .arg("--git-dir")
        .arg(&source)
        .args(["count-objects", "-v"])
        .output()
        .unwrap();
    let backend = git_backend::GitBackend::start().await;
    // What a sync does: libgit2 over the transfer's own HTTP connection.
    let mut git2_by_threads = Vec::new();
    for threads in [1, default_pack_threads()] {
        let mut samples = Vec::new();
        for run in 0..RUNS {
            let name = format!("git2-{threads}-{run}");
            backend.create(&name).await;
            let transfer = transfer_to(&backend.url(&name));
            let source = source.clone();
            let started = Instant::now();
            tokio::task::spawn_blocking(move || {
                push_mirror_with_threads(
                    &source,
                    &transfer,
                    &Arc::new(Progress::default()),
                    threads,
                )
                .expect("git2 push")
            })
            .await
            .unwrap();
            samples.push(started.elapsed());
        }
        git2_by_threads.push((threads, median(samples)));
    }

    let mut cli = Vec::new();
    for run in 0..RUNS {
        let name = format!("cli-{run}");
        backend.create(&name).await;
        let started = Instant::now();
        let status = tokio::process::Command::new("git")
            .arg("--git-dir")
            .arg(&source)
            .args(["push", "-q", "--mirror", &backend.url(&name)])
            .status()
            .await
            .unwrap();
        assert!(status.success());
        cli.push(started.elapsed());
    }
    let cli = median(cli);

    let mut noop = Vec::new();
    for _ in 0..RUNS {
        let transfer = transfer_to(&backend.url("cli-0"));
        let source = source.clone();
        let started = Instant::now();
        let outcome = tokio::task::spawn_blocking(move || {
            transfer::push_mirror(&source, &transfer, &Arc::new(Progress::default()))
        })
        .await
        .unwrap()
        .unwrap();
        assert!(outcome.up_to_date);
        noop.push(started.elapsed());
    }

    println!(
        "source: {COMMITS} commits, 40 branches, 100 tags, packed with `git {}`\n{}",
        gc_mode(),
        String::from_utf8_lossy(&count.stdout)
    );
    println!("| operation | median of {RUNS} | ratio to `git push --mirror` |\n|---|---|---|");
    for (threads, time) in &git2_by_threads {
        println!(
            "| git2 full push, packbuilder_parallelism = {threads} | {:.3} s | {:.2} |",
            time.as_secs_f64(),
            time.as_secs_f64() / cli.as_secs_f64()
        );
    }
    println!(
        "| `git push --mirror` (CLI) | {:.3} s | 1.00 |",
        cli.as_secs_f64()
    );
    println!(
        "| git2 no-op push (one ref advertisement, nothing sent) | {:.1} ms | |",
        median(noop).as_secs_f64() * 1000.0
    );
}

/// A transfer to `url` as a sync makes one: its own HTTP connection, no credentials.
fn transfer_to(url: &str) -> Arc<Transfer> {
    let remote = RemoteUrl::parse(url, true).unwrap();
    let http = RemoteHttp::new(&remote, true, Duration::from_secs(600), None).unwrap();
    Arc::new(Transfer::new(
        Arc::new(http),
        tokio::runtime::Handle::current(),
        limits(),
    ))
}
