//! A real OpenSSH `sshd` on 127.0.0.1 with a random port, its own host key and an
//! `authorized_keys` of the test's choosing, serving bare repositories from a temporary
//! directory to the user running the tests (root signs in by key only).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use tempfile::TempDir;

use super::free_port;
use tokio::process::{Child, Command};

/// Where Debian's `openssh-server` puts the daemon (`make deps` installs it).
const SSHD: &str = "/usr/sbin/sshd";

/// A running `sshd`, stopped when dropped.
pub struct Sshd {
    dir: TempDir,
    port: u16,
    user: String,
    child: Option<Child>,
}

impl Sshd {
    /// Starts `sshd` letting in exactly `authorized_key` (an OpenSSH public key line).
    pub async fn start(authorized_key: &str) -> Self {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: run `make deps` (Debian package openssh-server)"
        );
        let dir = tempfile::Builder::new()
            .prefix("mf-sshd-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("repos")).expect("repos dir");
        let mut sshd = Self {
            port: free_port(),
            user: whoami().await,
            dir,
            child: None,
        };
        sshd.authorize(authorized_key);
        sshd.new_host_key().await;
        sshd.run().await;
        sshd
    }

    /// Lets in exactly `authorized_key` from now on.
    pub fn authorize(&self, authorized_key: &str) {
        std::fs::write(
            self.dir.path().join("authorized_keys"),
            format!("{}\n", authorized_key.trim()),
        )
        .expect("authorized_keys");
    }

    /// Stops, makes a new host key and starts again on the same port (what a server
    /// reinstalled, or a machine in the middle, looks like).
    pub async fn replace_host_key(&mut self) {
        self.stop().await;
        self.new_host_key().await;
        assert!(
            self.run_on_port().await,
            "port {} was taken while sshd restarted",
            self.port
        );
    }

    /// The host key's SHA-256 fingerprint, as `ssh-keygen -l` prints it.
    pub async fn fingerprint(&self) -> String {
        let output = Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(self.dir.path().join("host_key.pub"))
            .output()
            .await
            .expect("ssh-keygen -l");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .nth(1)
            .expect("a fingerprint")
            .to_owned()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `ssh://` URL of the bare repository `NAME.git`.
    pub fn url(&self, name: &str) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            self.path(name).display()
        )
    }

    /// The bare repository `NAME.git` on disk.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join("repos").join(format!("{name}.git"))
    }

    /// Creates an empty bare repository `NAME.git`.
    pub async fn create(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        let status = Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(&path)
            .status()
            .await
            .expect("git init");
        assert!(status.success());
        path
    }

    /// What `sshd` logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    async fn new_host_key(&self) {
        let key = self.dir.path().join("host_key");
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(key.with_extension("pub"));
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test-sshd", "-f"])
            .arg(&key)
            .status()
            .await
            .expect("ssh-keygen");
        assert!(status.success());
    }

    /// Starts `sshd` on a free port. The port was free when picked, but another test may
    /// bind it before `sshd` does (then `sshd` exits and a silent HTTP server answers there):
    /// a start whose port turns out not to greet as SSH is tried again on another port.
    async fn run(&mut self) {
        for _ in 0..5 {
            if self.run_on_port().await {
                return;
            }
            self.port = free_port();
        }
        panic!("sshd could not start on five free ports: {}", self.log());
    }

    /// Starts `sshd` on `self.port`: `true` once it greets there, `false` when the port
    /// belongs to someone else.
    async fn run_on_port(&mut self) -> bool {
        let dir = self.dir.path();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\n\
                 ListenAddress 127.0.0.1\n\
                 HostKey {dir}/host_key\n\
                 AuthorizedKeysFile {dir}/authorized_keys\n\
                 PidFile {dir}/sshd.pid\n\
                 PubkeyAuthentication yes\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 UsePAM no\n\
                 StrictModes no\n\
                 PermitRootLogin prohibit-password\n\
                 AllowTcpForwarding no\n\
                 X11Forwarding no\n\
                 LogLevel VERBOSE\n",
                port = self.port,
                dir = dir.display(),
            ),
        )
        .expect("sshd_config");
        // sshd run by root wants its privilege-separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("sshd.log"))
            .expect("sshd.log");
        let mut child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("sshd starts");
        let started = Instant::now();
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return false; // it could not bind the port
            }
            if let Some(greeting) = greeting(self.port).await {
                if greeting.starts_with(b"SSH-") {
                    self.child = Some(child);
                    return true;
                }
                let _ = child.kill().await;
                return false;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "sshd did not listen on {}: {}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
        // The port is free again once nothing listens.
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_ok()
            && started.elapsed() < Duration::from_secs(5)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The login of the user running the tests (sshd lets only that user in when not root).
async fn whoami() -> String {
    let output = Command::new("id")
        .arg("-un")
        .output()
        .await
        .expect("id -un");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// What whoever listens on 127.0.0.1:`port` says first (within 2 s; empty if nothing):
/// `None` when nothing listens.
async fn greeting(port: u16) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let mut first = vec![0; 8];
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut first)).await;
    first.truncate(read.ok().and_then(Result::ok).unwrap_or(0));
    Some(first)
}
