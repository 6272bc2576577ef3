//! The Git LFS row: a pull mirror with 200 LFS objects against stock git and git-lfs.

use std::{path::Path, process::Stdio, time::Instant};

use mirrorforge::{mirror::import::ImportRequest, server};

use super::{
    RUNS,
    measure::{Row, config, new_user, newest_run, repo_with_token},
};

/// LFS objects in the LFS row's repository.
pub(crate) const LFS_OBJECTS: usize = 200;
/// Bytes of each (200 × 0.5 MiB = 100 MiB).
pub(crate) const LFS_OBJECT_SIZE: usize = 512 * 1024;

/// `git ARGS` in `cwd` with `home` as `HOME` and no system configuration, so nothing here reads
/// or writes the user's own (`git lfs install`, credentials).
pub(crate) fn sandboxed_git(home: &Path, cwd: &Path, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("git");
    command
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .stdout(Stdio::null());
    command
}

/// Runs [`sandboxed_git`] to success.
pub(crate) async fn run_sandboxed(home: &Path, cwd: &Path, args: &[&str]) {
    let status = sandboxed_git(home, cwd, args).status().await.unwrap();
    assert!(status.success(), "git {args:?}");
}

/// `len` pseudo-random bytes from `seed` (xorshift: incompressible, the same every run).
pub(crate) fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A pull mirror of a repository with [`LFS_OBJECTS`] LFS objects (100 MiB) against
/// `git clone --bare` + `git lfs fetch --all` of the same. The upstream is a private repository
/// of a mirrorforge server in this process, pushed once with stock git and git-lfs; both sides
/// log in with a token. Each pair imports a new mirror with `lfs: true` (so it starts empty and
/// fetches every object; our figure is that first run's recorded duration), then clones anew.
pub(crate) async fn lfs_row(dir: &Path) -> Row {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let upstream_dir = dir.join("upstream");
    let running = server::start(config(&upstream_dir, "0 0 0 1 1 *"))
        .await
        .unwrap();
    let upstream = server::build_state(config(&upstream_dir, "0 0 0 1 1 *"))
        .await
        .unwrap();
    let (_, token) = repo_with_token(&upstream, "carol", "media", true).await;
    let url = format!("http://{}/carol/media.git", running.addr);
    let with_token = format!("http://carol:{token}@{}/carol/media.git", running.addr);

    // Seed: 200 files tracked by LFS, pushed by git's pre-push hook of git-lfs.
    let seed = dir.join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    run_sandboxed(&home, dir, &["lfs", "install", "--skip-repo"]).await;
    run_sandboxed(&home, &seed, &["init", "-q", "-b", "main"]).await;
    run_sandboxed(&home, &seed, &["lfs", "install", "--local"]).await;
    run_sandboxed(&home, &seed, &["lfs", "track", "*.bin"]).await;
    for i in 0..LFS_OBJECTS {
        std::fs::write(
            seed.join(format!("object-{i:03}.bin")),
            pseudo_random(LFS_OBJECT_SIZE, i as u64 + 1),
        )
        .unwrap();
    }
    run_sandboxed(&home, &seed, &["add", "-A"]).await;
    run_sandboxed(&home, &seed, &["commit", "-q", "-m", "media"]).await;
    run_sandboxed(&home, &seed, &["push", "-q", &with_token, "main"]).await;
    mirrorforge::git::maintenance::settled().await;

    let mirrors = dir.join("mirror");
    let state = server::build_state(config(&mirrors, "0 0 0 1 1 *"))
        .await
        .unwrap();
    let owner = new_user(&state, "bench").await;
    let mut row = Row {
        name: "pull mirror, 200 LFS objects (100 MiB)",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git clone --bare` + `git lfs fetch --all`",
        goal: "≤ 1.2",
    };
    for run in 0..RUNS {
        let repo = state
            .importer()
            .import(
                &owner,
                ImportRequest {
                    name: format!("lfs-{run}"),
                    clone_url: url.clone(),
                    mirror: true,
                    auth_username: Some("carol".to_owned()),
                    auth_password: Some(token.clone()),
                    sync_interval: Some(3600),
                    lfs: true,
                    lfs_endpoint: None,
                    ..ImportRequest::default()
                },
            )
            .await
            .unwrap();
        let (done, took) = newest_run(&state, repo.repo.id, 0).await;
        assert_eq!(done.lfs_objects_transferred, LFS_OBJECTS as i64);
        assert_eq!(
            done.lfs_bytes_transferred,
            (LFS_OBJECTS * LFS_OBJECT_SIZE) as i64
        );
        row.ours.push(took);
        mirrorforge::git::maintenance::settled().await;

        let clone = dir.join(format!("clone-{run}.git"));
        let started = Instant::now();
        run_sandboxed(
            &home,
            dir,
            &[
                "clone",
                "-q",
                "--bare",
                &with_token,
                clone.to_str().unwrap(),
            ],
        )
        .await;
        run_sandboxed(&home, &clone, &["lfs", "fetch", "--all"]).await;
        row.theirs.push(started.elapsed());
        let fetched = walk_size(&clone.join("lfs/objects"));
        assert_eq!(
            fetched,
            (LFS_OBJECTS * LFS_OBJECT_SIZE) as u64,
            "git lfs fetch --all"
        );
        // 100 MiB a pair: not kept.
        std::fs::remove_dir_all(&clone).unwrap();
    }
    running.stop().await.unwrap();
    row
}

/// The bytes of every file under `dir`.
pub(crate) fn walk_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => walk_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
