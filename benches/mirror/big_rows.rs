//! The big rows: the first rows' work on a big history — git's own, through
//! `MIRRORFORGE_BENCH_BIG_SOURCE`, or else a synthetic one of over 300,000 objects built once and
//! cached under `target/` — with the peak memory of each side, so BENCHMARKS.md can show how
//! each figure grows with the repository, not one point.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use mirrorforge::{entities::repository, server};
use sea_orm::EntityTrait;

use super::{
    measure::{Row, config, import_mirror, median, new_user, newest_run, push_pair, sync},
    remote::{History, Lighttpd, copy_source, make_history, time_git},
};

/// Pairs per big row: each side moves hundreds of MiB, so fewer than the small rows.
pub(crate) const BIG_RUNS: usize = 3;

/// Imports started at once in the concurrency row (the default number of sync slots).
const AT_ONCE: usize = 4;

/// The synthetic big history: 60,000 commits each editing three of 2,000 files in 40 folders
/// (a commit, a root tree, up to three folder trees and three blobs each: 480,000 objects), a
/// branch every 1,000 commits and a tag every 100.
const BIG_HISTORY: History = History {
    commits: 60_000,
    files: 2_000,
    folders: Some(40),
    first_lines: 10,
    edit_stride: 613,
    epoch: 1_600_000_000,
    branch_every: 1000,
    tag_every: 100,
};

/// The big history: `MIRRORFORGE_BENCH_BIG_SOURCE`, or the synthetic one, built on first use.
pub(crate) fn big_source() -> PathBuf {
    if let Some(source) = std::env::var_os("MIRRORFORGE_BENCH_BIG_SOURCE") {
        return PathBuf::from(source);
    }
    let cached = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-big-source.git");
    if !cached.join("mirrorforge-bench-complete").exists() {
        let building = cached.with_extension("building");
        let _ = std::fs::remove_dir_all(&building);
        let _ = std::fs::remove_dir_all(&cached);
        println!(
            "building the synthetic big history once, in {}",
            cached.display()
        );
        make_history(&building, &BIG_HISTORY);
        std::fs::write(building.join("mirrorforge-bench-complete"), b"").unwrap();
        std::fs::rename(&building, &cached).unwrap();
    }
    cached
}

/// Peak memory of one side, in KiB: the whole, and (ours) its anonymous and file-backed parts
/// and the anonymous memory the process held before (what earlier rows left).
#[derive(Debug, Clone, Copy, Default)]
struct Peak {
    total: u64,
    anon: u64,
    file: u64,
    anon_before: u64,
    resident_before: u64,
}

impl Peak {
    /// The anonymous memory the work itself added.
    fn anon_rise(&self) -> u64 {
        self.anon.saturating_sub(self.anon_before)
    }

    /// The resident memory (anonymous and mapped files) the work itself added.
    fn resident_rise(&self) -> u64 {
        self.total.saturating_sub(self.resident_before)
    }
}

/// A field of `/proc/self/status` in KiB.
fn status_kib(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Samples this process's memory every 10 ms from now until dropped; its peak since then is
/// `VmHWM` (reset at the start) and the largest `RssAnon` and `RssFile` sampled.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<(u64, u64)>>,
    anon_before: u64,
    resident_before: u64,
}

impl Sampler {
    fn start() -> Self {
        // "5" resets the peak resident set size (VmHWM) to the current one.
        std::fs::write("/proc/self/clear_refs", "5").unwrap();
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let anon_before = status_kib(&status, "RssAnon:");
        let resident_before = status_kib(&status, "VmRSS:");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let (mut anon, mut file) = (0, 0);
            while !stopping.load(Ordering::Relaxed) {
                let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
                anon = anon.max(status_kib(&status, "RssAnon:"));
                file = file.max(status_kib(&status, "RssFile:"));
                std::thread::sleep(Duration::from_millis(10));
            }
            (anon, file)
        });
        Self {
            stop,
            thread: Some(thread),
            anon_before,
            resident_before,
        }
    }

    fn finish(mut self) -> Peak {
        self.stop.store(true, Ordering::Relaxed);
        let (anon, file) = self.thread.take().unwrap().join().unwrap();
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        Peak {
            total: status_kib(&status, "VmHWM:"),
            anon,
            file,
            anon_before: self.anon_before,
            resident_before: self.resident_before,
        }
    }
}

/// Runs git with `args`, timed, and the peak resident memory of its largest process (git
/// runs helpers: `remote-http`, `index-pack`, `pack-objects`), from `getrusage` of a Python
/// parent that waits for it.
async fn git_with_peak(args: &[&str]) -> (Duration, Peak) {
    const WRAPPER: &str = "import resource, subprocess, sys, time\n\
        t = time.monotonic()\n\
        r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n\
        took = time.monotonic() - t\n\
        print(took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
        sys.exit(r.returncode)\n";
    let out = tokio::process::Command::new("python3")
        .args(["-c", WRAPPER, "git"])
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "git {args:?}");
    let said = String::from_utf8(out.stdout).unwrap();
    let mut fields = said.split_whitespace();
    let took: f64 = fields.next().unwrap().parse().unwrap();
    let kib: u64 = fields.next().unwrap().parse().unwrap();
    (
        Duration::from_secs_f64(took),
        Peak {
            total: kib,
            ..Peak::default()
        },
    )
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Every big row, printed as the table's rows, on `source` served by lighttpd from `dir`.
pub(crate) async fn big_rows(source: &Path, dir: &Path) {
    let served = dir.join("served");
    std::fs::create_dir_all(&served).unwrap();
    copy_source(source, &served.join("big.git"));
    describe(&served.join("big.git"));
    let lighttpd = Lighttpd::start(dir, &served);
    let upstream = lighttpd.url("big");
    let state = server::build_state(config(&dir.join("data"), "0 0 0 1 1 *"))
        .await
        .unwrap();
    let owner = new_user(&state, "big").await;
    let w = |p: &str| dir.join(p);

    // Import, with each side's peak memory.
    let mut import = Row {
        name: "import of the big history",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git clone --mirror`",
        goal: "≤ 0.8",
    };
    let (mut our_peaks, mut git_peaks) = (Vec::new(), Vec::new());
    let mut imported = Vec::new();
    for run in 0..BIG_RUNS {
        let sampler = Sampler::start();
        let id = import_mirror(&state, &owner, &format!("big-{run}"), &upstream).await;
        import.ours.push(newest_run(&state, id, 0).await.1);
        our_peaks.push(sampler.finish());
        imported.push(id);
        mirrorforge::git::maintenance::settled().await;
        let clone = w(&format!("clone-{run}.git"));
        let (took, peak) = git_with_peak(&[
            "clone",
            "-q",
            "--mirror",
            &upstream,
            clone.to_str().unwrap(),
        ])
        .await;
        import.theirs.push(took);
        git_peaks.push(peak);
    }
    let mirror = imported[0];
    let git_mirror = w("clone-0.git");

    // No-op sync.
    let mut noop = Row {
        name: "no-op sync of the big history",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git fetch`",
        goal: "≤ 0.5",
    };
    for _ in 0..BIG_RUNS {
        noop.ours.push(sync(&state, mirror).await);
        noop.theirs
            .push(time_git(&["--git-dir", git_mirror.to_str().unwrap(), "fetch", "-q"]).await);
    }

    // Incremental pull of one new commit on the default branch.
    let mut incremental = Row {
        name: "incremental pull of the big history, 1 new commit",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git fetch`",
        goal: "≤ 1.0",
    };
    for run in 0..BIG_RUNS {
        add_commit(&served.join("big.git"), run);
        incremental.ours.push(sync(&state, mirror).await);
        mirrorforge::git::maintenance::settled().await;
        incremental
            .theirs
            .push(time_git(&["--git-dir", git_mirror.to_str().unwrap(), "fetch", "-q"]).await);
    }

    // Full push to an empty remote.
    let mut push = Row {
        name: "full push of the big history to an empty remote",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git push --mirror`",
        goal: "≤ 1.0",
    };
    let mut pusher = repository::Entity::find_by_id(imported[1])
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    let pusher_path = w("data/repos/big/big-1.git");
    for run in 0..BIG_RUNS {
        let (ours, theirs);
        (pusher, ours, theirs) =
            push_pair(&state, (&lighttpd, &served), (pusher, &pusher_path), run).await;
        push.ours.push(ours);
        push.theirs.push(theirs);
    }

    // Several imports at once, each for its own owner (so every slot may take one).
    let mut owners = Vec::new();
    for n in 0..AT_ONCE {
        owners.push(new_user(&state, &format!("many-{n}")).await);
    }
    mirrorforge::git::maintenance::settled().await;
    let sampler = Sampler::start();
    let started = Instant::now();
    let mut ids = Vec::new();
    for owner in &owners {
        ids.push(import_mirror(&state, owner, "big", &upstream).await);
    }
    for id in ids {
        newest_run(&state, id, 0).await;
    }
    let together = started.elapsed();
    let many = sampler.finish();

    for row in [&incremental, &noop, &import, &push] {
        row.print();
    }
    let middle = |of: fn(&Peak) -> u64| median(our_peaks.iter().map(|p| of(p) as f64).collect());
    let theirs = median(git_peaks.iter().map(|p| p.total as f64).collect());
    println!(
        "| peak memory during the big import | whole process {:.0} MiB resident ({:.0} MiB more than before the import): {:.0} MiB anonymous ({:.0} MiB more), {:.0} MiB mapped files | git's largest process {:.0} MiB | **{:.2}** resident rise / git ({:.2} anonymous rise, {:.2} whole process) | ≤ 2.0 |",
        mib(middle(|p| p.total) as u64),
        mib(middle(Peak::resident_rise) as u64),
        mib(middle(|p| p.anon) as u64),
        mib(middle(Peak::anon_rise) as u64),
        mib(middle(|p| p.file) as u64),
        mib(theirs as u64),
        middle(Peak::resident_rise) / theirs,
        middle(Peak::anon_rise) / theirs,
        middle(|p| p.total) / theirs,
    );
    println!(
        "| {AT_ONCE} big imports at once | {:.1} s; whole process {:.0} MiB resident ({:.0} MiB more than before): {:.0} MiB anonymous ({:.0} MiB more), {:.0} MiB mapped files | | | < 800 MiB |",
        together.as_secs_f64(),
        mib(many.total),
        mib(many.resident_rise()),
        mib(many.anon),
        mib(many.anon_rise()),
        mib(many.file),
    );
}

/// Adds one commit to the default branch of the bare repository `bare` (a new file), with
/// `git fast-import`, as a push would.
fn add_commit(bare: &Path, run: usize) {
    let branch = default_branch(bare);
    let mut fast_import = Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let body = format!("new file {run}\n");
    let mut input = fast_import.stdin.take().unwrap();
    write!(
        input,
        "commit {branch}\ncommitter Bench <bench@example.com> {} +0000\ndata 3\nnew\nfrom {branch}^0\nM 100644 inline bench-new-{run}.txt\ndata {}\n{body}\n",
        1_900_000_000 + run,
        body.len()
    )
    .unwrap();
    drop(input);
    assert!(fast_import.wait().unwrap().success());
}

/// The branch `HEAD` names in `bare` when it exists, else its first branch.
fn default_branch(bare: &Path) -> String {
    let run = |args: &[&str]| {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(bare)
            .args(args)
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap().trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    run(&["symbolic-ref", "HEAD"])
        .filter(|head| run(&["rev-parse", "--verify", "-q", head]).is_some())
        .or_else(|| {
            run(&[
                "for-each-ref",
                "--count=1",
                "--format=%(refname)",
                "refs/heads",
            ])
        })
        .unwrap()
}

/// Prints what the served big history holds: refs, objects, pack size.
fn describe(bare: &Path) {
    let output = |args: &[&str]| {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(bare)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let refs = output(&["for-each-ref"]).lines().count();
    let count = output(&["count-objects", "-v"]).replace('\n', " ");
    println!(
        "big history as served: {refs} refs (branches and tags), packed with `git gc`; {count}\n"
    );
}
