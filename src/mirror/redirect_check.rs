//! Refuses remotes that redirect. libgit2 refuses redirects to another host, but follows one to
//! another path or port on the same host without a word; so before each transfer one
//! unauthenticated request for the ref advertisement asks the remote where the repository is.
//! No credentials are sent here: they go only through libgit2's credentials callback.

use std::{
    future::Future,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use http_body_util::Empty;
use hyper::{Request, StatusCode, body::Bytes, header};
use hyper_tls::{HttpsConnector, native_tls};
use hyper_util::{
    client::legacy::{
        Client,
        connect::{HttpConnector, dns::Name},
    },
    rt::TokioExecutor,
};

use super::{
    transfer::TransferError,
    url_policy::{self, redact},
};

/// Which side of the protocol the transfer will speak.
#[derive(Debug, Clone, Copy)]
pub enum Service {
    /// Fetch (upstream).
    UploadPack,
    /// Push (downstream).
    ReceivePack,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Self::UploadPack => "git-upload-pack",
            Self::ReceivePack => "git-receive-pack",
        }
    }
}

/// Fails with [`TransferError::Redirect`] when the remote answers the ref advertisement with a
/// redirect, with [`TransferError::Tls`] when the TLS handshake fails, and with
/// [`TransferError::Timeout`] when it does not answer within `timeout`. Any other answer
/// (including 401 or a network error) is left for libgit2 to report.
///
/// # Errors
/// The remote redirected, or did not answer in time.
pub async fn ensure_no_redirect(
    url: &str,
    service: Service,
    timeout: Duration,
    allow_local: bool,
) -> Result<(), TransferError> {
    let target = format!(
        "{}/info/refs?service={}",
        url.trim_end_matches('/'),
        service.name()
    );
    let Ok(request) = Request::get(&target)
        .header(header::USER_AGENT, "git/2.0 (mirrorforge)")
        .body(Empty::<Bytes>::new())
    else {
        return Ok(()); // an URI hyper cannot express: libgit2 will say what is wrong with it
    };
    let mut http = HttpConnector::new_with_resolver(PolicyResolver { allow_local });
    http.enforce_http(false);
    let Ok(tls) = native_tls::TlsConnector::new() else {
        return Ok(()); // no TLS here: libgit2 will report its own trouble
    };
    let client =
        Client::builder(TokioExecutor::new()).build(HttpsConnector::from((http, tls.into())));
    let response = match tokio::time::timeout(timeout, client.request(request)).await {
        Err(_) => return Err(TransferError::Timeout(timeout.as_secs())),
        // libgit2 would meet the same TLS failure, and through a proxy its clean-up then
        // waits out the whole timeout: say it now.
        Ok(Err(error)) => {
            return tls_failure(&error).map_or(Ok(()), |e| Err(TransferError::tls(&e)));
        }
        Ok(Ok(response)) => response,
    };
    if is_redirect(response.status()) {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| "another URL".to_owned(), |l| describe(url, l));
        return Err(TransferError::Redirect(location));
    }
    Ok(())
}

/// Name resolution under the URL policy: a host that now resolves to a forbidden address is
/// not connected to (literal addresses were checked with the URL).
#[derive(Clone)]
struct PolicyResolver {
    allow_local: bool,
}

impl tower::Service<Name> for PolicyResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_local = self.allow_local;
        Box::pin(async move {
            url_policy::resolve_allowed(name.as_str(), 0, allow_local)
                .await
                .map(Vec::into_iter)
                .map_err(std::io::Error::other)
        })
    }
}

/// The TLS error somewhere in `error`'s chain of causes, if any.
fn tls_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(tls) = current.downcast_ref::<native_tls::Error>() {
            return Some(tls.to_string());
        }
        cause = current.source();
    }
    None
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The repository URL the remote points to: the `Location` resolved against the request, without
/// the `/info/refs?…` suffix and without credentials.
fn describe(base: &str, location: &str) -> String {
    let resolved = url::Url::parse(base)
        .and_then(|b| b.join(location))
        .map_or_else(|_| location.to_owned(), |u| u.to_string());
    let repository = resolved
        .split_once("/info/refs")
        .map_or(resolved.as_str(), |(repo, _)| repo);
    redact(repository)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_shown_as_repository_urls_without_credentials() {
        assert_eq!(
            describe(
                "http://h:1/old.git",
                "/new.git/info/refs?service=git-upload-pack"
            ),
            "http://h:1/new.git"
        );
        assert_eq!(
            describe("http://h/a.git", "https://u:p@other/b.git/info/refs"),
            "https://other/b.git"
        );
        assert!(is_redirect(StatusCode::MOVED_PERMANENTLY));
        assert!(!is_redirect(StatusCode::UNAUTHORIZED));
    }
}
