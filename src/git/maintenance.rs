//! Keeping served repositories quick to clone: a first push or an import leaves a pack
//! without a bitmap index, and `git upload-pack` must then walk every object to answer a
//! clone. After such an update, one `git gc` runs in the background (at most one at a time in
//! the process, never two for one repository), as Gitea and GitHub repack what they serve.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, LazyLock, Mutex},
};

use tokio::sync::Semaphore;

/// Repositories in line or being packed, and the one permit to pack.
struct Maintenance {
    queued: Mutex<HashSet<PathBuf>>,
    permit: Semaphore,
}

static MAINTENANCE: LazyLock<Arc<Maintenance>> = LazyLock::new(|| {
    Arc::new(Maintenance {
        queued: Mutex::new(HashSet::new()),
        permit: Semaphore::new(1),
    })
});

/// Packs beyond which a repository is repacked anyway (`gc.autoPackLimit`'s default).
const MAX_PACKS: usize = 50;

/// Whether `repo` would serve clones slowly as it is: no pack has a bitmap index (a clone then
/// walks every object), or there are more than [`MAX_PACKS`] packs. Small packs beside one
/// with a bitmap are cheap, so an incremental fetch or push does not repack the whole
/// repository; loose objects are left to `git receive-pack`'s own `gc --auto`.
#[must_use]
pub fn needs_packing(repo: &Path) -> bool {
    let packs: Vec<PathBuf> = std::fs::read_dir(repo.join("objects/pack"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "pack"))
                .collect()
        })
        .unwrap_or_default();
    !packs.is_empty()
        && (packs.len() > MAX_PACKS || !packs.iter().any(|p| p.with_extension("bitmap").exists()))
}

/// Packs `repo` in the background when it needs it (see [`needs_packing`]); returns at once.
/// Call it from within the runtime, after an update of the repository.
pub fn after_update(repo: &Path) {
    if !needs_packing(repo) {
        return;
    }
    let maintenance = Arc::clone(&MAINTENANCE);
    let repo = repo.to_path_buf();
    let Ok(mut queued) = maintenance.queued.lock() else {
        return;
    };
    if !queued.insert(repo.clone()) {
        return; // already in line: it will see this update too
    }
    drop(queued);
    tokio::spawn(async move {
        // Out of line when this ends, also when the task is dropped (a runtime shutting down).
        let _in_line = InLine {
            maintenance: Arc::clone(&maintenance),
            repo: repo.clone(),
        };
        let _permit = maintenance.permit.acquire().await;
        let packed = tokio::process::Command::new("git")
            .arg("--git-dir")
            .arg(&repo)
            .args(["gc", "--quiet"])
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output()
            .await;
        match packed {
            Ok(output) if output.status.success() => {}
            Ok(output) => tracing::warn!(
                repo = %repo.display(),
                stderr = %String::from_utf8_lossy(&output.stderr).trim(),
                "git gc failed"
            ),
            Err(e) => tracing::warn!(repo = %repo.display(), error = %e, "could not run git gc"),
        }
    });
}

/// A repository's place in line, given up when dropped.
struct InLine {
    maintenance: Arc<Maintenance>,
    repo: PathBuf,
}

impl Drop for InLine {
    fn drop(&mut self) {
        if let Ok(mut queued) = self.maintenance.queued.lock() {
            queued.remove(&self.repo);
        }
    }
}

/// Waits until no repository is in line or being packed (for tests and benchmarks, which must
/// not measure or inspect a repository while it is repacked).
pub async fn settled() {
    loop {
        let busy = MAINTENANCE
            .queued
            .lock()
            .map(|queued| !queued.is_empty())
            .unwrap_or(false);
        if !busy {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
