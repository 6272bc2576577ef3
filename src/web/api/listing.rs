//! The repository listing Gitea and Forgejo clients read: each repository in Gitea's shape,
//! paged by `?limit=&page=` with the `X-Total-Count` and `Link` headers Gitea sends. Shared by
//! every listing of an owner's repositories.

use axum::{
    Json,
    http::{HeaderMap, HeaderName, HeaderValue, Uri, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{paging::Paging, repos::RepoJson};
use crate::{
    error::Error,
    repos::listing::{ListingPage, Window},
};

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 30;
/// Largest `limit` accepted.
pub const MAX_LIMIT: u64 = 50;

/// `?limit=&page=` of a Gitea-shaped listing.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingQuery {
    /// Items per page, 1–50 (default 30).
    pub limit: Option<u64>,
    /// Page number, from 1.
    pub page: Option<u64>,
}

impl ListingQuery {
    /// The rows asked for.
    ///
    /// # Errors
    /// 400 naming the parameter that is out of range.
    pub fn window(self) -> Result<Window, Error> {
        let (limit, offset) = Paging {
            limit: self.limit,
            page: self.page,
        }
        .window_within(DEFAULT_LIMIT, MAX_LIMIT)?;
        Ok(Window { limit, offset })
    }
}

/// The answer of a listing: the page as JSON, `X-Total-Count`, and `Link` to the other pages
/// built from `uri` (the request's own path and query) under `base`.
#[must_use]
pub fn respond(page: &ListingPage, window: Window, uri: &Uri, base: &str) -> Response {
    let items: Vec<RepoJson> = page
        .items
        .iter()
        .map(|listed| RepoJson::new(listed, base))
        .collect();
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-total-count"),
        HeaderValue::from(page.total),
    );
    let current = window.offset / window.limit + 1;
    let links = link_header(uri, base, page.total, window.limit, current);
    if !links.is_empty()
        && let Ok(value) = HeaderValue::from_str(&links)
    {
        headers.insert(header::LINK, value);
    }
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Link, X-Total-Count"),
    );
    (headers, Json(items)).into_response()
}

/// Gitea's `Link`: `rel="next"`, `rel="last"`, `rel="first"`, `rel="prev"` in that order, each
/// present as Gitea's paginator decides (a page past the end counts as the last), joined by
/// `,`; each URL is the request's path with its query re-encoded by key and `page` set.
/// `""` when there is only one page.
fn link_header(uri: &Uri, base: &str, total: u64, limit: u64, page: u64) -> String {
    let pages = total.div_ceil(limit).max(1);
    let current = page.clamp(1, pages);
    let has_next = total > current * limit;
    let is_last = total == 0 || (total > (current - 1) * limit && !has_next);
    let mut links = Vec::with_capacity(4);
    let mut add = |to: u64, rel: &str| {
        links.push(format!("<{base}{}>; rel=\"{rel}\"", with_page(uri, to)));
    };
    if has_next {
        add(current + 1, "next");
    }
    if !is_last {
        add(pages, "last");
    }
    if current != 1 {
        add(1, "first");
    }
    if current > 1 {
        add(current - 1, "prev");
    }
    links.join(",")
}

/// `uri`'s path and query with `page` set to `page` (every other parameter kept), the query
/// sorted by key as Go's `url.Values.Encode` writes it.
fn with_page(uri: &Uri, page: u64) -> String {
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .filter(|(key, _)| key != "page")
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
    pairs.push(("page".to_owned(), page.to_string()));
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}?{query}", uri.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(query: &str, total: u64, limit: u64, page: u64) -> String {
        let uri: Uri = format!("/api/v1/users/alice/repos{query}")
            .parse()
            .expect("uri");
        link_header(&uri, "https://git.example.com", total, limit, page)
    }

    #[test]
    fn links_as_gitea_writes_them() {
        let at = |q: &str| format!("<https://git.example.com/api/v1/users/alice/repos?{q}>");
        assert_eq!(
            links("", 35, 30, 1),
            format!(
                "{}; rel=\"next\",{}; rel=\"last\"",
                at("page=2"),
                at("page=2")
            )
        );
        assert_eq!(
            links("?page=2&limit=30", 35, 30, 2),
            format!(
                "{}; rel=\"first\",{}; rel=\"prev\"",
                at("limit=30&page=1"),
                at("limit=30&page=1")
            )
        );
        assert_eq!(
            links("?limit=10&page=2&x=a+b", 35, 10, 2),
            format!(
                "{}; rel=\"next\",{}; rel=\"last\",{}; rel=\"first\",{}; rel=\"prev\"",
                at("limit=10&page=3&x=a+b"),
                at("limit=10&page=4&x=a+b"),
                at("limit=10&page=1&x=a+b"),
                at("limit=10&page=1&x=a+b")
            )
        );
        // One page, or none: no header.
        assert_eq!(links("", 5, 30, 1), "");
        assert_eq!(links("", 0, 30, 1), "");
        // Past the end counts as the last page.
        assert_eq!(
            links("?page=9", 35, 30, 9),
            format!(
                "{}; rel=\"first\",{}; rel=\"prev\"",
                at("page=1"),
                at("page=1")
            )
        );
    }
}
