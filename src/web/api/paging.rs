//! `?limit=&page=` of list routes (checked ranges, so an offset never overflows) and the
//! answer of every list: one page as JSON with the `X-Total-Count` and `Link` headers Gitea
//! sends.

use axum::{
    Json,
    extract::{FromRequestParts, OriginalUri},
    http::{HeaderMap, HeaderName, HeaderValue, Uri, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

use crate::{
    error::Error,
    paging::{Page, Window},
    state::AppState,
    web::extract::BaseUrl,
};

/// Largest `page` accepted.
pub const MAX_PAGE: u64 = 100_000;

/// `?limit=&page=` of our own lists (runs, `/mirrors`): `limit` 1–100, default 20.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page, 1–100 (default 20).
    pub limit: Option<u64>,
    /// Page number, from 1.
    pub page: Option<u64>,
}

impl Paging {
    /// The rows asked for.
    ///
    /// # Errors
    /// 400 naming the parameter that is out of range.
    pub fn window(self) -> Result<Window, Error> {
        window(self.limit, self.page, 20, 100)
    }
}

/// `?limit=&page=` of our own lists that answered whole before they were paged (kept refs,
/// account mirrors and their repositories): `limit` 1–1000, default 1000, so that a caller
/// who read them whole still does unless they are longer.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LongPaging {
    /// Items per page, 1–1000 (default 1000).
    pub limit: Option<u64>,
    /// Page number, from 1.
    pub page: Option<u64>,
}

impl LongPaging {
    /// The rows asked for.
    ///
    /// # Errors
    /// 400 naming the parameter that is out of range.
    pub fn window(self) -> Result<Window, Error> {
        window(self.limit, self.page, 1000, 1000)
    }
}

/// `?limit=&page=` of the lists Gitea has too (repositories, organisations, members, push
/// mirrors, accounts): Gitea's `limit` 1–50, default 30.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GiteaPaging {
    /// Items per page, 1–50 (default 30).
    pub limit: Option<u64>,
    /// Page number, from 1.
    pub page: Option<u64>,
}

impl GiteaPaging {
    /// The rows asked for.
    ///
    /// # Errors
    /// 400 naming the parameter that is out of range.
    pub fn window(self) -> Result<Window, Error> {
        window(self.limit, self.page, 30, 50)
    }
}

/// `limit` (`default_limit` when not given, at most `max_limit`) and `page` checked.
fn window(
    limit: Option<u64>,
    page: Option<u64>,
    default_limit: u64,
    max_limit: u64,
) -> Result<Window, Error> {
    let limit = limit.unwrap_or(default_limit);
    let page = page.unwrap_or(1);
    if !(1..=max_limit).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "limit must be between 1 and {max_limit}"
        )));
    }
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(Error::BadRequest(format!(
            "page must be between 1 and {MAX_PAGE}"
        )));
    }
    Ok(Window {
        limit,
        offset: (page - 1) * limit,
    })
}

/// Where a list's page links point: the request's path and query under the public base URL.
#[derive(Debug, Clone)]
pub struct ListUrl {
    /// The request's own path and query.
    uri: Uri,
    /// `MIRRORFORGE_PUBLIC_URL` or the address bound.
    base: String,
}

impl FromRequestParts<AppState> for ListUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |OriginalUri(uri)| uri.clone());
        let BaseUrl(base) = BaseUrl::from_request_parts(parts, state).await?;
        Ok(Self { uri, base })
    }
}

impl ListUrl {
    /// The public base URL, for the items' own links.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }
}

/// One page of a list as Gitea answers it: the items as JSON, `X-Total-Count`, and `Link` to
/// the other pages.
#[derive(Debug)]
pub struct Paged<T> {
    page: Page<T>,
    window: Window,
    url: ListUrl,
}

impl<T> Paged<T> {
    /// `page`, the `window` it answers, at `url`.
    #[must_use]
    pub fn new(page: Page<T>, window: Window, url: ListUrl) -> Self {
        Self { page, window, url }
    }
}

impl<T: Serialize> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-total-count"),
            HeaderValue::from(self.page.total),
        );
        let links = link_header(
            &self.url.uri,
            &self.url.base,
            self.page.total,
            self.window.limit,
            self.window.page_number(),
        );
        if !links.is_empty()
            && let Ok(value) = HeaderValue::from_str(&links)
        {
            headers.insert(header::LINK, value);
        }
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Link, X-Total-Count"),
        );
        (headers, Json(self.page.items)).into_response()
    }
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

    #[test]
    fn windows_and_refusals() {
        let paging = |limit, page| Paging { limit, page }.window().ok();
        let at = |limit, offset| Some(Window { limit, offset });
        assert_eq!(paging(None, None), at(20, 0));
        assert_eq!(paging(Some(100), Some(MAX_PAGE)), at(100, 9_999_900));
        assert!(paging(Some(0), None).is_none());
        assert!(paging(Some(101), None).is_none());
        assert!(paging(None, Some(0)).is_none());
        assert!(paging(None, Some(u64::MAX)).is_none());
        let gitea = |limit, page| GiteaPaging { limit, page }.window().ok();
        assert_eq!(gitea(None, Some(2)), at(30, 30));
        assert!(gitea(Some(51), None).is_none());
        let long = |limit, page| LongPaging { limit, page }.window().ok();
        assert_eq!(long(None, None), at(1000, 0));
        assert!(long(Some(1001), None).is_none());
    }

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
