//! A remote's LFS server as a mirror uses it: the batch API at `<remote>/info/lfs` (or the
//! endpoint set for the mirror), then each object downloaded into the store or uploaded from it
//! with the basic transfer adapter. Every request goes through [`RemoteHttp`]: each host's
//! addresses checked at the connection, no redirect followed; an object's href may name
//! another host (object storage), whose addresses are checked the same way, and the mirror's
//! credentials go only to the endpoint's own host.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::{HeaderMap, Method, StatusCode, header};
use serde::Deserialize;
use tokio_util::io::ReaderStream;
use url::Url;

use super::{
    batch::{BatchRequest, MEDIA_TYPE, ObjectAction, ObjectAnswer, ObjectSpec, Operation},
    store::{LfsStore, Oid, READ_CHUNK},
};
use crate::net::{
    error::UrlError,
    remote_http::{ConnectRefusal, RemoteHttp, RequestBody, SizedBody},
    remote_url::RemoteUrl,
};

/// Objects asked for in one batch request: the reference client's `lfs.transfer.batchSize`,
/// and the most some servers (GitHub's) accept.
pub const BATCH_SIZE: usize = 100;

/// Why an LFS transfer failed, in a sentence naming the object when there is one.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LfsError {
    /// The remote has no such object.
    #[error("LFS object {0} is missing on the remote")]
    Missing(String),
    /// The remote refused or failed one object.
    #[error("LFS object {oid}: {message}")]
    Object {
        /// The object.
        oid: String,
        /// What went wrong.
        message: String,
    },
    /// The batch API or the connection failed.
    #[error("LFS: {0}")]
    Remote(String),
    /// An LFS server's URL (the endpoint, or an href handed out) is refused.
    #[error("LFS: {0}")]
    Url(#[from] UrlError),
    /// The batch API refused the login sent (or the lack of one): 401 or 403.
    #[error("LFS: {0}")]
    Refused(String),
}

/// What a batch answer holds for a client: the answer per object (the rest is fixed).
#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    objects: Vec<ObjectAnswer>,
}

/// One remote's LFS server.
pub struct LfsRemote {
    endpoint: Url,
    allow_local: bool,
    /// How long an upload may take to be answered.
    timeout: Duration,
    /// How long the remote may stay silent otherwise: connecting, and the answer to a batch
    /// request, a download or a verify.
    silence: Duration,
    credentials: Option<(String, String)>,
    /// Headers for the batch API (what `git-lfs-authenticate` handed out over SSH).
    endpoint_headers: HeaderMap,
    /// Per host, the connections made so far (one per transfer under way at once).
    connections: tokio::sync::Mutex<HashMap<String, Vec<Arc<RemoteHttp>>>>,
}

impl LfsRemote {
    /// The LFS server at `endpoint` (see [`Self::endpoint_of`] for a git remote's own);
    /// `credentials` go to its host only.
    #[must_use]
    pub fn new(
        endpoint: &RemoteUrl,
        allow_local: bool,
        timeout: Duration,
        credentials: Option<(String, String)>,
    ) -> Self {
        let endpoint = endpoint.url().clone();
        Self {
            endpoint,
            allow_local,
            timeout,
            silence: timeout,
            credentials,
            endpoint_headers: HeaderMap::new(),
            connections: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The LFS server of the git remote at `remote`: `<url>.git/info/lfs`, as the reference
    /// client derives it.
    #[must_use]
    pub fn endpoint_of(remote: &RemoteUrl) -> RemoteUrl {
        let mut url = remote.url().clone();
        let path = url.path().trim_end_matches('/').to_owned();
        let repo = if path.ends_with(".git") {
            path
        } else {
            format!("{path}.git")
        };
        url.set_path(&format!("{repo}/info/lfs"));
        RemoteUrl::from_checked(url)
    }

    /// The same, failing a wait on a silent remote after `silence` (connecting, the answer to
    /// anything but an upload, each piece of a download) instead of after the timeout.
    #[must_use]
    pub fn with_silence_limit(mut self, silence: Duration) -> Self {
        self.silence = silence.min(self.timeout);
        self
    }

    /// The same, sending `headers` with every batch request (never to another host).
    #[must_use]
    pub fn with_endpoint_headers(mut self, headers: &BTreeMap<String, String>) -> Self {
        self.endpoint_headers = sensitive_headers(headers);
        self
    }

    /// A connection to `url`'s host that no transfer is using (a new one when all are busy,
    /// so transfers at once do not queue on one HTTP/1 connection); with the credentials only
    /// for the endpoint's own host.
    async fn connection(&self, url: &Url) -> Result<Arc<RemoteHttp>, LfsError> {
        let key = format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        let mut connections = self.connections.lock().await;
        // Idle: held by nobody but this map (a transfer holds its own until it ends).
        if let Some(idle) = connections
            .get(&key)
            .and_then(|all| all.iter().find(|http| Arc::strong_count(http) == 1))
        {
            return Ok(Arc::clone(idle));
        }
        let remote = RemoteUrl::parse(url.as_str(), self.allow_local)?;
        let home = url.scheme() == self.endpoint.scheme()
            && url.host_str() == self.endpoint.host_str()
            && url.port_or_known_default() == self.endpoint.port_or_known_default();
        let credentials = self
            .credentials
            .as_ref()
            .filter(|_| home)
            .map(|(user, password)| (user.as_str(), password.as_str()));
        let http = RemoteHttp::new(&remote, self.allow_local, self.timeout, credentials)
            .map_err(|e| LfsError::Remote(refused(&e)))?
            .with_silence_limit(self.silence);
        let http = Arc::new(http);
        connections.entry(key).or_default().push(Arc::clone(&http));
        Ok(http)
    }

    /// Asks the batch API about `objects` for `operation`, in batches of 100.
    ///
    /// # Errors
    /// The batch API refused or failed.
    pub async fn batch(
        &self,
        operation: Operation,
        objects: &[(Oid, u64)],
    ) -> Result<Vec<ObjectAnswer>, LfsError> {
        let mut target = self.endpoint.clone();
        target.set_path(&format!(
            "{}/objects/batch",
            self.endpoint.path().trim_end_matches('/')
        ));
        let http = self.connection(&target).await?;
        let mut answers = Vec::with_capacity(objects.len());
        for chunk in objects.chunks(BATCH_SIZE) {
            let request = BatchRequest {
                operation,
                transfers: Some(vec!["basic".to_owned()]),
                reference: None,
                objects: chunk.iter().map(|(oid, size)| spec(oid, *size)).collect(),
                hash_algo: Some("sha256".to_owned()),
            };
            let body = serde_json::to_vec(&request).map_err(|e| LfsError::Remote(e.to_string()))?;
            let mut headers = self.endpoint_headers.clone();
            headers.insert(header::ACCEPT, header::HeaderValue::from_static(MEDIA_TYPE));
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(MEDIA_TYPE),
            );
            let response = http
                .send_to(Method::POST, &target, headers, true, full(body))
                .await
                .map_err(|e| LfsError::Remote(refused(&e)))?;
            let status = response.status();
            let body = read_small(response).await?;
            if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                return Err(LfsError::Refused(batch_failure(status, &body)));
            }
            if status != StatusCode::OK {
                return Err(LfsError::Remote(batch_failure(status, &body)));
            }
            let parsed: BatchAnswer = serde_json::from_slice(&body).map_err(|e| {
                LfsError::Remote(format!("the batch API answered something else ({e})"))
            })?;
            answers.extend(parsed.objects);
        }
        Ok(answers)
    }

    /// Downloads the object `answer` offers into `store`, checked against its oid and size;
    /// the bytes received.
    ///
    /// # Errors
    /// The remote lacks it, refused it, or sent other content.
    pub async fn download(&self, answer: &ObjectAnswer, store: &LfsStore) -> Result<u64, LfsError> {
        let failed = |message: String| LfsError::Object {
            oid: answer.oid.clone(),
            message,
        };
        if let Some(error) = &answer.error {
            return Err(if error.code == 404 {
                LfsError::Missing(answer.oid.clone())
            } else {
                failed(format!("{} ({})", error.message, error.code))
            });
        }
        let oid = Oid::parse(&answer.oid).map_err(|e| failed(e.to_string()))?;
        let size = size_of(answer).map_err(|e| failed(e.to_string()))?;
        let action = answer
            .actions
            .as_ref()
            .and_then(|a| a.download.as_ref())
            .ok_or_else(|| failed("the remote offered no download".to_owned()))?;
        let (http, url, headers) = self
            .prepare(action)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let response = http
            .send_to(Method::GET, &url, headers, true, empty())
            .await
            .map_err(|e| failed(refused(&e)))?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Err(LfsError::Missing(answer.oid.clone())),
            other => return Err(failed(format!("the download answered {other}"))),
        }
        let mut incoming = store
            .receive(&oid, size)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut body = response.into_body();
        loop {
            let Ok(next) = tokio::time::timeout(self.silence, body.frame()).await else {
                return Err(failed(format!(
                    "the download stalled: nothing arrived for {} s",
                    self.silence.as_secs()
                )));
            };
            let Some(frame) = next else { break };
            let frame = frame.map_err(|e| failed(format!("the download broke: {e}")))?;
            if let Ok(data) = frame.into_data() {
                incoming
                    .write(&data)
                    .await
                    .map_err(|e| failed(e.to_string()))?;
            }
        }
        incoming.finish().await.map_err(|e| failed(e.to_string()))
    }

    /// Uploads the object `answer` asks for from `store`, then has the remote verify it; the
    /// bytes sent (none when the remote has it already).
    ///
    /// # Errors
    /// The object is not here, or the remote refused it.
    pub async fn upload(&self, answer: &ObjectAnswer, store: &LfsStore) -> Result<u64, LfsError> {
        let failed = |message: String| LfsError::Object {
            oid: answer.oid.clone(),
            message,
        };
        if let Some(error) = &answer.error {
            return Err(failed(format!("{} ({})", error.message, error.code)));
        }
        let actions = answer.actions.as_ref();
        let Some(action) = actions.and_then(|a| a.upload.as_ref()) else {
            return Ok(0); // the remote has it
        };
        let oid = Oid::parse(&answer.oid).map_err(|e| failed(e.to_string()))?;
        let size = size_of(answer).map_err(|e| failed(e.to_string()))?;
        let file = store
            .open(&oid)
            .await
            .map_err(|e| failed(format!("not stored here: {e}")))?;
        let (http, url, mut headers) = self
            .prepare(action)
            .await
            .map_err(|e| failed(e.to_string()))?;
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/octet-stream"),
        );
        let stream = ReaderStream::with_capacity(file, READ_CHUNK).map_ok(hyper::body::Frame::data);
        let body = SizedBody::new(StreamBody::new(stream), size).boxed();
        let response = http
            .send_to(Method::PUT, &url, headers, true, body)
            .await
            .map_err(|e| failed(refused(&e)))?;
        let status = response.status();
        let _ = read_small(response).await;
        if !status.is_success() {
            return Err(failed(format!("the upload answered {status}")));
        }
        if let Some(verify) = actions.and_then(|a| a.verify.as_ref()) {
            let (http, url, mut headers) = self
                .prepare(verify)
                .await
                .map_err(|e| failed(e.to_string()))?;
            headers.insert(header::ACCEPT, header::HeaderValue::from_static(MEDIA_TYPE));
            headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(MEDIA_TYPE),
            );
            let body = serde_json::to_vec(&spec(&oid, size)).map_err(|e| failed(e.to_string()))?;
            let response = http
                .send_to(Method::POST, &url, headers, true, full(body))
                .await
                .map_err(|e| failed(refused(&e)))?;
            let status = response.status();
            let _ = read_small(response).await;
            if !status.is_success() {
                return Err(failed(format!("the verify answered {status}")));
            }
        }
        Ok(size)
    }

    /// The connection, URL and headers of an action.
    async fn prepare(
        &self,
        action: &ObjectAction,
    ) -> Result<(Arc<RemoteHttp>, Url, HeaderMap), LfsError> {
        let url = Url::parse(&action.href)
            .map_err(|e| LfsError::Remote(format!("an href is not a URL ({e})")))?;
        let http = self.connection(&url).await?;
        Ok((http, url, sensitive_headers(&action.header)))
    }
}

/// `headers` as a remote handed them out, each value marked sensitive (never logged); a name
/// or value that is not a valid header is left out.
fn sensitive_headers<'a>(headers: impl IntoIterator<Item = (&'a String, &'a String)>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(mut value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            header::HeaderValue::from_str(value),
        ) {
            value.set_sensitive(true);
            map.insert(name, value);
        }
    }
    map
}

/// An object as a batch request or a verify names it.
fn spec(oid: &Oid, size: u64) -> ObjectSpec {
    ObjectSpec {
        oid: oid.as_str().to_owned(),
        size: i64::try_from(size).unwrap_or(i64::MAX),
    }
}

/// A negative size in a batch answer.
#[derive(Debug, thiserror::Error)]
#[error("the remote gave the size {0}")]
struct NegativeSize(i64);

/// The size an answer gives, which must not be negative.
fn size_of(answer: &ObjectAnswer) -> Result<u64, NegativeSize> {
    u64::try_from(answer.size).map_err(|_| NegativeSize(answer.size))
}

fn full(body: Vec<u8>) -> RequestBody {
    Full::new(Bytes::from(body)).map_err(|e| match e {}).boxed()
}

fn empty() -> RequestBody {
    full(Vec::new())
}

/// A refusal of the connection layer in words.
fn refused(refusal: &ConnectRefusal) -> String {
    match refusal {
        ConnectRefusal::Blocked(message)
        | ConnectRefusal::Unreachable(message)
        | ConnectRefusal::Tls(message) => message.clone(),
        ConnectRefusal::Redirect(target) => {
            format!("redirected to {target}, which is not followed")
        }
        ConnectRefusal::Timeout => "timed out".to_owned(),
    }
}

/// A small answer whole (a batch answer, an error body): at most 64 MiB.
async fn read_small(response: hyper::Response<hyper::body::Incoming>) -> Result<Bytes, LfsError> {
    let limited = http_body_util::Limited::new(response.into_body(), 64 << 20);
    limited
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .map_err(|e| LfsError::Remote(format!("the answer broke off: {e}")))
}

/// Why the batch API refused, from its status and its `{"message"}`.
fn batch_failure(status: StatusCode, body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let message: String = message
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => format!(
            "the LFS server refused access ({status}): check the credentials{}",
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        ),
        StatusCode::NOT_FOUND => {
            "the remote has no LFS server there (404): set the LFS endpoint".to_owned()
        }
        _ if message.is_empty() => format!("the batch API answered {status}"),
        _ => format!("the batch API answered {status}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_derived_from_the_git_url_like_the_reference_client() {
        let secs = Duration::from_secs(5);
        let of = |url: &str, endpoint: Option<&str>| {
            let endpoint = match endpoint {
                Some(endpoint) => RemoteUrl::parse(endpoint, true).unwrap(),
                None => LfsRemote::endpoint_of(&RemoteUrl::parse(url, true).unwrap()),
            };
            LfsRemote::new(&endpoint, true, secs, None)
                .endpoint
                .to_string()
        };
        assert_eq!(
            of("https://example.com/team/app.git", None),
            "https://example.com/team/app.git/info/lfs"
        );
        assert_eq!(
            of("https://example.com/team/app", None),
            "https://example.com/team/app.git/info/lfs"
        );
        assert_eq!(
            of(
                "https://example.com/a.git",
                Some("https://lfs.example.com/x")
            ),
            "https://lfs.example.com/x"
        );
        assert!(RemoteUrl::parse("http://127.0.0.1/a.git", false).is_err());
    }
}
