//! A pull trusts nothing in the pack it receives, which the parallel indexer reads as it
//! arrives: a pack whose objects are deltas of deltas imports whole, and the later, smaller pack
//! completes from the objects already here; a pack with one damaged object (its checksum made
//! right again) fails the sync, moves no ref and leaves no pack behind, on an import as on a
//! later pull.

use std::{fmt::Write as _, path::Path};

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git::{fast_import, parse_refs, random_bytes},
    git_backend::GitBackend,
    mirror::{import_body, runs, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    deltas_of_deltas_import_whole_and_later_packs_complete,
    a_damaged_object_fails_the_pull_and_moves_no_ref
);

/// Lines of the file every commit rewrites one line of.
const LINES: usize = 400;

/// Appends `commits` commits to `main` of the bare repository at `bare` (one `git
/// fast-import`), numbered from `from`: each rewrites one line of `story.txt`, so each
/// version is a small delta of the one before.
async fn write_commits(bare: &Path, from: usize, commits: usize) {
    let author = "Test Author <author@example.com>";
    let mut stream = String::new();
    for n in from..from + commits {
        let story: String = (0..LINES)
            .map(|line| {
                let edited = if line == n % LINES { n } else { 0 };
                format!("line {line} of the story, edited in commit {edited}\n")
            })
            .collect();
        let message = format!("commit {n}");
        write!(
            stream,
            "commit refs/heads/main\ncommitter {author} {} +0000\ndata {}\n{message}\n",
            1_700_000_000 + n,
            message.len()
        )
        .unwrap();
        if n > 0 && n == from {
            stream.push_str("from refs/heads/main^0\n");
        }
        write!(
            stream,
            "M 100644 inline story.txt\ndata {}\n{story}\n",
            story.len()
        )
        .unwrap();
    }
    fast_import(bare, stream.as_bytes()).await;
}

/// Adds a commit on `main` of `bare` holding `size` random bytes as `noise.bin`.
async fn commit_noise(bare: &Path, size: usize) {
    let author = "Test Author <author@example.com>";
    let mut stream = format!(
        "commit refs/heads/main\ncommitter {author} 1800000000 +0000\ndata 5\nnoise\n\
         from refs/heads/main^0\nM 100644 inline noise.bin\ndata {size}\n"
    )
    .into_bytes();
    stream.extend_from_slice(&random_bytes(size));
    stream.push(b'\n');
    fast_import(bare, &stream).await;
}

/// The longest delta chain in the packs of the repository at `dir` (`git verify-pack -v`).
async fn longest_chain(git: &Git, dir: &Path) -> usize {
    let mut longest = 0;
    for entry in std::fs::read_dir(dir.join("objects/pack")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "idx") {
            let said = git
                .ok(dir, &["verify-pack", "-v", path.to_str().unwrap()])
                .await;
            for line in said.lines() {
                if let Some(rest) = line.strip_prefix("chain length = ") {
                    let length = rest.split(':').next().unwrap().trim().parse().unwrap();
                    longest = longest.max(length);
                }
            }
        }
    }
    longest
}

/// The files under `objects/pack` of the repository at `dir`, sorted.
fn pack_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("objects/pack"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Imports `name` from `remotes` as a mirror and waits for its first sync and for the
/// repacking that follows it (the pack files are inspected next).
async fn import(s: &TestServer, owner: &TestUser, remotes: &GitBackend, name: &str) -> Value {
    let body = json!({"name": name, "clone_url": remotes.url(name), "mirror": true,
                      "sync_interval": 3600});
    import_body(s, owner, body).await.expect(201);
    let status = settle(s, owner, name).await;
    mirrorforge::git::maintenance::settled().await;
    status
}

/// Presses "Sync now" on `owner/name` and waits for the sync to end and for any repacking.
async fn sync(s: &TestServer, owner: &TestUser, name: &str) -> Value {
    sync_now(s, owner, name).await.expect(202);
    let status = settle(s, owner, name).await;
    mirrorforge::git::maintenance::settled().await;
    status
}

async fn deltas_of_deltas_import_whole_and_later_packs_complete(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let git = Git::new();
    let upstream = remotes.create("story").await;
    write_commits(&upstream, 0, 120).await;
    git.ok(
        &upstream,
        &["repack", "-adfq", "--depth=50", "--window=250"],
    )
    .await;
    assert!(
        longest_chain(&git, &upstream).await >= 3,
        "the upstream pack has deltas of deltas"
    );

    let status = import(&s, &owner, &remotes, "story").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let here = s.repo_dir("owner", "story");
    assert_eq!(
        parse_refs(&git.show_ref(&here).await),
        parse_refs(&git.show_ref(&upstream).await)
    );
    assert!(
        longest_chain(&git, &here).await >= 3,
        "the pack kept here is the one received, chains and all"
    );
    git.fsck_clean(&here, "the import").await;

    // A later pull receives only what is new, as deltas against what is here.
    write_commits(&upstream, 120, 30).await;
    let status = sync(&s, &owner, "story").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        parse_refs(&git.show_ref(&here).await),
        parse_refs(&git.show_ref(&upstream).await)
    );
    git.fsck_clean(&here, "the second pull").await;
    let (out, clone) = git
        .clone(&s.git_url(None, "owner", "story"), "clone", &[])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        git.ok(&clone, &["rev-list", "--count", "HEAD"]).await,
        "150"
    );
}

async fn a_damaged_object_fails_the_pull_and_moves_no_ref(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let git = Git::new();
    let upstream = remotes.create("noisy").await;
    write_commits(&upstream, 0, 20).await;
    let status = import(&s, &owner, &remotes, "noisy").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let here = s.repo_dir("owner", "noisy");
    let refs_before = git.show_ref(&here).await;
    let packs_before = pack_files(&here);

    // The next pack carries a 256 KiB file with one byte flipped on the way.
    commit_noise(&upstream, 256 * 1024).await;
    remotes.damage_packs(true);
    let status = sync(&s, &owner, "noisy").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let run = &runs(&s, &owner, "noisy").await[0];
    assert_eq!(run["status"], "failed", "{run}");
    let said = run["error"].as_str().unwrap_or("");
    assert!(
        said.contains("the pack from the remote is damaged"),
        "{run}"
    );
    assert_eq!(git.show_ref(&here).await, refs_before, "no ref moved");
    assert_eq!(
        pack_files(&here),
        packs_before,
        "no pack, whole or partial, kept"
    );
    git.fsck_clean(&here, "the refused pull").await;

    // An import of a damaged pack makes an empty repository, not a broken one.
    let other = remotes.create("broken").await;
    write_commits(&other, 0, 20).await;
    commit_noise(&other, 256 * 1024).await;
    let status = import(&s, &owner, &remotes, "broken").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let broken = s.repo_dir("owner", "broken");
    assert_eq!(git.run(&broken, &["show-ref"]).await.stdout, b"");
    assert!(
        !pack_files(&broken).iter().any(|f| f.ends_with(".pack")),
        "{:?}",
        pack_files(&broken)
    );

    // Served whole again, the same pull succeeds.
    remotes.damage_packs(false);
    let status = sync(&s, &owner, "noisy").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        parse_refs(&git.show_ref(&here).await),
        parse_refs(&git.show_ref(&upstream).await)
    );
    git.fsck_clean(&here, "the whole pull").await;
}
