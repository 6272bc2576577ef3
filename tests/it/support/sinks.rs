//! Receivers of what the server sends out on its own: an HTTP listener that keeps every
//! request (or holds them unanswered), and the stock `aiosmtpd` SMTP server writing a maildir.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    http::{HeaderMap, StatusCode},
};
use tokio::process::{Child, Command};

/// One request the listener received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An HTTP listener on 127.0.0.1 keeping every request it gets.
pub struct HookListener {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl HookListener {
    /// Answers every request 200 at once.
    pub async fn start() -> Self {
        Self::serve(None).await
    }

    /// Keeps every request and answers none for a minute.
    pub async fn hanging() -> Self {
        Self::serve(Some(Duration::from_secs(60))).await
    }

    async fn serve(hold: Option<Duration>) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&received);
        let app = Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let kept = Arc::clone(&kept);
            async move {
                kept.lock().unwrap().push(Received { headers, body });
                if let Some(hold) = hold {
                    tokio::time::sleep(hold).await;
                }
                StatusCode::OK
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/hooks/secret-path-token"),
            received,
        }
    }

    /// What came so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (10 s at most) until `n` requests came; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} notification(s) came, {n} expected",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Debian's `aiosmtpd` on 127.0.0.1, keeping each message as a file in a maildir.
pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile::TempDir,
    _child: Child,
}

impl SmtpSink {
    /// Starts the sink and waits until it accepts connections.
    pub async fn start() -> Self {
        let maildir = tempfile::tempdir().unwrap();
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("box"))
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd (Debian python3-aiosmtpd, installed by `make deps`)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            port,
            maildir,
            _child: child,
        }
    }

    /// Waits (15 s at most) until `n` messages arrived; returns them as text.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let new = self.maildir.path().join("box").join("new");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut messages: Vec<PathBuf> = std::fs::read_dir(&new)
                .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            if messages.len() >= n {
                messages.sort();
                return messages
                    .iter()
                    .map(|p| std::fs::read_to_string(p).unwrap())
                    .collect();
            }
            assert!(
                Instant::now() < deadline,
                "{} email(s) came, {n} expected",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
