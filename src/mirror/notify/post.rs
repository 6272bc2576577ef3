//! The notification POST: through the same way out as mirror transfers (every address
//! checked when connecting, no redirect followed), with a time limit.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, header::HeaderValue};

use crate::net::{
    remote_http::{ConnectRefusal, RemoteHttp},
    remote_url::RemoteUrl,
};

/// How long one attempt may take to connect and to get the answer's head.
const TIMEOUT: Duration = Duration::from_secs(10);

/// One notification to POST.
pub(super) struct Delivery {
    /// The repository's `notify_url` (a secret of its own: never logged).
    pub(super) url: String,
    pub(super) allow_local: bool,
    /// `X-Mirrorforge-Event`.
    pub(super) event: &'static str,
    /// Hex HMAC-SHA256 of the body, when the repository has a notification key.
    pub(super) signature: Option<String>,
    pub(super) body: Vec<u8>,
}

impl Delivery {
    /// One try: `Ok` on a 2xx answer; else why not, in words that never hold the URL.
    pub(super) async fn attempt(&self) -> Result<(), String> {
        let url = RemoteUrl::parse(&self.url, self.allow_local).map_err(|e| e.to_string())?;
        let http = RemoteHttp::new(&url, self.allow_local, TIMEOUT, None).map_err(describe)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert("x-mirrorforge-event", HeaderValue::from_static(self.event));
        if let Some(signature) = &self.signature
            && let Ok(value) = HeaderValue::from_str(&format!("sha256={signature}"))
        {
            headers.insert("x-mirrorforge-signature-256", value);
        }
        let body = Full::new(Bytes::from(self.body.clone()))
            .map_err(|never| match never {})
            .boxed();
        let answer = http.post_to_url(headers, body).await.map_err(describe)?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the notification URL answered {status}"))
        }
    }
}

/// A refusal in words that never hold the URL (its path may be the secret).
fn describe(refusal: ConnectRefusal) -> String {
    match refusal {
        ConnectRefusal::Blocked(message) => message,
        ConnectRefusal::Unreachable(why) => {
            format!("the notification URL could not be reached ({why})")
        }
        ConnectRefusal::Tls(why) => format!("the TLS handshake failed ({why})"),
        ConnectRefusal::Redirect(_) => {
            "the notification URL answered with a redirect, which is not followed".to_owned()
        }
        ConnectRefusal::Timeout => format!("no answer within {} s", TIMEOUT.as_secs()),
    }
}
