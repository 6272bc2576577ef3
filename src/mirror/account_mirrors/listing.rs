//! Reads an account's whole repository listing from its forge: page after page on one kept-
//! alive connection of the mirror transfers' own HTTP client (the address policy at connect,
//! no redirect followed, time limits), the token only to the API's own origin, rate limits
//! waited out.

use std::{future::Future, time::Duration};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Method, StatusCode, header::HeaderValue};
use url::Url;

use super::providers::{AccountKind, Provider, SourceRepo, next_page, repos_of_page};
use crate::net::{
    remote_http::{ConnectRefusal, RemoteHttp, RequestBody},
    remote_url::RemoteUrl,
    url_policy::redact,
};

/// The most pages one discovery reads (100,000 repositories at GitHub's 100 a page).
const MAX_PAGES: usize = 1_000;
/// The largest page answer read.
const MAX_PAGE_BYTES: usize = 32 << 20;
/// The longest wait for a rate limit; a longer one is waited in several turns.
pub const MAX_RATE_WAIT: Duration = Duration::from_secs(3600);

/// Why a listing could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    /// The API's URL is not one we may reach.
    #[error("{0}")]
    Url(String),
    /// The forge refused the token, or wants one (401, 403 without a rate limit).
    #[error("the forge refused access ({0}): check the token")]
    Refused(StatusCode),
    /// No such account at the forge.
    #[error("the forge has no {kind} '{account}' (404)")]
    NoAccount {
        /// `org`, `user` or `group`.
        kind: &'static str,
        /// The account asked for.
        account: String,
    },
    /// Anything else the forge or the network did.
    #[error("{0}")]
    Remote(String),
}

/// What one request of the listing gave.
#[derive(Debug)]
pub enum Step {
    /// A page of repositories, and the next page if there is one.
    Page {
        /// Its repositories.
        repos: Vec<SourceRepo>,
        /// Where the next page is.
        next: Option<Url>,
    },
    /// The forge's rate limit: ask again after this long.
    RateLimited(Duration),
}

/// One account's listing at one forge.
pub struct Lister {
    http: RemoteHttp,
    provider: Provider,
    account: String,
    kind: AccountKind,
    api: Url,
    token: Option<String>,
}

impl std::fmt::Debug for Lister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lister")
            .field("provider", &self.provider)
            .field("api", &self.api.as_str())
            .field("account", &self.account)
            .field("token", &self.token.as_ref().map(|_| "(set)"))
            .finish_non_exhaustive()
    }
}

impl Lister {
    /// The listing of `account` (of `kind`) at `provider`'s API `api_url`, with `token` sent as
    /// the provider documents it.
    ///
    /// # Errors
    /// The URL is malformed or forbidden by the address policy's syntax rules.
    pub fn new(
        provider: Provider,
        api_url: &str,
        account: &str,
        kind: AccountKind,
        token: Option<String>,
        allow_local: bool,
        timeout: Duration,
    ) -> Result<Self, ListingError> {
        let remote =
            RemoteUrl::parse(api_url, allow_local).map_err(|e| ListingError::Url(e.to_string()))?;
        let http = RemoteHttp::new(&remote, allow_local, timeout, None)
            .map_err(|e| ListingError::Url(refused(&e)))?;
        let api = Url::parse(api_url).map_err(|e| ListingError::Url(e.to_string()))?;
        Ok(Self {
            http,
            provider,
            account: account.to_owned(),
            kind,
            api,
            token: token.filter(|t| !t.is_empty()),
        })
    }

    /// The first page's URL.
    ///
    /// # Errors
    /// The URL cannot be made from the API's.
    pub fn first_page(&self) -> Result<Url, ListingError> {
        self.provider
            .first_page(&self.api, &self.account, self.kind)
            .map_err(|e| ListingError::Url(e.to_string()))
    }

    /// Asks for the page at `url`.
    ///
    /// # Errors
    /// The forge refused, has no such account, answered something else, or could not be reached.
    pub async fn page(&self, url: &Url) -> Result<Step, ListingError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            hyper::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        if self.provider == Provider::Github {
            headers.insert(
                hyper::header::ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            );
            headers.insert(
                "x-github-api-version",
                HeaderValue::from_static("2022-11-28"),
            );
        }
        if let Some(token) = &self.token {
            let (name, value) = self.provider.token_header(token);
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                ListingError::Url("the token holds characters no header may carry".to_owned())
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let response = self
            .http
            .send_to(Method::GET, url, headers, false, empty())
            .await
            .map_err(|e| ListingError::Remote(refused(&e)))?;
        let status = response.status();
        if let Some(wait) = rate_limit_wait(status, response.headers(), Utc::now().timestamp()) {
            return Ok(Step::RateLimited(wait));
        }
        let head = response.headers().clone();
        let body = http_body_util::Limited::new(response.into_body(), MAX_PAGE_BYTES)
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .map_err(|e| ListingError::Remote(format!("the listing broke off: {e}")))?;
        match status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(ListingError::Refused(status));
            }
            StatusCode::NOT_FOUND => {
                return Err(ListingError::NoAccount {
                    kind: self.kind.as_str(),
                    account: self.account.clone(),
                });
            }
            other => {
                return Err(ListingError::Remote(format!(
                    "{} answered {other}",
                    redact(url.as_str())
                )));
            }
        }
        let repos = repos_of_page(self.provider, &self.account, &body)
            .map_err(|e| ListingError::Remote(e.to_string()))?;
        let text = |name: &str| head.get(name).and_then(|v| v.to_str().ok());
        let next = next_page(self.provider, url, text("link"), text("x-next-page"))
            .map_err(|e| ListingError::Remote(e.to_string()))?;
        Ok(Step::Page { repos, next })
    }

    /// Every repository of the account, page after page to the end. A rate limit is waited out
    /// after `waiting` is told how long (to say so meanwhile); a listing that never ends, or
    /// comes back to a page it gave, stops with an error.
    ///
    /// # Errors
    /// As [`Self::page`], or a listing past [`MAX_PAGES`].
    pub async fn all<F, Fut>(&self, mut waiting: F) -> Result<Vec<SourceRepo>, ListingError>
    where
        F: FnMut(Duration) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut url = self.first_page()?;
        let mut seen = std::collections::HashSet::new();
        let mut repos = Vec::new();
        loop {
            if seen.len() >= MAX_PAGES || !seen.insert(url.to_string()) {
                return Err(ListingError::Remote(format!(
                    "the listing did not end after {} pages",
                    seen.len()
                )));
            }
            match self.page(&url).await? {
                Step::RateLimited(wait) => {
                    waiting(wait).await;
                    tokio::time::sleep(wait).await;
                    seen.remove(url.as_str());
                }
                Step::Page { repos: page, next } => {
                    repos.extend(page);
                    match next {
                        Some(next) => url = next,
                        None => return Ok(repos),
                    }
                }
            }
        }
    }
}

/// How long a rate-limited answer asks us to wait: `Retry-After` seconds, or until
/// `X-RateLimit-Reset` (GitHub, Gitea) / `RateLimit-Reset` (GitLab) when the remaining count is
/// 0 — on a 403 or 429 only. At least 1 s, at most [`MAX_RATE_WAIT`]. `None`: not a rate limit.
#[must_use]
pub fn rate_limit_wait(status: StatusCode, headers: &HeaderMap, now: i64) -> Option<Duration> {
    if !matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    ) {
        return None;
    }
    let number =
        |name: &str| -> Option<i64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    let seconds = number("retry-after").or_else(|| {
        ["x-ratelimit", "ratelimit"].into_iter().find_map(|prefix| {
            (number(&format!("{prefix}-remaining")) == Some(0))
                .then(|| number(&format!("{prefix}-reset")).map_or(60, |reset| reset - now))
        })
    })?;
    let seconds = u64::try_from(seconds.max(1)).unwrap_or(1);
    Some(Duration::from_secs(seconds).min(MAX_RATE_WAIT))
}

fn empty() -> RequestBody {
    Full::new(Bytes::new()).map_err(|e| match e {}).boxed()
}

/// A refusal of the connection layer in words.
fn refused(refusal: &ConnectRefusal) -> String {
    match refusal {
        ConnectRefusal::Blocked(message)
        | ConnectRefusal::Unreachable(message)
        | ConnectRefusal::Tls(message) => message.clone(),
        ConnectRefusal::Redirect(target) => {
            format!("the forge redirected to {target}, which is not followed")
        }
        ConnectRefusal::Timeout => "the forge did not answer in time".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn rate_limits_in_each_providers_words() {
        let now = 1_000;
        let wait = |status, pairs| rate_limit_wait(status, &headers(pairs), now);
        assert_eq!(
            wait(StatusCode::TOO_MANY_REQUESTS, &[("retry-after", "7")]),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            wait(
                StatusCode::FORBIDDEN,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1030")
                ]
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            wait(
                StatusCode::TOO_MANY_REQUESTS,
                &[("ratelimit-remaining", "0"), ("ratelimit-reset", "990")]
            ),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            wait(StatusCode::FORBIDDEN, &[("x-ratelimit-remaining", "12")]),
            None,
            "a plain refusal"
        );
        assert_eq!(wait(StatusCode::OK, &[("retry-after", "7")]), None);
        assert_eq!(
            wait(StatusCode::TOO_MANY_REQUESTS, &[("retry-after", "999999")]),
            Some(MAX_RATE_WAIT)
        );
    }

    /// A GitHub stand-in: three pages of two repositories linked by `Link`, the second page
    /// rate-limited once; it records every `Authorization` it gets.
    async fn github_stand_in() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        use axum::{
            Router,
            extract::{Query, State},
            http::HeaderMap as Headers,
            response::IntoResponse,
            routing::get,
        };
        use std::sync::{
            Arc, Mutex,
            atomic::{AtomicBool, Ordering},
        };
        #[derive(Clone)]
        struct Seen(Arc<Mutex<Vec<String>>>, Arc<AtomicBool>, String);
        async fn page(
            State(Seen(auth, limited, base)): State<Seen>,
            Query(q): Query<std::collections::HashMap<String, String>>,
            headers: Headers,
        ) -> axum::response::Response {
            auth.lock().unwrap().push(
                headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned(),
            );
            let n: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            if n == 2 && !limited.swap(true, Ordering::SeqCst) {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                    "slow down",
                )
                    .into_response();
            }
            let items: Vec<serde_json::Value> = (0..2)
                .map(|i| {
                    let id = n * 10 + i;
                    serde_json::json!({"id": id, "name": format!("r{id}"), "clone_url": format!("{base}/o/r{id}.git"),
                        "private": i == 1, "fork": false, "archived": false})
                })
                .collect();
            let mut response = axum::Json(items).into_response();
            if n < 3 {
                let link = format!(
                    "<{base}/orgs/o/repos?per_page=100&type=all&page={}>; rel=\"next\"",
                    n + 1
                );
                response
                    .headers_mut()
                    .insert("link", HeaderValue::from_str(&link).unwrap());
            }
            response
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let auth = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/orgs/o/repos", get(page))
            .with_state(Seen(
                Arc::clone(&auth),
                Arc::new(AtomicBool::new(false)),
                base.clone(),
            ));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, auth)
    }

    #[tokio::test]
    async fn every_page_is_read_the_rate_limit_waited_out_and_the_token_sent_to_the_api_only() {
        let (base, auth) = github_stand_in().await;
        let lister = Lister::new(
            Provider::Github,
            &base,
            "o",
            AccountKind::Org,
            Some("ghp_secret".to_owned()),
            true,
            Duration::from_secs(10),
        )
        .unwrap();
        let mut waits = Vec::new();
        let repos = lister
            .all(|wait| {
                waits.push(wait);
                async {}
            })
            .await
            .unwrap();
        let ids: Vec<&str> = repos.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["10", "11", "20", "21", "30", "31"]);
        assert_eq!(waits, [Duration::from_secs(1)]);
        let seen = auth.lock().unwrap().clone();
        assert_eq!(seen.len(), 4, "three pages and one retry");
        assert!(seen.iter().all(|a| a == "Bearer ghp_secret"), "{seen:?}");
        // A local API is refused unless local networks are allowed.
        let refused = Lister::new(
            Provider::Github,
            &base,
            "o",
            AccountKind::Org,
            None,
            false,
            Duration::from_secs(5),
        );
        assert!(refused.is_err() || refused.unwrap().all(|_| async {}).await.is_err());
    }
}
