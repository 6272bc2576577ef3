//! One mirror transfer, as a sync runs it, as a process of its own (to time against the git
//! command line): `mirror_once fetch|push BARE_REPO URL` prints what it did.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{path::PathBuf, sync::Arc, time::Duration};

use mirrorforge::{
    git::fetch_push::{
        self, Limits, Progress,
        transport::{Transfer, Wire},
    },
    net::{remote_http::RemoteHttp, remote_url::RemoteUrl},
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, way, repo, url] = args.as_slice() else {
        eprintln!("usage: mirror_once fetch|push BARE_REPO URL");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let remote = RemoteUrl::parse(url, true).unwrap();
    let http = RemoteHttp::new(&remote, true, Duration::from_secs(600), None).unwrap();
    let transfer = Arc::new(Transfer::new(
        Wire::Http(Arc::new(http)),
        runtime.handle().clone(),
        Limits::new(600, tokio_util::sync::CancellationToken::new()),
    ));
    let repo = PathBuf::from(repo);
    let push = way == "push";
    let outcome = runtime
        .block_on(runtime.spawn_blocking(move || {
            let progress = Arc::new(Progress::default());
            if push {
                fetch_push::push_mirror(
                    &repo,
                    &transfer,
                    &progress,
                    &fetch_push::PushRules::default(),
                )
            } else {
                fetch_push::fetch_objects(
                    &repo,
                    &transfer,
                    &progress,
                    &fetch_push::PullRules::default(),
                )
                .and_then(|staged| staged.apply(&repo, (0, 0), 0))
            }
        }))
        .unwrap()
        .unwrap();
    println!(
        "up_to_date={} changes={} objects={} requests={}",
        outcome.up_to_date,
        outcome.changes.len(),
        outcome.objects,
        outcome.requests
    );
}
