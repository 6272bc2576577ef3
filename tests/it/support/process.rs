//! The real `mirrorforge` binary as a separate process: for what only a process can show
//! (kill -9 mid-sync, two processes on one database, process-wide git timeouts, the log).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// A running `mirrorforge serve` process.
pub struct ServerProcess {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Child,
    log: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl ServerProcess {
    /// Starts `mirrorforge serve` on 127.0.0.1:0 with `data_dir`, `database_url` and `env`;
    /// waits for its `listening on` line.
    pub async fn start(data_dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirrorforge"));
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", data_dir)
            .env("MIRRORFORGE_LISTEN", "127.0.0.1:0")
            .env("MIRRORFORGE_DATA_DIR", data_dir)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "info,mirrorforge=debug,sqlx=warn,sea_orm=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in env {
            cmd.env(key, value);
        }
        let mut child = cmd.spawn().expect("mirrorforge starts");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = Arc::clone(&log);
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    log.lock().expect("log").push_str(&format!("{line}\n"));
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let waited = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            while let Some(line) = rx.recv().await {
                if let Some(at) = line.find("listening on ") {
                    return Some(line[at + "listening on ".len()..].trim().to_owned());
                }
            }
            None
        })
        .await;
        let Ok(Some(base)) = waited else {
            panic!(
                "mirrorforge did not start listening; it printed:\n{}",
                log.lock().expect("log")
            );
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        Self {
            base,
            child,
            log,
            http,
        }
    }

    /// Sends `method path` with a Bearer `token` and an optional JSON body; returns the status
    /// and the body as JSON (`null` when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or_default())
    }

    /// `GET path` as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        self.call(reqwest::Method::GET, path, token, None).await.1
    }

    /// The process id (for reading `/proc/PID/…`).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server process is running")
    }

    /// Everything the process printed so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Kills the process at once (SIGKILL), as a power cut would.
    pub async fn kill_hard(mut self) {
        self.child.kill().await.expect("kill -9");
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
        }
        tokio::time::timeout(std::time::Duration::from_secs(60), self.child.wait())
            .await
            .expect("exits within 60 s")
            .expect("wait")
    }
}

/// A data directory and its database, for one server process after another.
pub struct Home {
    dir: tempfile::TempDir,
    url: String,
}

impl Home {
    /// A new data directory on `db` with the user `owner` (password `password`), made through
    /// the command line; returns it and a token of `owner`'s.
    pub async fn with_owner(db: &crate::support::Db, password: &str) -> (Self, String) {
        let dir = tempfile::tempdir().unwrap();
        let url = db.database_url(dir.path());
        let token = cli_user_with_token(dir.path(), &url, "owner", password).await;
        (Self { dir, url }, token)
    }

    /// The data directory.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Starts a server process on it that mirrors 127.0.0.1 remotes, with `env` besides.
    pub async fn serve(&self, env: &[(&str, &str)]) -> ServerProcess {
        let mut all = vec![("MIRRORFORGE_ALLOW_LOCAL_NETWORKS", "true")];
        all.extend_from_slice(env);
        ServerProcess::start(self.path(), &self.url, &all).await
    }
}

/// Creates a user and a token in `data_dir` through the command line; returns the token.
pub async fn cli_user_with_token(
    data_dir: &Path,
    database_url: &str,
    username: &str,
    password: &str,
) -> String {
    use tokio::io::AsyncWriteExt;
    let run = |args: Vec<String>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirrorforge"));
        cmd.args(args)
            .env("MIRRORFORGE_DATA_DIR", data_dir)
            .env("DATABASE_URL", database_url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    };
    let mut create = run(vec![
        "admin".into(),
        "create-user".into(),
        "--username".into(),
        username.into(),
        "--email".into(),
        format!("{username}@example.com"),
        "--password-stdin".into(),
    ])
    .spawn()
    .expect("create-user");
    let mut stdin = create.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{password}\n").as_bytes())
        .await
        .expect("password");
    drop(stdin);
    let out = create.wait_with_output().await.expect("create-user runs");
    assert!(
        out.status.success(),
        "create-user: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(vec![
        "admin".into(),
        "create-token".into(),
        "--username".into(),
        username.into(),
        "--name".into(),
        "test".into(),
    ])
    .output()
    .await
    .expect("create-token runs");
    assert!(
        out.status.success(),
        "create-token: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Every regular file below `dir`.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}
