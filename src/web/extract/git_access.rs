//! Who may use a repository over git's HTTP protocols, smart HTTP and Git LFS alike: the same
//! credentials (Basic with a password or a token, Bearer), the same throttling of passwords,
//! the same read and write rules. Each protocol words a [`GitRefusal`] its own way.

use std::net::IpAddr;

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};

use super::caller::{credentials, resolve_with_terms};
use crate::{
    accounts::{
        tokens::{READ_ONLY, TokenScope},
        users::DISABLED,
    },
    entities::user,
    error::Error,
    mirror::settings::rejects_push,
    net::url_policy::redact,
    repos::{self, Permission, Repo},
    state::AppState,
};

/// What the client wants to do with the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Clone, fetch, download LFS objects.
    Read,
    /// Push, upload LFS objects.
    Write,
}

/// Why a client is turned away.
#[derive(Debug)]
pub enum GitRefusal {
    /// No credentials, or wrong ones: ask for them (401 with `WWW-Authenticate`).
    Unauthorized(&'static str),
    /// Too many wrong passwords from this address for this account: seconds to wait.
    Throttled(u64),
    /// Known, but may not write.
    Forbidden(&'static str),
    /// No such repository, or a private one the caller may not see.
    NotFound,
    /// A write into a repository that pulls from elsewhere.
    Mirror(Box<Repo>),
    /// Renamed or moved: its `OWNER/NAME` now (told only to who may read it).
    Moved(String),
    /// Something failed on our side (already logged).
    Internal,
}

impl GitRefusal {
    /// The status every protocol answers with (git's refusal of a push into a mirror is the
    /// exception: it must answer 200 with an `ERR` line for git to show it).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Forbidden(_) | Self::Mirror(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Moved(_) => StatusCode::MOVED_PERMANENTLY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The sentence the client shows.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::Unauthorized(message) | Self::Forbidden(message) => (*message).to_owned(),
            Self::Throttled(retry_after_secs) => Error::TooManyRequests {
                retry_after_secs: *retry_after_secs,
            }
            .to_string(),
            Self::NotFound => "repository not found".to_owned(),
            Self::Moved(to) => format!("repository moved to {to}"),
            Self::Mirror(repo) => mirror_refusal(repo),
            Self::Internal => "internal server error".to_owned(),
        }
    }
}

impl GitRefusal {
    /// This refusal in a protocol's words: `respond` makes its status and sentence into the
    /// protocol's answer, and a throttled caller also gets `Retry-After`.
    pub fn respond_with(&self, respond: impl FnOnce(StatusCode, &str) -> Response) -> Response {
        let mut response = respond(self.status(), &self.message());
        if let Self::Throttled(retry_after_secs) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        response
    }
}

/// Why a push into a repository that pulls from elsewhere is refused, naming the source
/// without its credentials.
#[must_use]
pub fn mirror_refusal(repo: &Repo) -> String {
    let source = redact(
        repo.repo
            .upstream_url
            .as_deref()
            .unwrap_or("another repository"),
    );
    format!(
        "{} is a mirror of {source}; pushes are not accepted. Push to {source} instead, or turn mirroring off.",
        repo.full_name()
    )
}

/// Finds `owner/repo` (`repo` may end in `.git`) and checks the caller (by the `Authorization`
/// in `headers`, from `client`) may have `access` to it: [`caller`], then [`permit`].
///
/// # Errors
/// The [`GitRefusal`] to answer with.
pub async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    client: IpAddr,
    owner: &str,
    repo: &str,
    access: Access,
) -> Result<Repo, GitRefusal> {
    let viewer = caller(state, headers, client, access).await?;
    permit(state, viewer.as_ref(), owner, repo, access).await
}

/// Who calls, by the `Authorization` in `headers` (from `client`, for throttling passwords),
/// for `access` (a read-only token may not write): `None` when anonymous.
///
/// # Errors
/// Wrong credentials, a read-only token's write, a throttled client, or a failure on our
/// side.
pub async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    client: IpAddr,
    access: Access,
) -> Result<Option<user::Model>, GitRefusal> {
    match caller_with_scope(state, headers, client).await? {
        Some((_, TokenScope::Read)) if access == Access::Write => {
            Err(GitRefusal::Forbidden(READ_ONLY))
        }
        found => Ok(found.map(|(user, _)| user)),
    }
}

/// Who calls and what their credentials let them do, by the `Authorization` in `headers`
/// (from `client`, for throttling passwords), checked once: `None` when anonymous.
///
/// # Errors
/// Wrong credentials, a disabled account's password, a throttled client, or a failure on our
/// side.
pub async fn caller_with_scope(
    state: &AppState,
    headers: &HeaderMap,
    client: IpAddr,
) -> Result<Option<(user::Model, TokenScope)>, GitRefusal> {
    let Some(creds) = credentials(headers) else {
        return Ok(None);
    };
    match resolve_with_terms(state, &creds, client).await {
        Ok(Some((user, terms))) => Ok(Some((user, terms.scope))),
        Ok(None) => Err(GitRefusal::Unauthorized("authentication failed")),
        Err(Error::TooManyRequests { retry_after_secs }) => {
            Err(GitRefusal::Throttled(retry_after_secs))
        }
        Err(Error::Forbidden(_)) => Err(GitRefusal::Forbidden(DISABLED)),
        Err(e) => Err(internal(e)),
    }
}

/// Finds `owner/repo` (`repo` may end in `.git`) and checks `viewer` may have `access` to it
/// ([`allows`]).
///
/// # Errors
/// The [`GitRefusal`] to answer with.
pub async fn permit(
    state: &AppState,
    viewer: Option<&user::Model>,
    owner: &str,
    repo: &str,
    access: Access,
) -> Result<Repo, GitRefusal> {
    let name = repo.strip_suffix(".git").unwrap_or(repo);
    match repos::find(&state.db, owner, name)
        .await
        .map_err(internal)?
    {
        Some(repo) => allows(state, repo, viewer, access).await,
        None => {
            let moved = repos::redirects::follow(&state.db, owner, name)
                .await
                .map_err(internal)?;
            if let Some(moved) = moved {
                // Told where it went only when the caller may read it there.
                let to = moved.full_name();
                allows(state, moved, viewer, Access::Read).await?;
                return Err(GitRefusal::Moved(to));
            }
            if viewer.is_none() {
                Err(GitRefusal::Unauthorized("authentication required"))
            } else {
                Err(GitRefusal::NotFound)
            }
        }
    }
}

/// Whether `viewer` may have `access` to `repo` ([`repos::access`]'s decision). Anonymous
/// callers may read public repositories; everything else asks them for credentials, without
/// revealing whether the repository exists. Writing takes the owner, a member with `write` or
/// `owner`, or an administrator, and a repository that pulls from elsewhere refuses it.
///
/// # Errors
/// The [`GitRefusal`] to answer with.
pub async fn allows(
    state: &AppState,
    repo: Repo,
    viewer: Option<&user::Model>,
    access: Access,
) -> Result<Repo, GitRefusal> {
    let needs_write = access == Access::Write;
    let may = repos::access::permission(&state.db, &repo, viewer)
        .await
        .map_err(internal)?;
    match viewer {
        None if !needs_write && may >= Permission::Read => {}
        None => return Err(GitRefusal::Unauthorized("authentication required")),
        Some(_) if may < Permission::Read => return Err(GitRefusal::NotFound),
        Some(_) if needs_write && may < Permission::Write => {
            return Err(GitRefusal::Forbidden(
                "only the owner, a member with write access or an administrator may push to this repository",
            ));
        }
        Some(_) => {}
    }
    if needs_write && rejects_push(&repo.repo) {
        return Err(GitRefusal::Mirror(Box::new(repo)));
    }
    Ok(repo)
}

fn internal(e: Error) -> GitRefusal {
    tracing::error!(error = %e, "git request failed");
    GitRefusal::Internal
}
