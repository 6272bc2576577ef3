//! The smart HTTP protocol, served by the stock `git upload-pack` / `git receive-pack`
//! in `--stateless-rpc` mode, with request and response bodies streamed (never held whole),
//! a bounded number of `git` processes at once, each stopped when its request goes quiet.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use async_compression::tokio::bufread::GzipDecoder;
use axum::body::Body;
use futures_util::{StreamExt as _, TryStreamExt};
use tokio::{
    io::AsyncWriteExt,
    process::Command,
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tokio_util::io::{ReaderStream, StreamReader};

/// The two services of the smart protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Fetch and clone.
    UploadPack,
    /// Push.
    ReceivePack,
}

impl Service {
    /// Parses `git-upload-pack` / `git-receive-pack`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "git-upload-pack" => Some(Self::UploadPack),
            "git-receive-pack" => Some(Self::ReceivePack),
            _ => None,
        }
    }

    /// `git-upload-pack` / `git-receive-pack`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::UploadPack => "git-upload-pack",
            Self::ReceivePack => "git-receive-pack",
        }
    }

    fn subcommand(self) -> &'static str {
        match self {
            Self::UploadPack => "upload-pack",
            Self::ReceivePack => "receive-pack",
        }
    }

    /// Content type of the `info/refs` answer.
    #[must_use]
    pub fn advertisement_type(self) -> String {
        format!("application/x-{}-advertisement", self.name())
    }

    /// Content type of the RPC answer.
    #[must_use]
    pub fn result_type(self) -> String {
        format!("application/x-{}-result", self.name())
    }
}

/// Encodes one pkt-line.
#[must_use]
pub fn pkt_line(data: &str) -> String {
    format!("{:04x}{data}", data.len() + 4)
}

/// The `# service=…` pkt-line and flush that open a v0/v1 `info/refs` answer.
#[must_use]
pub fn service_announcement(service: Service) -> String {
    format!(
        "{}0000",
        pkt_line(&format!("# service={}\n", service.name()))
    )
}

/// Only `version=N` items pass from the client's `Git-Protocol` header to git.
fn sanitize_protocol(header: Option<&str>) -> Option<String> {
    let value = header?;
    let ok = value.split(':').all(|item| {
        item.starts_with("version=")
            && item.len() <= 12
            && item[8..].chars().all(|c| c.is_ascii_digit())
    });
    ok.then(|| value.to_owned())
}

/// `git upload-pack` or `git receive-pack` for a client: our own refs (kept refs, under
/// `refs/mirrorforge`) are hidden from it, neither advertised nor writable, in every repository.
fn git_command(service: Service, protocol: Option<&str>) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-c")
        .arg(format!("transfer.hideRefs={}", crate::git::kept::HIDDEN))
        .arg(service.subcommand())
        .arg("--stateless-rpc")
        .env_remove("GIT_PROTOCOL")
        .env("GIT_TERMINAL_PROMPT", "0");
    if let Some(protocol) = sanitize_protocol(protocol) {
        cmd.env("GIT_PROTOCOL", protocol);
    }
    cmd
}

/// How much of git's output one chunk of the answer carries at most.
const ANSWER_CHUNK: usize = 64 * 1024;

/// What to do once a push (`git receive-pack`) ended well.
pub type AfterPush = Box<dyn FnOnce() + Send>;

/// Why a request could not be served by git.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Every `git` process place is taken, and none came free in time.
    #[error("too many git requests at once")]
    Busy,
    /// git could not be run, or failed.
    #[error("{0}")]
    Git(String),
}

/// The `git` processes serving clients: at most so many at once (a request waits a little
/// for a place, then is turned away), each stopped when its request goes quiet.
#[derive(Debug)]
pub struct GitProcesses {
    places: Arc<Semaphore>,
    queue_wait: Duration,
    idle_timeout: Duration,
}

impl GitProcesses {
    /// Room for `max` processes; a request waits up to `queue_wait` for one, and a process is
    /// stopped after `idle_timeout` without a byte moving either way.
    #[must_use]
    pub fn new(max: usize, queue_wait: Duration, idle_timeout: Duration) -> Self {
        Self {
            places: Arc::new(Semaphore::new(max.max(1))),
            queue_wait,
            idle_timeout,
        }
    }

    async fn place(&self) -> Result<OwnedSemaphorePermit, ServeError> {
        match tokio::time::timeout(self.queue_wait, Arc::clone(&self.places).acquire_owned()).await
        {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ServeError::Busy),
        }
    }

    /// The `info/refs?service=…` answer: the ref advertisement (v0/v1) or capabilities (v2).
    ///
    /// # Errors
    /// No place for git in time, or git could not be run or failed.
    pub async fn advertise(
        &self,
        service: Service,
        repo: &Path,
        protocol: Option<&str>,
    ) -> Result<Vec<u8>, ServeError> {
        let _place = self.place().await?;
        let v2 = sanitize_protocol(protocol).is_some_and(|p| p.contains("version=2"));
        let output = git_command(service, protocol)
            .arg("--advertise-refs")
            .arg(repo)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(self.idle_timeout, output)
            .await
            .map_err(|_| ServeError::Git("git --advertise-refs did not finish".to_owned()))?
            .map_err(|e| ServeError::Git(e.to_string()))?;
        if !output.status.success() {
            return Err(ServeError::Git(format!(
                "git {} --advertise-refs failed: {}",
                service.subcommand(),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        let mut body = Vec::with_capacity(output.stdout.len() + 64);
        if !(v2 && service == Service::UploadPack) {
            body.extend_from_slice(service_announcement(service).as_bytes());
        }
        body.extend_from_slice(&output.stdout);
        Ok(body)
    }

    /// Runs one RPC: the request body (gunzipped if `gzip`) streams into git's stdin and git's
    /// stdout streams back as the response body. git is stopped when nothing moves either
    /// way for the idle timeout (a client that stops sending or reading).
    ///
    /// # Errors
    /// No place for git in time, or git could not be started.
    pub async fn rpc(
        &self,
        service: Service,
        repo: &Path,
        protocol: Option<&str>,
        gzip: bool,
        request: Body,
        after_push: Option<AfterPush>,
    ) -> Result<Body, ServeError> {
        let place = self.place().await?;
        let mut child = git_command(service, protocol)
            .arg(repo)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ServeError::Git(e.to_string()))?;
        let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ServeError::Git("git started without pipes".to_owned()));
        };
        let activity = Activity::new();
        let stream = request
            .into_data_stream()
            .map_ok({
                let activity = Arc::clone(&activity);
                move |chunk| {
                    activity.touch();
                    chunk
                }
            })
            .map_err(std::io::Error::other);
        let reader = StreamReader::new(stream);
        let name = service.name();
        let repo_path = repo.to_path_buf();
        let idle_timeout = self.idle_timeout;
        let watched = Arc::clone(&activity);
        tokio::spawn(async move {
            let _place = place;
            let work = async {
                let copied = if gzip {
                    let mut decoder = GzipDecoder::new(reader);
                    tokio::io::copy(&mut decoder, &mut stdin).await
                } else {
                    let mut reader = reader;
                    tokio::io::copy(&mut reader, &mut stdin).await
                };
                if let Err(e) = copied {
                    tracing::debug!(service = name, error = %e, "request body ended early");
                }
                let _ = stdin.shutdown().await;
                drop(stdin);
                let mut errors = Vec::new();
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut errors).await;
                (child.wait().await, errors)
            };
            let ended = tokio::select! {
                ended = work => Some(ended),
                () = watched.quiet_for(idle_timeout) => None,
            };
            match ended {
                None => {
                    tracing::warn!(
                        service = name,
                        idle_secs = idle_timeout.as_secs(),
                        "git request went quiet; stopping git"
                    );
                    let _ = child.kill().await;
                }
                Some((Ok(status), _)) if status.success() => {
                    if service == Service::ReceivePack {
                        adopt_a_pushed_branch(repo_path).await;
                        if let Some(after_push) = after_push {
                            after_push();
                        }
                    }
                }
                Some((Ok(status), errors)) => tracing::warn!(
                    service = name,
                    %status,
                    stderr = %String::from_utf8_lossy(&errors).trim(),
                    "git exited with an error"
                ),
                Some((Err(e), _)) => {
                    tracing::warn!(service = name, error = %e, "could not wait for git");
                }
            }
        });
        Ok(Body::from_stream(
            ReaderStream::with_capacity(stdout, ANSWER_CHUNK).map_ok(move |chunk| {
                activity.touch();
                chunk
            }),
        ))
    }
}

impl GitProcesses {
    /// The blob `oid` of `repo`, streamed from `git cat-file` (for files too large to answer
    /// from memory): its first bytes (up to `head_len`, to tell text from binary) and the
    /// whole blob as a body. git holds one of the places while the body streams, and is
    /// stopped when the reader stops reading for the idle timeout.
    ///
    /// # Errors
    /// No place for git in time, or git could not be started or said nothing.
    pub async fn cat_blob(
        &self,
        repo: &Path,
        oid: &str,
        head_len: usize,
    ) -> Result<(Vec<u8>, Body), ServeError> {
        use tokio::io::AsyncReadExt;
        let place = self.place().await?;
        let mut child = Command::new("git")
            .arg("--git-dir")
            .arg(repo)
            .args(["cat-file", "blob", oid])
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ServeError::Git(e.to_string()))?;
        let Some(mut stdout) = child.stdout.take() else {
            return Err(ServeError::Git("git started without a pipe".to_owned()));
        };
        let mut head = vec![0; head_len];
        let mut filled = 0;
        while filled < head_len {
            let read = tokio::time::timeout(self.idle_timeout, stdout.read(&mut head[filled..]))
                .await
                .map_err(|_| ServeError::Git("git cat-file said nothing".to_owned()))?
                .map_err(|e| ServeError::Git(e.to_string()))?;
            if read == 0 {
                break;
            }
            filled += read;
        }
        head.truncate(filled);
        let idle = self.idle_timeout;
        let first = bytes::Bytes::copy_from_slice(&head);
        let rest = futures_util::stream::unfold(
            (
                ReaderStream::with_capacity(stdout, ANSWER_CHUNK),
                child,
                place,
            ),
            move |(mut reader, child, place)| async move {
                match tokio::time::timeout(idle, reader.next()).await {
                    Ok(Some(chunk)) => Some((chunk, (reader, child, place))),
                    Ok(None) => None,
                    Err(_) => Some((
                        Err(std::io::Error::other("the reader stopped reading")),
                        (reader, child, place),
                    )),
                }
            },
        );
        let whole =
            futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(rest);
        Ok((head, Body::from_stream(whole)))
    }
}

/// After a push: HEAD follows a pushed branch when the one it names does not exist, and the
/// repository is packed for quick clones.
async fn adopt_a_pushed_branch(repo: PathBuf) {
    super::maintenance::after_update(&repo);
    let adopted =
        tokio::task::spawn_blocking(move || super::storage::adopt_a_pushed_branch(&repo)).await;
    match adopted {
        Ok(Ok(Some(branch))) => tracing::info!(%branch, "HEAD now names the branch pushed"),
        Ok(Ok(None)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not point HEAD at a pushed branch"),
        Err(e) => tracing::warn!(error = %e, "could not point HEAD at a pushed branch"),
    }
}

/// When bytes last moved for one request.
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last: AtomicU64,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            last: AtomicU64::new(0),
        })
    }

    fn elapsed_millis(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) {
        self.last.store(self.elapsed_millis(), Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `limit`.
    async fn quiet_for(&self, limit: Duration) {
        let limit_millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        let every = (limit / 4).max(Duration::from_millis(50));
        loop {
            tokio::time::sleep(every).await;
            let quiet = self
                .elapsed_millis()
                .saturating_sub(self.last.load(Ordering::Relaxed));
            if quiet >= limit_millis {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkt_lines_and_protocol_filter() {
        assert_eq!(
            pkt_line("# service=git-upload-pack\n"),
            "001e# service=git-upload-pack\n"
        );
        assert_eq!(
            sanitize_protocol(Some("version=2")),
            Some("version=2".into())
        );
        assert_eq!(sanitize_protocol(Some("version=2; rm -rf")), None);
        assert_eq!(sanitize_protocol(None), None);
    }
}
