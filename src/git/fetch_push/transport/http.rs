//! Transfers over smart HTTP: each request of libgit2's sent over the transfer's
//! [`RemoteHttp`], the ref advertisement read by our code first and served from memory.

use std::{
    io::{self, Read, Write},
    sync::Arc,
};

use bytes::Bytes;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream};
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::{Method, Response, StatusCode, body::Incoming, header};
use tokio::sync::{mpsc, oneshot};

use super::{GitService, HTTP_SCHEME, Transfer, ended, lookup};
use crate::{
    git::fetch_push::{
        advertisement::{self, Advertisement},
        error::TransferError,
    },
    net::remote_http::{ConnectRefusal, RemoteHttp, RequestBody, asks_for_credentials},
};

/// A request body up to this size is sent whole, with its length; a larger one (a push's
/// pack) streams chunked while libgit2 writes it (git's own `http.postBuffer` default).
const POST_BUFFER: usize = 1024 * 1024;

impl Transfer {
    /// The sentence for a refusal of our HTTP side.
    pub(in crate::git::fetch_push) fn explain_refusal(
        &self,
        refusal: ConnectRefusal,
    ) -> TransferError {
        match refusal {
            ConnectRefusal::Blocked(message) => TransferError::Other(message),
            ConnectRefusal::Unreachable(detail) => TransferError::Connect {
                url: self.remote_shown(),
                detail,
            },
            ConnectRefusal::Tls(detail) => TransferError::tls(&detail),
            ConnectRefusal::Redirect(target) => TransferError::Redirect(target),
            ConnectRefusal::Timeout => TransferError::Timeout(self.limits.timeout_secs),
        }
    }

    /// Reads the remote's ref advertisement for `service` (one request), keeps it for
    /// libgit2, and returns it parsed.
    pub(super) fn advertise_http(
        &self,
        http: &RemoteHttp,
        service: GitService,
    ) -> Result<Advertisement, TransferError> {
        let query = format!("service={}", service.name());
        let body = self.block_on(async {
            let response = http
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
    pub(in crate::git::fetch_push) async fn read_whole(
        &self,
        response: Response<Incoming>,
    ) -> Result<Bytes, TransferError> {
        response
            .into_body()
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .map_err(|e| TransferError::Connect {
                url: self.remote_shown(),
                detail: e.to_string(),
            })
    }

    /// Whether an answer is the smart-HTTP answer expected (`content_type`); else why not.
    pub(in crate::git::fetch_push) fn check(
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
            if self.has_credentials() {
                TransferError::Auth
            } else {
                TransferError::NoAccess
            }
        } else if status == StatusCode::NOT_FOUND {
            TransferError::NotFound(self.remote_shown())
        } else if status.is_server_error() {
            TransferError::Server(format!("it answered {status}"))
        } else {
            TransferError::Other(format!("the remote answered {status}"))
        })
    }
}

/// What libgit2 asks for: one stream per request (the protocol is stateless over HTTP).
pub(super) struct Subtransport;

impl SmartSubtransport for Subtransport {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let transfer = lookup(url, HTTP_SCHEME).ok_or_else(ended)?;
        let super::Wire::Http(http) = &transfer.wire else {
            return Err(ended());
        };
        let http = Arc::clone(http);
        let (service, listing) = match action {
            Service::UploadPackLs => (GitService::UploadPack, true),
            Service::UploadPack => (GitService::UploadPack, false),
            Service::ReceivePackLs => (GitService::ReceivePack, true),
            Service::ReceivePack => (GitService::ReceivePack, false),
        };
        Ok(Box::new(Stream {
            transfer,
            http,
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
    Pending(oneshot::Receiver<Result<Response<Incoming>, ConnectRefusal>>),
    /// Arriving: the body read so far, what is left of its last frame.
    Reading { body: Incoming, left: Bytes },
    /// All in memory (a kept advertisement), or what is left of it.
    Whole(Bytes),
}

/// One request of libgit2's and its answer.
struct Stream {
    transfer: Arc<Transfer>,
    http: Arc<RemoteHttp>,
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
        let http = Arc::clone(&self.http);
        let path = self.service.name();
        let cancel = self.transfer.limits.cancel.clone();
        let remaining = self.transfer.remaining();
        self.transfer.runtime.spawn(async move {
            let body: RequestBody = StreamBody::new(tokio_stream_from(receiver)).boxed();
            let send = http.send(Method::POST, path, None, Some(&request_type), body);
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
            url: self.transfer.remote_shown(),
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
                .advertise_http(&self.http, self.service)
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
                    .block_on(self.http.send(
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
                                url: transfer.remote_shown(),
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
