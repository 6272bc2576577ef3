//! The remote side of the bench: lighttpd serving `git http-backend` on 127.0.0.1, the source
//! repositories it serves, and stock git timed on the same work.

use std::{
    io::Write,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use super::{COMMITS, FILES};

/// lighttpd with `git http-backend` as CGI, serving the bare repositories under `root`.
pub(crate) struct Lighttpd {
    pub(crate) port: u16,
    pub(crate) child: std::process::Child,
}

impl Lighttpd {
    pub(crate) fn start(dir: &Path, root: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let backend = String::from_utf8(
            Command::new("git")
                .arg("--exec-path")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .trim()
        .to_owned()
            + "/git-http-backend";
        let conf = dir.join("lighttpd.conf");
        std::fs::write(
            &conf,
            format!(
                r#"server.document-root = "{root}"
server.port = {port}
server.bind = "127.0.0.1"
server.modules = ("mod_alias", "mod_cgi", "mod_setenv")
server.stream-request-body = 0
server.errorlog = "{dir}/lighttpd.log"
alias.url = ( "/git" => "{backend}" )
$HTTP["url"] =~ "^/git" {{
  cgi.assign = ("" => "")
  setenv.add-environment = ( "GIT_PROJECT_ROOT" => "{root}", "GIT_HTTP_EXPORT_ALL" => "" )
}}
"#,
                root = root.display(),
                dir = dir.display(),
            ),
        )
        .unwrap();
        let child = Command::new("lighttpd")
            .arg("-D")
            .arg("-f")
            .arg(&conf)
            .stdout(Stdio::null())
            .spawn()
            .expect("lighttpd (make deps installs it)");
        // Dropping it kills and reaps the child, also when it does not come up.
        let server = Self { port, child };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("lighttpd did not start");
    }

    pub(crate) fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/git/{name}.git", self.port)
    }
}

impl Drop for Lighttpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn git(args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// Times one git command (waited for without holding up the runtime, whose threads serve
/// our side of some rows).
pub(crate) async fn time_git(args: &[&str]) -> Duration {
    let started = Instant::now();
    let status = tokio::process::Command::new("git")
        .args(args)
        .stdout(Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success(), "git {args:?}");
    started.elapsed()
}

/// The shape of a synthetic history: `commits` commits each appending a function to three of
/// `files` files (good deltas, like real code), a branch every `branch_every` commits and a tag
/// every `tag_every`.
pub(crate) struct History {
    pub(crate) commits: usize,
    pub(crate) files: usize,
    /// Files sit in `src/`, or spread over this many `dir_N/` folders.
    pub(crate) folders: Option<usize>,
    /// Placeholder lines each file starts with.
    pub(crate) first_lines: usize,
    /// How far apart (in files) one commit's three edits are.
    pub(crate) edit_stride: usize,
    /// Commit `c` is committed at `epoch + c`.
    pub(crate) epoch: usize,
    pub(crate) branch_every: usize,
    pub(crate) tag_every: usize,
}

/// The bench's own source: 3,000 commits over 300 files, 40 branches and 100 tags.
pub(crate) const SMALL_HISTORY: History = History {
    commits: COMMITS,
    files: FILES,
    folders: None,
    first_lines: 20,
    edit_stride: 13,
    epoch: 1_700_000_000,
    branch_every: 75,
    tag_every: 30,
};

/// A repository with the small synthetic history, packed by `git gc` as a server holds it.
pub(crate) fn make_source(dir: &Path) {
    make_history(dir, &SMALL_HISTORY);
}

/// A bare repository at `dir` with `history` on `main`, in one `git fast-import`, packed by
/// `git gc` as a server holds it.
pub(crate) fn make_history(dir: &Path, history: &History) {
    git(&["init", "-q", "--bare", "-b", "main", dir.to_str().unwrap()]);
    let mut fast_import = Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = std::io::BufWriter::new(fast_import.stdin.take().unwrap());
    let mut contents: Vec<String> = (0..history.files)
        .map(|f| {
            format!(
                "// file {f}\n{}",
                "fn placeholder() {}\n".repeat(history.first_lines)
            )
        })
        .collect();
    for c in 1..=history.commits {
        writeln!(input, "commit refs/heads/main\nmark :{c}").unwrap();
        writeln!(
            input,
            "committer Bench <bench@example.com> {} +0000",
            history.epoch + c
        )
        .unwrap();
        let message = format!("change {c}");
        writeln!(input, "data {}\n{message}", message.len()).unwrap();
        if c > 1 {
            writeln!(input, "from :{}", c - 1).unwrap();
        }
        for k in 0..3 {
            let f = (c * 7 + k * history.edit_stride) % history.files;
            contents[f].push_str(&format!("fn change_{c}_{k}() {{ let x = {}; }}\n", c * k));
            let body = &contents[f];
            let path = match history.folders {
                Some(folders) => format!("dir_{}/file_{f}.rs", f % folders),
                None => format!("src/file_{f}.rs"),
            };
            writeln!(input, "M 100644 inline {path}\ndata {}\n{body}", body.len()).unwrap();
        }
        if c % history.branch_every == 0 {
            writeln!(
                input,
                "reset refs/heads/branch-{}\nfrom :{c}",
                c / history.branch_every
            )
            .unwrap();
        }
        if c % history.tag_every == 0 {
            writeln!(
                input,
                "reset refs/tags/v{}\nfrom :{c}",
                c / history.tag_every
            )
            .unwrap();
        }
    }
    drop(input);
    assert!(fast_import.wait().unwrap().success());
    git(&["--git-dir", dir.to_str().unwrap(), "gc", "-q"]);
}

/// The branches and tags of an existing repository (`MIRRORFORGE_BENCH_SOURCE`, say a clone
/// of ripgrep), packed by `git gc` as a server holds them.
pub(crate) fn copy_source(source: &Path, dir: &Path) {
    git(&["init", "-q", "--bare", dir.to_str().unwrap()]);
    git(&[
        "--git-dir",
        dir.to_str().unwrap(),
        "fetch",
        "-q",
        source.to_str().unwrap(),
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
    ]);
    git(&["--git-dir", dir.to_str().unwrap(), "gc", "-q"]);
}

/// An empty bare repository under lighttpd's root that accepts anonymous pushes.
pub(crate) fn empty_remote(root: &Path, name: &str) {
    let path = root.join(format!("{name}.git"));
    git(&["init", "-q", "--bare", path.to_str().unwrap()]);
    git(&[
        "--git-dir",
        path.to_str().unwrap(),
        "config",
        "http.receivepack",
        "true",
    ]);
}
