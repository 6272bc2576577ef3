//! Stand-ins for the repository listings of GitHub, GitLab and Gitea, written from their
//! documentation: GitHub `GET /orgs/{org}/repos` and `/users/{user}/repos` (`per_page`, `page`,
//! `Link: rel="next"`, `Authorization: Bearer`, rate limits as `403` with
//! `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset`); GitLab `GET
//! /api/v4/groups/{id}/projects` and `/api/v4/users/{user}/projects` (`X-Next-Page`,
//! `PRIVATE-TOKEN`, `429` with `Retry-After`); Gitea `GET /api/v1/orgs/{org}/repos` and
//! `/api/v1/users/{user}/repos` (`limit`, `Link`, `X-Total-Count`, `Authorization: token`).
//! Pages are 2 repositories long whatever is asked, so every listing spans several pages. It
//! is served in front of stock `git http-backend` (requiring the token as the git password),
//! logs every `Authorization`/`PRIVATE-TOKEN` it gets, and its listing can change between
//! discoveries.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use super::git_backend::GitBackend;

/// Which forge the stand-in speaks as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    Github,
    Gitlab,
    Gitea,
}

/// A repository the account lists.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: u64,
    pub name: String,
    pub clone_url: String,
    pub private: bool,
    pub fork: bool,
    pub archived: bool,
}

/// Repositories per page, whatever the client asks for.
const PAGE: usize = 2;

struct Shared {
    forge: Forge,
    token: String,
    account: String,
    repos: Mutex<Vec<Listed>>,
    /// Seconds the next listing request is told to wait (0: none).
    rate_limit_next: AtomicU64,
    /// Every credential header the API got (`Authorization` or `PRIVATE-TOKEN`).
    credentials: Mutex<Vec<String>>,
    /// How many listing requests it answered.
    requests: Mutex<usize>,
}

/// The forge: its API and its git host on one origin.
pub struct ForgeStandIn {
    pub git: GitBackend,
    shared: Arc<Shared>,
}

impl ForgeStandIn {
    /// A forge speaking as `forge` whose account `account` lists what [`Self::set`] gives, and
    /// whose git wants `git_user` with `token` as the password.
    pub async fn start(forge: Forge, account: &str, git_user: &str, token: &str) -> Self {
        let shared = Arc::new(Shared {
            forge,
            token: token.to_owned(),
            account: account.to_owned(),
            repos: Mutex::new(Vec::new()),
            rate_limit_next: AtomicU64::new(0),
            credentials: Mutex::new(Vec::new()),
            requests: Mutex::new(0),
        });
        let api = Router::new()
            .route("/orgs/{account}/repos", get(listing))
            .route("/users/{account}/repos", get(listing))
            .route("/api/v4/groups/{account}/projects", get(listing))
            .route("/api/v4/users/{account}/projects", get(listing))
            .route("/api/v1/orgs/{account}/repos", get(listing))
            .route("/api/v1/users/{account}/repos", get(listing))
            .with_state(Arc::clone(&shared));
        let git = GitBackend::with_auth_and_lfs(git_user, token, api).await;
        Self { git, shared }
    }

    /// The API's base URL (GitLab's and Gitea's without `/api/…`, as users type it).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.git.addr)
    }

    /// The account lists `repos` from now on.
    pub fn set(&self, repos: Vec<Listed>) {
        *self.shared.repos.lock().unwrap() = repos;
    }

    /// The next listing request is answered with the forge's rate limit (1 s).
    pub fn rate_limit_once(&self) {
        self.rate_limit_once_for(1);
    }

    /// The next listing request is answered with the forge's rate limit of `seconds`.
    pub fn rate_limit_once_for(&self, seconds: u64) {
        self.shared.rate_limit_next.store(seconds, Ordering::SeqCst);
    }

    /// Every credential header the API got.
    pub fn credentials(&self) -> Vec<String> {
        self.shared.credentials.lock().unwrap().clone()
    }

    /// How many listing requests it answered (rate limits included).
    pub fn requests(&self) -> usize {
        *self.shared.requests.lock().unwrap()
    }

    /// A repository of the account served by this forge's git (which wants the token).
    pub fn repo(&self, id: u64, name: &str) -> Listed {
        Listed {
            id,
            name: name.to_owned(),
            clone_url: self.git.url(name),
            private: false,
            fork: false,
            archived: false,
        }
    }
}

/// The credential the client sent, as the forge reads it.
fn presented(forge: Forge, headers: &HeaderMap) -> Option<String> {
    let header = match forge {
        Forge::Gitlab => "private-token",
        _ => "authorization",
    };
    headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The repository as the forge's listing writes it.
fn rendered(forge: Forge, account: &str, r: &Listed) -> Value {
    match forge {
        Forge::Gitlab => json!({
            "id": r.id,
            "path": r.name,
            "path_with_namespace": format!("{account}/{}", r.name),
            "http_url_to_repo": r.clone_url,
            "visibility": if r.private { "private" } else { "public" },
            "archived": r.archived,
            "forked_from_project": if r.fork { json!({"id": 1}) } else { Value::Null },
        }),
        _ => json!({
            "id": r.id,
            "name": r.name,
            "full_name": format!("{account}/{}", r.name),
            "clone_url": r.clone_url,
            "private": r.private,
            "fork": r.fork,
            "archived": r.archived,
        }),
    }
}

async fn listing(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    *shared.requests.lock().unwrap() += 1;
    let credential = presented(shared.forge, &headers);
    if let Some(c) = &credential {
        shared.credentials.lock().unwrap().push(c.clone());
    }
    let wait = shared.rate_limit_next.swap(0, Ordering::SeqCst);
    if wait > 0 {
        return match shared.forge {
            Forge::Github => {
                let reset = chrono::Utc::now().timestamp() + wait as i64;
                let mut r = (StatusCode::FORBIDDEN, "API rate limit exceeded").into_response();
                r.headers_mut()
                    .insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
                r.headers_mut()
                    .insert("x-ratelimit-reset", HeaderValue::from(reset));
                r
            }
            _ => {
                let mut r = (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response();
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from(wait));
                r
            }
        };
    }
    let expected = match shared.forge {
        Forge::Github => format!("Bearer {}", shared.token),
        Forge::Gitlab => shared.token.clone(),
        Forge::Gitea => format!("token {}", shared.token),
    };
    let authorized = credential.as_deref() == Some(expected.as_str());
    if credential.is_some() && !authorized {
        return (StatusCode::UNAUTHORIZED, "bad credentials").into_response();
    }
    let visible: Vec<Listed> = shared
        .repos
        .lock()
        .unwrap()
        .iter()
        .filter(|r| authorized || !r.private)
        .cloned()
        .collect();
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let pages = visible.len().div_ceil(PAGE).max(1);
    let items: Vec<Value> = visible
        .iter()
        .skip((page - 1) * PAGE)
        .take(PAGE)
        .map(|r| rendered(shared.forge, &shared.account, r))
        .collect();
    let mut response = axum::Json(items).into_response();
    let h = response.headers_mut();
    let page_url = |n: usize| {
        let mut q: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        q.sort();
        q.push(("page".into(), n.to_string()));
        let q: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(
            "http://{}{}?{}",
            headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
            uri.path(),
            q.join("&")
        )
    };
    match shared.forge {
        Forge::Gitlab => {
            let next = if page < pages {
                (page + 1).to_string()
            } else {
                String::new()
            };
            h.insert("x-next-page", HeaderValue::from_str(&next).unwrap());
            h.insert("x-page", HeaderValue::from(page));
            h.insert("x-total", HeaderValue::from(visible.len()));
        }
        _ => {
            let mut links = Vec::new();
            if page < pages {
                links.push(format!("<{}>; rel=\"next\"", page_url(page + 1)));
                links.push(format!("<{}>; rel=\"last\"", page_url(pages)));
            }
            if page > 1 {
                links.push(format!("<{}>; rel=\"first\"", page_url(1)));
            }
            if !links.is_empty() {
                h.insert("link", HeaderValue::from_str(&links.join(", ")).unwrap());
            }
            if shared.forge == Forge::Gitea {
                h.insert("x-total-count", HeaderValue::from(visible.len()));
            }
        }
    }
    response
}
