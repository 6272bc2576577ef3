//! The real `git` client, run in temp directories with a scrubbed environment: no system or
//! user configuration, no prompts, no proxies, a fixed identity; and work trees seeded to order.

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use rand::RngCore;
use tempfile::TempDir;

/// A sandbox for git: a private `HOME` and room for work trees.
pub struct Git {
    root: TempDir,
}

impl Git {
    /// A new sandbox.
    pub fn new() -> Self {
        let root = tempfile::Builder::new()
            .prefix("mf-git-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir(root.path().join("home")).expect("home");
        Self { root }
    }

    /// A path inside the sandbox (not created).
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Runs `git ARGS` in `cwd` with the extra `env`, returning whatever happened.
    pub async fn run_env(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let home = self.path("home");
        let mut cmd = tokio::process::Command::new("git");
        cmd.args(args)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("LANG", "C")
            .env("LC_ALL", "C")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@example.com")
            .env("GIT_COMMITTER_NAME", "Test Committer")
            .env("GIT_COMMITTER_EMAIL", "committer@example.com")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd.output().await.expect("git runs")
    }

    /// Runs `git ARGS` in `cwd`.
    pub async fn run(&self, cwd: &Path, args: &[&str]) -> Output {
        self.run_env(cwd, args, &[]).await
    }

    /// Runs `git ARGS` in `cwd`, fails the test unless it succeeds; returns stdout, trimmed.
    pub async fn ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.run(cwd, args).await;
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Runs `git ARGS` in `cwd`, fails the test if it succeeds; returns stderr.
    pub async fn fails(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.run(cwd, args).await;
        assert!(
            !out.status.success(),
            "git {args:?} should have failed but succeeded:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `git lfs install` for this sandbox's `HOME`: every clone and work tree here runs the
    /// LFS filters (the sandbox ignores the system's configuration).
    pub async fn lfs_install(&self) {
        self.ok(self.root.path(), &["lfs", "install", "--skip-repo"])
            .await;
    }

    /// `git init -b main NAME` inside the sandbox; returns the work tree.
    pub async fn init(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        self.ok(self.root.path(), &["init", "-q", "-b", "main", name])
            .await;
        dir
    }

    /// `git init` of `name` with the LFS hooks installed and `*.bin` tracked by LFS (its
    /// `.gitattributes` written, not yet committed); returns the work tree.
    pub async fn init_lfs(&self, name: &str) -> PathBuf {
        let dir = self.init(name).await;
        self.ok(&dir, &["lfs", "install", "--local"]).await;
        self.ok(&dir, &["lfs", "track", "*.bin"]).await;
        dir
    }

    /// Writes `content` to `file` in the work tree `dir` and commits it; returns the commit id.
    pub async fn commit_file(
        &self,
        dir: &Path,
        file: &str,
        content: impl AsRef<[u8]>,
        message: &str,
    ) -> String {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, content).expect("write");
        self.ok(dir, &["add", "--", file]).await;
        self.ok(dir, &["commit", "-q", "-m", message]).await;
        self.ok(dir, &["rev-parse", "HEAD"]).await
    }

    /// `git clone -q URL NAME` inside the sandbox with extra `-c` options before `clone`;
    /// returns the whole output and the work tree.
    pub async fn clone(&self, url: &str, name: &str, options: &[&str]) -> (Output, PathBuf) {
        self.clone_env(url, name, options, &[]).await
    }

    /// [`Self::clone`] with extra environment variables.
    pub async fn clone_env(
        &self,
        url: &str,
        name: &str,
        options: &[&str],
        env: &[(&str, &str)],
    ) -> (Output, PathBuf) {
        let mut args: Vec<&str> = Vec::new();
        for option in options {
            args.extend(["-c", option]);
        }
        args.extend(["clone", "-q", url, name]);
        let out = self.run_env(self.root.path(), &args, env).await;
        (out, self.path(name))
    }

    /// The refs of a repository (work tree or bare), as `git show-ref` prints them.
    pub async fn show_ref(&self, repo: &Path) -> String {
        self.ok(repo, &["show-ref", "--head", "--heads", "--tags"])
            .await
    }

    /// Asserts that `git fsck --full` passes on the repository at `dir`, with nothing dangling,
    /// missing or in error; `after` names the moment in the message.
    pub async fn fsck_clean(&self, dir: &Path, after: &str) {
        let out = self.run(dir, &["fsck", "--full", "--no-dangling"]).await;
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "fsck after {after}: {said}");
        assert!(
            !said.contains("missing") && !said.contains("error"),
            "fsck after {after}: {said}"
        );
    }

    /// The refs a remote advertises (heads and tags), one `SHA\tREF` per line.
    pub async fn ls_remote(&self, url: &str) -> String {
        self.ok(
            self.root.path(),
            &["ls-remote", "--refs", "--heads", "--tags", url],
        )
        .await
    }

    /// Makes the work tree `seed` describes and pushes main, its branches and its tag to
    /// `remote`; returns the work tree.
    pub async fn seed(&self, remote: &str, seed: &Seed<'_>) -> PathBuf {
        let work = self.init(seed.work).await;
        for (file, content, message) in seed.commits {
            self.commit_file(&work, file, content, message).await;
        }
        let mut push = vec!["push", "-q", remote, "main"];
        for branch in seed.branches {
            self.ok(&work, &["branch", branch]).await;
            push.push(branch);
        }
        if let Some(tag) = seed.tag {
            let name = match tag {
                Tag::Light(name) => {
                    self.ok(&work, &["tag", name]).await;
                    name
                }
                Tag::Annotated(name) => {
                    self.ok(&work, &["tag", "-a", name, "-m", name]).await;
                    name
                }
            };
            push.push(name);
        }
        self.ok(&work, &push).await;
        work
    }
}

/// A tag made at the last commit of a seeded work tree.
#[derive(Debug, Clone, Copy)]
pub enum Tag<'a> {
    /// `git tag NAME`.
    Light(&'a str),
    /// `git tag -a NAME -m NAME`.
    Annotated(&'a str),
}

/// What [`Git::seed`] puts in a work tree before pushing it.
#[derive(Debug, Clone, Copy)]
pub struct Seed<'a> {
    /// The work tree's name in the git sandbox.
    pub work: &'a str,
    /// Commits on `main`, oldest first: the file written, its content, the message.
    pub commits: &'a [(&'a str, &'a [u8], &'a str)],
    /// A tag at the last commit, if any.
    pub tag: Option<Tag<'a>>,
    /// Branches made at the last commit.
    pub branches: &'a [&'a str],
}

impl Seed<'static> {
    /// One commit on main and nothing else.
    pub const ONE_COMMIT: Self = Seed {
        work: "work",
        commits: &[("a.txt", b"a\n", "a")],
        tag: None,
        branches: &[],
    };
}

/// `git show-ref` style lines (`SHA REF`) and `ls-remote` style lines (`SHA\tREF`) as
/// sorted `(ref, sha)` pairs, so the two can be compared.
pub fn parse_refs(text: &str) -> Vec<(String, String)> {
    let mut refs: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| {
            let (sha, name) = line.split_once(['\t', ' '])?;
            (name.starts_with("refs/")).then(|| (name.trim().to_owned(), sha.trim().to_owned()))
        })
        .collect();
    refs.sort();
    refs
}

/// Feeds `stream` to `git fast-import` in the bare repository `bare` (written beside it first,
/// as `NAME.stream`).
pub async fn fast_import(bare: &Path, stream: &[u8]) {
    let file = bare.with_extension("stream");
    std::fs::write(&file, stream).expect("stream file");
    let status = tokio::process::Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args(["fast-import", "--quiet"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(std::process::Stdio::from(
            std::fs::File::open(&file).expect("stream file"),
        ))
        .status()
        .await
        .expect("git fast-import");
    assert!(status.success(), "git fast-import");
}

/// `len` random bytes (incompressible, so packs are as large as the files).
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rand::rng().fill_bytes(&mut data);
    data
}
