//! libgit2 keeps the git protocol; its HTTP is ours. A smart subtransport registered once for
//! the scheme `mf` carries each request of a transfer over that transfer's [`RemoteHttp`]
//! (checked addresses, TLS, keep-alive, no redirect, our timeouts). libgit2 is given the URL
//! `mf://tN/`, whose `N` finds the transfer's [`Transfer`] here. The ref advertisement our
//! code has already read is served to libgit2 from memory, not asked for again.

use std::{
    collections::HashMap,
    io::{self, Read, Write},
    sync::{
        Arc, LazyLock, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::{Method, Response, StatusCode, body::Incoming, header};
use tokio::sync::{mpsc, oneshot};

use super::{
    Limits,
    advertisement::{self, Advertisement},
    error::TransferError,
};
use crate::net::remote_http::{Refusal, RemoteHttp, RequestBody, asks_for_credentials};

/// The URL scheme libgit2 hands to this subtransport.
const SCHEME: &str = "mf";

/// A request body up to this size is sent whole, with its length; a larger one (a push's
/// pack) streams chunked while libgit2 writes it (git's own `http.postBuffer` default).
const POST_BUFFER: usize = 1024 * 1024;

/// Which of the two services a request serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GitService {
    /// Fetch.
    UploadPack,
    /// Push.
    ReceivePack,
}

impl GitService {
    fn name(self) -> &'static str {
        match self {
            Self::UploadPack => "git-upload-pack",
            Self::ReceivePack => "git-receive-pack",
        }
    }
}

/// One transfer as the subtransport sees it.
pub struct Transfer {
    http: Arc<RemoteHttp>,
    runtime: tokio::runtime::Handle,
    limits: Limits,
    /// Ref advertisements already read, served to libgit2 instead of a second request.
    advertisements: Mutex<HashMap<GitService, Bytes>>,
    /// What went wrong, in words, when our side of the HTTP failed a request of libgit2's.
    failure: Mutex<Option<TransferError>>,
}

impl Transfer {
    /// A transfer over `http`, its async work run on `runtime`, bounded by `limits`.
    #[must_use]
    pub fn new(http: Arc<RemoteHttp>, runtime: tokio::runtime::Handle, limits: Limits) -> Self {
        Self {
            http,
            runtime,
            limits,
            advertisements: Mutex::new(HashMap::new()),
            failure: Mutex::new(None),
        }
    }

    /// The remote's HTTP connection.
    #[must_use]
    pub fn http(&self) -> &RemoteHttp {
        &self.http
    }

    /// The deadline, limit and cancel switch of this transfer.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Time left before the deadline.
    pub(super) fn remaining(&self) -> Duration {
        self.limits
            .deadline
            .saturating_duration_since(Instant::now())
    }

    /// Runs `future` on the runtime from this (blocking) thread, within the deadline; a
    /// cancel ends the wait at once (dropping the future drops its connection).
    pub(super) fn block_on<T>(&self, future: impl Future<Output = T>) -> Result<T, TransferError> {
        let remaining = self.remaining();
        let cancel = &self.limits.cancel;
        self.runtime.block_on(async {
            tokio::select! {
                biased;
                () = cancel.cancelled() => Err(TransferError::Cancelled),
                done = tokio::time::timeout(remaining, future) => {
                    done.map_err(|_| TransferError::Timeout(self.limits.timeout_secs))
                }
            }
        })
    }

    /// The sentence for what went wrong with a request: what our side recorded, else
    /// the refusal, else `fallback`.
    #[must_use]
    pub fn explain(&self, fallback: TransferError) -> TransferError {
        if let Some(failure) = self.failure.lock().ok().and_then(|f| f.clone()) {
            return failure;
        }
        match self.http.refusal() {
            Some(refusal) => self.explain_refusal(refusal),
            None => fallback,
        }
    }

    pub(super) fn explain_refusal(&self, refusal: Refusal) -> TransferError {
        match refusal {
            Refusal::Blocked(message) => TransferError::Other(message),
            Refusal::Unreachable(detail) => TransferError::Connect {
                url: self.http.remote().to_string(),
                detail,
            },
            Refusal::Tls(detail) => TransferError::tls(&detail),
            Refusal::Redirect(target) => TransferError::Redirect(target),
            Refusal::Timeout => TransferError::Timeout(self.limits.timeout_secs),
        }
    }

    /// Keeps the first failure and turns it into an I/O error for libgit2.
    fn fail(&self, failure: TransferError) -> io::Error {
        let message = failure.to_string();
        if let Ok(mut kept) = self.failure.lock() {
            kept.get_or_insert(failure);
        }
        io::Error::other(message)
    }

    /// Reads the remote's ref advertisement for `service` (one request), keeps it for
    /// libgit2, and returns it parsed.
    ///
    /// # Errors
    /// The request failed or the answer is not a smart-HTTP advertisement.
    pub fn advertise(&self, service: GitService) -> Result<Advertisement, TransferError> {
        let query = format!("service={}", service.name());
        let body = self.block_on(async {
            let response = self
                .http
                .send(
                    Method::GET,
                    "info/refs",
                    Some(&query),
                    None,
                    Empty::new().map_err(|e| match e {}).boxed(),
                )
                .await
                .map_err(|refusal| self.explain_refusal(refusal))?;
            self.check(
                &response,
                &format!("application/x-{}-advertisement", service.name()),
            )?;
            self.read_whole(response).await
        })??;
        let parsed = advertisement::parse(&body, service.name()).map_err(|e| {
            tracing::debug!(error = %e, "not a ref advertisement");
            TransferError::NotSmartHttp
        })?;
        if let Ok(mut kept) = self.advertisements.lock() {
            kept.insert(service, body);
        }
        Ok(parsed)
    }

    /// The whole body of an answer (an advertisement, a push's report: small ones).
    pub(super) async fn read_whole(
        &self,
        response: Response<Incoming>,
    ) -> Result<Bytes, TransferError> {
        response
            .into_body()
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .map_err(|e| TransferError::Connect {
                url: self.http.remote().to_string(),
                detail: e.to_string(),
            })
    }

    /// Whether an answer is the smart-HTTP answer expected (`content_type`); else why not.
    pub(super) fn check(
        &self,
        response: &Response<Incoming>,
        content_type: &str,
    ) -> Result<(), TransferError> {
        let status = response.status();
        if status == StatusCode::OK {
            let given = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            return if given.starts_with(content_type) {
                Ok(())
            } else {
                Err(TransferError::NotSmartHttp)
            };
        }
        Err(if asks_for_credentials(status) {
            if self.http.has_credentials() {
                TransferError::Auth
            } else {
                TransferError::NoAccess
            }
        } else if status == StatusCode::NOT_FOUND {
            TransferError::NotFound(self.http.remote().to_string())
        } else if status.is_server_error() {
            TransferError::Server(format!("it answered {status}"))
        } else {
            TransferError::Other(format!("the remote answered {status}"))
        })
    }
}

/// Transfers libgit2 may be working on, by the number in their URL.
static TRANSFERS: LazyLock<Mutex<HashMap<u64, Arc<Transfer>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A transfer's place in [`TRANSFERS`], given up when dropped.
pub struct Registered {
    id: u64,
}

impl Registered {
    /// Makes `transfer` reachable for libgit2 under [`Registered::url`].
    ///
    /// # Errors
    /// The subtransport could not be registered with libgit2.
    pub fn new(transfer: Arc<Transfer>) -> Result<Self, TransferError> {
        register_once()?;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        TRANSFERS
            .lock()
            .map_err(|_| TransferError::Other("the transfer registry is poisoned".to_owned()))?
            .insert(id, transfer);
        Ok(Self { id })
    }

    /// The URL to give libgit2.
    #[must_use]
    pub fn url(&self) -> String {
        format!("{SCHEME}://t{}/", self.id)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut transfers) = TRANSFERS.lock() {
            transfers.remove(&self.id);
        }
    }
}

/// The transfer a URL of ours names.
fn lookup(url: &str) -> Option<Arc<Transfer>> {
    let id: u64 = url
        .strip_prefix(SCHEME)?
        .strip_prefix("://t")?
        .trim_end_matches('/')
        .parse()
        .ok()?;
    TRANSFERS.lock().ok()?.get(&id).cloned()
}

/// Registers the subtransport with libgit2, once per process.
fn register_once() -> Result<(), TransferError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // SAFETY: `register` must not race other transport registrations or lookups;
            // the OnceLock makes this the process's only registration, and it runs before
            // the first transfer that could look the scheme up.
            #[allow(unsafe_code)]
            unsafe {
                git2::transport::register(SCHEME, |remote| {
                    Transport::smart(remote, true, Subtransport)
                })
            }
            .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| TransferError::Other(format!("could not set up the transfer: {e}")))
}

/// What libgit2 asks for: one stream per request (the protocol is stateless over HTTP).
struct Subtransport;

impl SmartSubtransport for Subtransport {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let transfer = lookup(url).ok_or_else(|| {
            git2::Error::from_str("this transfer has ended (no such mirrorforge transfer)")
        })?;
        let (service, listing) = match action {
            Service::UploadPackLs => (GitService::UploadPack, true),
            Service::UploadPack => (GitService::UploadPack, false),
            Service::ReceivePackLs => (GitService::ReceivePack, true),
            Service::ReceivePack => (GitService::ReceivePack, false),
        };
        Ok(Box::new(Stream {
            transfer,
            service,
            listing,
            buffered: Vec::new(),
            upload: None,
            answer: Answer::NotAsked,
        }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// Where a stream's answer stands.
enum Answer {
    /// Not asked for yet.
    NotAsked,
    /// Asked for while the request body still streams.
    Pending(oneshot::Receiver<Result<Response<Incoming>, Refusal>>),
    /// Arriving: the body read so far, what is left of its last frame.
    Reading { body: Incoming, left: Bytes },
    /// All in memory (a kept advertisement), or what is left of it.
    Whole(Bytes),
}

/// One request of libgit2's and its answer.
struct Stream {
    transfer: Arc<Transfer>,
    service: GitService,
    /// `info/refs` (`true`) or the service's POST.
    listing: bool,
    /// The request body, while it is small.
    buffered: Vec<u8>,
    /// The request body's way out, once it streams.
    upload: Option<mpsc::Sender<Result<hyper::body::Frame<Bytes>, io::Error>>>,
    answer: Answer,
}

impl Stream {
    fn content_types(&self) -> (String, String) {
        let name = self.service.name();
        (
            format!("application/x-{name}-request"),
            format!("application/x-{name}-result"),
        )
    }

    /// Starts the POST with a streaming body and the buffered bytes as its first chunk.
    fn start_streaming(&mut self) -> io::Result<()> {
        let (sender, receiver) = mpsc::channel(8);
        let (request_type, _) = self.content_types();
        let (answer, answered) = oneshot::channel();
        let transfer = Arc::clone(&self.transfer);
        let path = self.service.name();
        let cancel = self.transfer.limits.cancel.clone();
        let remaining = self.transfer.remaining();
        self.transfer.runtime.spawn(async move {
            let body: RequestBody = StreamBody::new(tokio_stream_from(receiver)).boxed();
            let send = transfer
                .http
                .send(Method::POST, path, None, Some(&request_type), body);
            // Cancelled or out of time: the answer's sender goes, and the stream sees a loss.
            tokio::select! {
                () = cancel.cancelled() => {}
                response = tokio::time::timeout(remaining, send) => {
                    if let Ok(response) = response {
                        let _ = answer.send(response);
                    }
                }
            }
        });
        let first = Bytes::from(std::mem::take(&mut self.buffered));
        self.upload = Some(sender);
        self.answer = Answer::Pending(answered);
        self.send_chunk(first)
    }

    /// Hands one chunk of the request body to the request, waiting (within the deadline, until
    /// a cancel) while the remote is slow to take it.
    fn send_chunk(&mut self, chunk: Bytes) -> io::Result<()> {
        let Some(upload) = &self.upload else {
            return Ok(());
        };
        let transfer = Arc::clone(&self.transfer);
        match transfer.block_on(upload.send(Ok(hyper::body::Frame::data(chunk)))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(transfer.fail(self.lost())),
            Err(e) => Err(transfer.fail(e)),
        }
    }

    fn lost(&self) -> TransferError {
        self.transfer.explain(TransferError::Connect {
            url: self.transfer.http.remote().to_string(),
            detail: "the connection to the remote broke".to_owned(),
        })
    }

    /// Sends the request (or ends its streaming body) and reads the answer's head.
    fn ask(&mut self) -> io::Result<()> {
        let transfer = Arc::clone(&self.transfer);
        if self.listing {
            if let Some(kept) = transfer
                .advertisements
                .lock()
                .ok()
                .and_then(|mut kept| kept.remove(&self.service))
            {
                self.answer = Answer::Whole(kept);
                return Ok(());
            }
            transfer
                .advertise(self.service)
                .map_err(|e| transfer.fail(e))?;
            let kept = transfer
                .advertisements
                .lock()
                .ok()
                .and_then(|mut kept| kept.remove(&self.service))
                .unwrap_or_default();
            self.answer = Answer::Whole(kept);
            return Ok(());
        }
        let (request_type, result_type) = self.content_types();
        let response = match std::mem::replace(&mut self.answer, Answer::NotAsked) {
            Answer::Pending(answered) => {
                drop(self.upload.take()); // the end of the body
                transfer
                    .block_on(answered)
                    .map_err(|e| transfer.fail(e))?
                    .map_err(|_| transfer.fail(self.lost()))?
            }
            _ => {
                let body = Full::new(Bytes::from(std::mem::take(&mut self.buffered)))
                    .map_err(|e| match e {})
                    .boxed();
                transfer
                    .block_on(transfer.http.send(
                        Method::POST,
                        self.service.name(),
                        None,
                        Some(&request_type),
                        body,
                    ))
                    .map_err(|e| transfer.fail(e))?
            }
        }
        .map_err(|refusal| transfer.fail(transfer.explain_refusal(refusal)))?;
        transfer
            .check(&response, &result_type)
            .map_err(|e| transfer.fail(e))?;
        self.answer = Answer::Reading {
            body: response.into_body(),
            left: Bytes::new(),
        };
        Ok(())
    }
}

impl Write for Stream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.upload.is_some() {
            self.send_chunk(Bytes::copy_from_slice(data))?;
            return Ok(data.len());
        }
        self.buffered.extend_from_slice(data);
        if self.buffered.len() > POST_BUFFER && !self.listing {
            self.start_streaming()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Stream {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if matches!(self.answer, Answer::NotAsked | Answer::Pending(_)) {
            self.ask()?;
        }
        loop {
            match &mut self.answer {
                Answer::Whole(data) | Answer::Reading { left: data, .. } if !data.is_empty() => {
                    let n = out.len().min(data.len());
                    out[..n].copy_from_slice(&data.split_to(n));
                    return Ok(n);
                }
                Answer::Reading { body, left } => {
                    let transfer = Arc::clone(&self.transfer);
                    let next = transfer
                        .block_on(body.frame())
                        .map_err(|e| transfer.fail(e))?;
                    match next {
                        None => return Ok(0),
                        Some(Ok(frame)) => {
                            if let Ok(data) = frame.into_data() {
                                *left = data;
                            }
                        }
                        Some(Err(e)) => {
                            return Err(transfer.fail(TransferError::Connect {
                                url: transfer.http.remote().to_string(),
                                detail: e.to_string(),
                            }));
                        }
                    }
                }
                _ => return Ok(0),
            }
        }
    }
}

/// A stream of body frames from a channel (without a dependency for one adapter).
fn tokio_stream_from(
    mut receiver: mpsc::Receiver<Result<hyper::body::Frame<Bytes>, io::Error>>,
) -> impl futures_util::Stream<Item = Result<hyper::body::Frame<Bytes>, io::Error>> + Send {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}
