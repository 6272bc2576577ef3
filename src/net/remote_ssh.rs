//! The SSH connection of one transfer: the host resolved and every address checked by the
//! address policy, the TCP connection opened by us to a checked address (libssh2 only gets
//! the socket), the host key judged against the repository's pins before anything else is
//! sent, the repository's key handed over from memory, and one command run:
//! `git-upload-pack`, `git-receive-pack` or `git-lfs-authenticate` with the path quoted. Blocking (libssh2): call it
//! from the blocking pool; a cancel or the deadline shuts the socket, which ends any wait.

use std::{
    io::{self, Read, Write},
    net::{Shutdown, SocketAddr, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU8, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use ssh2::{ErrorCode, MethodType, Session};
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

use super::{
    ssh_host_key::{HostKey, Verdict, host_label, pinned_types, verdict},
    ssh_url::SshUrl,
    url_policy::{ResolveError, resolve_allowed},
};

/// Host key algorithms libssh2 is asked for, in this order, after the pinned ones.
const HOST_KEY_ALGORITHMS: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
];

/// Why an SSH connection did not get as far as running the command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshFailure {
    /// The address policy refused the host's address.
    #[error("{0}")]
    Blocked(String),
    /// The host did not resolve, or no address took the connection.
    #[error("{0}")]
    Unreachable(String),
    /// The host presented a key other than the pinned one.
    #[error(
        "the remote's SSH host key changed: {host} now presents {key_type} {fingerprint}; nothing was sent. If the change is expected, replace the pin with “Check or pin a host key” in the mirror settings"
    )]
    HostKeyChanged {
        /// The host as pinned.
        host: String,
        /// The presented key's type.
        key_type: String,
        /// The presented key's fingerprint.
        fingerprint: String,
    },
    /// The repository has no SSH key.
    #[error(
        "this repository has no SSH key: make one in the mirror settings (SSH key) and add its public key to the remote as a deploy key"
    )]
    NoKey,
    /// The server refused the key.
    #[error(
        "permission denied (publickey): add the repository's SSH public key to the remote as a deploy key (with write access for a push mirror)"
    )]
    KeyDenied,
    /// The SSH conversation failed.
    #[error("the SSH connection failed: {0}")]
    Protocol(String),
    /// The deadline passed.
    #[error("timed out")]
    Timeout,
    /// The host took the connection but the handshake and sign-in did not finish in time.
    #[error("the connection opened but the SSH handshake and sign-in did not finish within {0} s")]
    Silent(u64),
    /// Someone cancelled the transfer.
    #[error("cancelled")]
    Cancelled,
}

/// The way to one SSH remote for one transfer.
pub struct RemoteSsh {
    url: SshUrl,
    allow_local: bool,
    /// The repository's private key (OpenSSH form), if it has one.
    key: Option<Zeroizing<String>>,
    /// The repository's pinned host keys.
    pinned: Vec<HostKey>,
    /// A key seen for a host without pins: to pin once the transfer is over.
    first_seen: Mutex<Option<HostKey>>,
    /// Commands run so far.
    commands: AtomicUsize,
    /// How long the host may take to open the connection, and then to get as far as running
    /// the command.
    silence: Duration,
    runtime: Handle,
}

impl std::fmt::Debug for RemoteSsh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSsh")
            .field("url", &self.url.as_str())
            .field("key", &self.key.as_ref().map(|_| "(set)"))
            .finish_non_exhaustive()
    }
}

impl RemoteSsh {
    /// The way to `url` with the repository's `key`, judged against its `pinned` host keys,
    /// the host given `silence` to open the connection and then to run the command; the name
    /// is resolved on `runtime`.
    #[must_use]
    pub fn new(
        url: SshUrl,
        allow_local: bool,
        key: Option<Zeroizing<String>>,
        pinned: Vec<HostKey>,
        silence: Duration,
        runtime: Handle,
    ) -> Self {
        Self {
            url,
            allow_local,
            key,
            pinned,
            first_seen: Mutex::new(None),
            commands: AtomicUsize::new(0),
            silence,
            runtime,
        }
    }

    /// The remote's address.
    #[must_use]
    pub fn url(&self) -> &SshUrl {
        &self.url
    }

    /// Commands run so far (one per connection).
    #[must_use]
    pub fn commands(&self) -> usize {
        self.commands.load(Ordering::Relaxed)
    }

    /// The host key to pin: one seen on a host that had none.
    #[must_use]
    pub fn first_seen(&self) -> Option<HostKey> {
        self.first_seen.lock().ok().and_then(|seen| seen.clone())
    }

    /// Connects, checks the host key, signs in and runs `program` on the repository; the
    /// connection ends at `deadline` or on `cancel`, whichever comes first, and fails when
    /// the command is not running within the silence limit of connecting.
    ///
    /// # Errors
    /// An [`SshFailure`] saying how far it got.
    pub fn run(
        &self,
        program: &str,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<SshChannel, SshFailure> {
        self.exec(program, &self.url.command(program), deadline, cancel)
    }

    /// As [`RemoteSsh::run`], with one more word after the quoted path: `operation`, which
    /// our code chooses (`git-lfs-authenticate '<path>' download`).
    ///
    /// # Errors
    /// An [`SshFailure`] saying how far it got.
    pub fn run_with(
        &self,
        program: &str,
        operation: &'static str,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<SshChannel, SshFailure> {
        let command = format!("{} {operation}", self.url.command(program));
        self.exec(program, &command, deadline, cancel)
    }

    /// Connects and exchanges keys only (no sign-in, no command): the host key the remote
    /// presents, of the type its pins (or the forge's published keys) ask for first. Within the
    /// same address policy, deadline and silence limit as a transfer.
    ///
    /// # Errors
    /// An [`SshFailure`] saying how far it got.
    pub fn host_key(
        &self,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<HostKey, SshFailure> {
        let (_session, _watch, presented) = self.handshake(deadline, cancel)?;
        Ok(presented)
    }

    /// Connects and exchanges keys: the session, its watch, and the host key presented.
    fn handshake(
        &self,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<(Session, Watch, HostKey), SshFailure> {
        let tcp = self.connect(deadline, cancel)?;
        let watch = Watch::start(&tcp, deadline, self.silence, cancel, &self.runtime)?;
        let failed = |detail: String| watch.reason().unwrap_or(SshFailure::Protocol(detail));
        let mut session = Session::new().map_err(|e| failed(e.to_string()))?;
        session.set_tcp_stream(tcp);
        let label = host_label(self.url.host(), self.url.port());
        session
            .method_pref(MethodType::HostKey, &self.host_key_preference(&label))
            .map_err(|e| failed(e.to_string()))?;
        session
            .handshake()
            .map_err(|e| failed(format!("handshake with {label}: {}", e.message())))?;
        let (blob, _) = session
            .host_key()
            .ok_or_else(|| failed("the server sent no host key".to_owned()))?;
        let presented = HostKey::of_blob(label, blob);
        Ok((session, watch, presented))
    }

    /// Connects, checks the host key, signs in and runs `command` (of `program`).
    fn exec(
        &self,
        program: &str,
        command: &str,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<SshChannel, SshFailure> {
        let (session, watch, presented) = self.handshake(deadline, cancel)?;
        let failed = |detail: String| watch.reason().unwrap_or(SshFailure::Protocol(detail));
        match verdict(&presented, &self.pinned) {
            Verdict::Known => {}
            Verdict::FirstUse | Verdict::Published => {
                if let Ok(mut seen) = self.first_seen.lock() {
                    *seen = Some(presented);
                }
            }
            Verdict::Changed => {
                return Err(SshFailure::HostKeyChanged {
                    host: presented.host,
                    key_type: presented.key_type,
                    fingerprint: presented.fingerprint_sha256,
                });
            }
        }
        let key = self.key.as_ref().ok_or(SshFailure::NoKey)?;
        if let Err(e) = session.userauth_pubkey_memory(self.url.user(), None, key, None) {
            return Err(match e.code() {
                // Refused by the server (publickey not accepted), or not verified.
                ErrorCode::Session(-18 | -19) => SshFailure::KeyDenied,
                _ => failed(format!("signing in: {}", e.message())),
            });
        }
        if !session.authenticated() {
            return Err(SshFailure::KeyDenied);
        }
        let mut channel = session
            .channel_session()
            .map_err(|e| failed(format!("opening a channel: {}", e.message())))?;
        channel
            .exec(command)
            .map_err(|e| failed(format!("running {program}: {}", e.message())))?;
        watch.set_up();
        self.commands.fetch_add(1, Ordering::Relaxed);
        Ok(SshChannel {
            channel,
            _session: session,
            watch,
        })
    }

    /// The host key algorithms to ask for: those of the keys pinned (or published) for
    /// `label` first, so the server shows a key that can be checked.
    fn host_key_preference(&self, label: &str) -> String {
        let mut wanted: Vec<&str> = Vec::new();
        for key_type in pinned_types(label, &self.pinned) {
            // An RSA key ("ssh-rsa") is shown under any of the RSA signature algorithms.
            if key_type == "ssh-rsa" {
                wanted.extend(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
            } else {
                wanted.push(key_type);
            }
        }
        for algorithm in HOST_KEY_ALGORITHMS {
            if !wanted.contains(algorithm) {
                wanted.push(algorithm);
            }
        }
        wanted.join(",")
    }

    /// A TCP connection to one of the host's checked addresses, in the order they resolved.
    fn connect(
        &self,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<TcpStream, SshFailure> {
        let (host, port) = (self.url.host(), self.url.port());
        let resolve = resolve_allowed(host, port, self.allow_local);
        let addrs: Vec<SocketAddr> = self.runtime.block_on(async {
            let remaining = deadline.saturating_duration_since(Instant::now());
            tokio::select! {
                biased;
                () = cancel.cancelled() => Err(SshFailure::Cancelled),
                done = tokio::time::timeout(remaining, resolve) => match done {
                    Err(_) => Err(SshFailure::Timeout),
                    Ok(Err(ResolveError::Blocked(message))) => Err(SshFailure::Blocked(message)),
                    Ok(Err(ResolveError::Unresolved(message))) => {
                        Err(SshFailure::Unreachable(message))
                    }
                    Ok(Ok(addrs)) => Ok(addrs),
                },
            }
        })?;
        let mut last = String::from("no address");
        for addr in addrs {
            if cancel.is_cancelled() {
                return Err(SshFailure::Cancelled);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(SshFailure::Timeout);
            }
            match TcpStream::connect_timeout(&addr, remaining.min(self.silence)) {
                Ok(tcp) => {
                    let _ = tcp.set_nodelay(true);
                    return Ok(tcp);
                }
                Err(e) => last = crate::net::error::connect_failure(&addr.to_string(), &e),
            }
        }
        Err(SshFailure::Unreachable(format!(
            "could not connect to {host} port {port}: {last}"
        )))
    }
}

/// What ended a connection early.
const ENDED_BY_CANCEL: u8 = 1;
const ENDED_BY_DEADLINE: u8 = 2;
const ENDED_BY_SILENCE: u8 = 3;

/// Shuts the socket when the transfer is cancelled or out of time, or when the command is not
/// running by the set-up limit, so a blocked libssh2 call returns; stops watching when dropped.
struct Watch {
    ended: Arc<AtomicU8>,
    /// Cancelled once the command runs: the set-up limit no longer applies.
    set_up: CancellationToken,
    /// The set-up limit in whole seconds, for the message.
    silence_secs: u64,
    task: tokio::task::JoinHandle<()>,
}

impl Watch {
    fn start(
        tcp: &TcpStream,
        deadline: Instant,
        silence: Duration,
        cancel: &CancellationToken,
        runtime: &Handle,
    ) -> Result<Self, SshFailure> {
        let socket = tcp
            .try_clone()
            .map_err(|e| SshFailure::Protocol(e.to_string()))?;
        let ended = Arc::new(AtomicU8::new(0));
        let set_up = CancellationToken::new();
        let (cancel, flag, running) = (cancel.clone(), Arc::clone(&ended), set_up.clone());
        let set_up_by = tokio::time::Instant::now() + silence;
        let task = runtime.spawn(async move {
            let silent = async {
                tokio::select! {
                    () = running.cancelled() => std::future::pending::<()>().await,
                    () = tokio::time::sleep_until(set_up_by) => {}
                }
            };
            let why = tokio::select! {
                biased;
                () = cancel.cancelled() => ENDED_BY_CANCEL,
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => ENDED_BY_DEADLINE,
                () = silent => ENDED_BY_SILENCE,
            };
            flag.store(why, Ordering::SeqCst);
            let _ = socket.shutdown(Shutdown::Both);
        });
        Ok(Self {
            ended,
            set_up,
            silence_secs: silence.as_secs(),
            task,
        })
    }

    /// The command runs: from now only the deadline and a cancel end the connection.
    fn set_up(&self) {
        self.set_up.cancel();
    }

    /// Why the socket was shut, if it was.
    fn reason(&self) -> Option<SshFailure> {
        match self.ended.load(Ordering::SeqCst) {
            ENDED_BY_CANCEL => Some(SshFailure::Cancelled),
            ENDED_BY_DEADLINE => Some(SshFailure::Timeout),
            ENDED_BY_SILENCE => Some(SshFailure::Silent(self.silence_secs)),
            _ => None,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The running command: its standard output to read, its standard input to write.
pub struct SshChannel {
    channel: ssh2::Channel,
    _session: Session,
    watch: Watch,
}

impl SshChannel {
    /// Why the connection was cut, when the deadline or a cancel cut it.
    #[must_use]
    pub fn cut_short(&self) -> Option<SshFailure> {
        self.watch.reason()
    }

    /// What the command wrote to its standard error (up to 4 KiB), once its output ended.
    #[must_use]
    pub fn stderr_text(&mut self) -> String {
        let mut text = Vec::new();
        let _ = self.channel.stderr().take(4096).read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Ends our side: no more input for the command.
    pub fn finish(&mut self) {
        let _ = self.channel.send_eof();
    }

    /// Waits for the command to end; its exit status (`None` when the connection ended first).
    pub fn exit_status(&mut self) -> Option<i32> {
        self.channel.wait_close().ok()?;
        self.channel.exit_status().ok()
    }
}

impl Read for SshChannel {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.channel.read(out)
    }
}

impl Write for SshChannel {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.channel.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.channel.flush()
    }
}
