//! One connection through the egress: the remote reached at a checked address (over TLS for
//! https), libgit2's requests passed on, the remote's answers passed back — but no redirect.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader},
    net::TcpStream,
};
use tokio_native_tls::native_tls;
use url::Url;

use super::{
    Origin, Refusal,
    http1::{forward_answers, forward_requests, is_origin_request, read_head, respond},
};
use crate::net::url_policy::{self, ResolveError, redact};

/// A connection to the remote: plain TCP or TLS over it.
trait RemoteStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> RemoteStream for T {}

/// The process's TLS client configuration, built once: reading the system's CA bundle costs
/// tens of milliseconds of CPU.
fn tls_connector() -> Result<tokio_native_tls::TlsConnector, String> {
    static CONNECTOR: OnceLock<Result<native_tls::TlsConnector, String>> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| native_tls::TlsConnector::new().map_err(|e| e.to_string()))
        .clone()
        .map(tokio_native_tls::TlsConnector::from)
}

/// What every connection of one egress shares: the one remote it may reach, and where the
/// first refusal is kept.
#[derive(Clone)]
pub(super) struct Gate {
    pub(super) origin: Arc<Origin>,
    /// The remote's URL, to say where a redirect pointed.
    pub(super) remote: Url,
    pub(super) allow_local: bool,
    pub(super) connect_timeout: Duration,
    pub(super) refusal: Arc<Mutex<Option<Refusal>>>,
}

impl Gate {
    /// Keeps the first refusal: once libgit2 has the answer the transfer may end, and the
    /// reason be read, at any moment.
    fn keep(&self, refusal: Refusal) {
        if let Ok(mut kept) = self.refusal.lock() {
            kept.get_or_insert(refusal);
        }
    }

    /// One client connection: plain HTTP requests, passed on to the remote one after another.
    pub(super) async fn serve(self, client: TcpStream) {
        let _ = client.set_nodelay(true);
        let (client_read, mut client_write) = client.into_split();
        let mut client_read = BufReader::new(client_read);
        let Ok(Some(head)) = read_head(&mut client_read).await else {
            return;
        };
        if !is_origin_request(&head) {
            let _ = respond(
                &mut client_write,
                "403 Forbidden",
                "not this transfer's remote",
            )
            .await;
            return;
        }
        let server = match self.connect().await {
            Ok(server) => server,
            Err(refusal) => {
                let status = match refusal {
                    Refusal::Blocked(_) => "403 Forbidden",
                    _ => "502 Bad Gateway",
                };
                self.keep(refusal);
                let _ = respond(&mut client_write, status, "refused by mirrorforge").await;
                return;
            }
        };
        let (server_read, mut server_write) = tokio::io::split(server);
        let origin = Arc::clone(&self.origin);
        let requests = tokio::spawn(async move {
            let sent =
                forward_requests(&mut client_read, &mut server_write, head, &origin.authority)
                    .await;
            if let Err(e) = sent {
                tracing::debug!(error = %e, "mirror egress stopped passing requests on");
            }
            let _ = server_write.shutdown().await;
        });
        let mut server_read = BufReader::new(server_read);
        match forward_answers(&mut server_read, &mut client_write).await {
            Ok(Some(location)) => {
                let target = location.map_or_else(
                    || "another URL".to_owned(),
                    |l| redirect_target(&self.remote, &l),
                );
                tracing::warn!(remote = %redact(self.remote.as_str()), %target, "mirror remote redirected; not followed");
                self.keep(Refusal::Redirect(target));
                let _ = respond(
                    &mut client_write,
                    "502 Bad Gateway",
                    "refused by mirrorforge: the remote redirected",
                )
                .await;
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "mirror egress stopped passing answers back"),
        }
        let _ = client_write.shutdown().await;
        requests.abort();
    }

    /// Resolves, checks every address, connects to the first that answers, and for an
    /// `https://` remote completes the TLS handshake with its certificate checked.
    async fn connect(&self) -> Result<Box<dyn RemoteStream>, Refusal> {
        let Origin { host, port, .. } = self.origin.as_ref();
        let addrs = url_policy::resolve_allowed(host, *port, self.allow_local)
            .await
            .map_err(|e| match e {
                ResolveError::Blocked(message) => Refusal::Blocked(message),
                ResolveError::Unresolved(message) => Refusal::Unreachable(message),
            })?;
        let tcp = self.connect_any(&addrs).await?;
        if !self.origin.tls {
            return Ok(Box::new(tcp));
        }
        let connector = tls_connector().map_err(Refusal::Tls)?;
        match tokio::time::timeout(self.connect_timeout, connector.connect(host, tcp)).await {
            Ok(Ok(stream)) => Ok(Box::new(stream)),
            Ok(Err(e)) => Err(Refusal::Tls(e.to_string())),
            Err(_) => Err(Refusal::Unreachable(format!(
                "no TLS handshake with {host} within {} s",
                self.connect_timeout.as_secs()
            ))),
        }
    }

    async fn connect_any(&self, addrs: &[SocketAddr]) -> Result<TcpStream, Refusal> {
        let mut last = String::from("no address");
        for addr in addrs {
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = format!("no answer from {addr}"),
            }
        }
        Err(Refusal::Unreachable(last))
    }
}

/// The repository URL a redirect points to: `location` resolved against the remote, without
/// the `/info/refs?…` suffix and without credentials.
fn redirect_target(remote: &Url, location: &str) -> String {
    let resolved = remote
        .join(location)
        .map_or_else(|_| location.to_owned(), |u| u.to_string());
    let repository = resolved
        .split_once("/info/refs")
        .or_else(|| resolved.split_once("/git-upload-pack"))
        .or_else(|| resolved.split_once("/git-receive-pack"))
        .map_or(resolved.as_str(), |(repo, _)| repo);
    redact(repository)
}
