//! The shallow row: a depth-1 import of a big history (`MIRRORFORGE_BENCH_BIG_SOURCE`, a clone
//! of git's own) against `git clone --mirror --no-single-branch --depth 1` of the same URL:
//! `--depth` implies `--single-branch`, so without it git would fetch one branch where the
//! import fetches every branch and tag.

use std::path::Path;

use mirrorforge::{mirror::import::ImportRequest, server};

use super::{
    measure::{Row, config, new_user, newest_run},
    remote::{Lighttpd, copy_source, time_git},
};

/// Pairs in the shallow row: each side moves a large pack, so fewer than the other rows.
pub(crate) const SHALLOW_RUNS: usize = 3;

/// A depth-1 import of the branches and tags of `source` (served by lighttpd with stock
/// `git http-backend`, packed by `git gc`) against the same with stock git, pairs
/// interleaved; our figure is the import run's recorded duration.
pub(crate) async fn shallow_row(source: &Path, dir: &Path) -> Row {
    let served = dir.join("served");
    std::fs::create_dir_all(&served).unwrap();
    copy_source(source, &served.join("big.git"));
    let lighttpd = Lighttpd::start(dir, &served);
    let upstream = lighttpd.url("big");
    let state = server::build_state(config(&dir.join("data"), "0 0 0 1 1 *"))
        .await
        .unwrap();
    let owner = new_user(&state, "shallow").await;
    let mut row = Row {
        name: "depth-1 import of a big history",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git clone --mirror --no-single-branch --depth 1`",
        goal: "≤ 1.0",
    };
    for run in 0..SHALLOW_RUNS {
        let repo = state
            .importer()
            .import(
                &owner,
                ImportRequest {
                    name: format!("shallow-{run}"),
                    clone_url: upstream.clone(),
                    mirror: true,
                    sync_interval: Some(3600),
                    depth: Some(1),
                    ..ImportRequest::default()
                },
            )
            .await
            .unwrap();
        row.ours.push(newest_run(&state, repo.repo.id, 0).await.1);
        // The import's background repack must not slow git's turn.
        mirrorforge::git::maintenance::settled().await;
        let clone = dir.join(format!("clone-{run}.git"));
        row.theirs.push(
            time_git(&[
                "clone",
                "-q",
                "--mirror",
                "--no-single-branch",
                "--depth",
                "1",
                &upstream,
                clone.to_str().unwrap(),
            ])
            .await,
        );
    }
    row
}
