//! Lock files a killed git left behind. git takes a ref by creating `<ref>.lock` and holds it
//! for milliseconds; a process killed in between (a power cut, kill -9 mid-sync) leaves the
//! file, and every later write of that ref fails with "File exists" for ever. When a sync's
//! process is known dead, its repository's ref locks older than a grace period are removed.

use std::{
    io,
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

/// How old a lock must be before it counts as left behind: far longer than git holds one.
pub const GRACE: Duration = Duration::from_secs(5);

/// The lock files under `dir`, recursively.
fn locks_under(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            locks_under(&path, found)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "lock") {
            found.push(path);
        }
    }
    Ok(())
}

/// Removes the ref lock files of the bare repository at `repo` (under `refs/`, and
/// `packed-refs.lock`, `HEAD.lock`) last written more than `grace` before `now`; the paths
/// removed, relative to `repo`.
///
/// # Errors
/// The repository's directories cannot be read, or a lock cannot be removed.
pub fn remove(repo: &Path, grace: Duration, now: SystemTime) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    locks_under(&repo.join("refs"), &mut found)?;
    for top in ["packed-refs.lock", "HEAD.lock"] {
        let path = repo.join(top);
        if path.is_file() {
            found.push(path);
        }
    }
    let mut removed = Vec::new();
    for path in found {
        let written = std::fs::metadata(&path)?.modified()?;
        let old = now.duration_since(written).is_ok_and(|age| age > grace);
        if old {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                // Its git finished meanwhile.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            removed.push(path.strip_prefix(repo).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_ref_locks_go() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        std::fs::create_dir_all(repo.join("refs/heads/a")).unwrap();
        for file in [
            "refs/heads/main.lock",
            "refs/heads/a/b.lock",
            "packed-refs.lock",
            "config.lock",
            "refs/heads/main",
        ] {
            std::fs::write(repo.join(file), "x").unwrap();
        }
        let now = SystemTime::now();
        assert!(
            remove(repo, GRACE, now).unwrap().is_empty(),
            "fresh locks stay"
        );
        let later = now + Duration::from_secs(60);
        let mut removed = remove(repo, GRACE, later).unwrap();
        removed.sort();
        assert_eq!(
            removed,
            vec![
                PathBuf::from("packed-refs.lock"),
                PathBuf::from("refs/heads/a/b.lock"),
                PathBuf::from("refs/heads/main.lock"),
            ]
        );
        assert!(repo.join("refs/heads/main").exists());
        assert!(repo.join("config.lock").exists(), "not a ref lock");
    }
}
