//! `/api/docs`: Swagger UI over `/api/v1/openapi.json`, its files compiled into the binary
//! (`utoipa-swagger-ui`, feature `vendored`), under a Content-Security-Policy of its own that
//! lets it run and load nothing from anywhere else.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use utoipa_swagger_ui::Config;

use crate::{
    error::{Error, PageError},
    state::AppState,
};

/// Where Swagger UI is served.
pub const PATH: &str = "/api/docs";

/// The policy of the Swagger UI answers only: its own scripts and styles (and the inline
/// styles it sets), images also as `data:` URIs, requests only to this server, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                       img-src 'self' data:; connect-src 'self'; object-src 'none'; \
                       base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The Swagger UI routes: the page at `/api/docs` and `/api/docs/`, its files below.
pub fn router() -> Router<AppState> {
    // No validator: Swagger UI would otherwise send the document to validator.swagger.io.
    let config = Arc::new(Config::new([super::api::OPENAPI_PATH]).validator_url("none"));
    let page = {
        let config = Arc::clone(&config);
        move || {
            let config = Arc::clone(&config);
            async move { file("", &config) }
        }
    };
    Router::new()
        .route(PATH, get(page.clone()))
        .route(&format!("{PATH}/"), get(page))
        .route(
            &format!("{PATH}/{{*file}}"),
            get(move |Path(tail): Path<String>| async move { file(&tail, &config) }),
        )
}

/// One file of Swagger UI (`""`: the page), with its type and the docs' own CSP.
fn file(tail: &str, config: &Arc<Config<'static>>) -> Response {
    let found = match utoipa_swagger_ui::serve(tail, Arc::clone(config)) {
        Ok(Some(found)) => found,
        Ok(None) => return PageError(Error::NotFound("file")).into_response(),
        Err(e) => {
            return PageError(Error::internal_msg(format!("swagger ui: {e}"))).into_response();
        }
    };
    let body = if tail.is_empty() || tail == "index.html" {
        // The page is also served at `/api/docs` (no slash), where its relative links would
        // leave the folder: a `<base>` keeps them under `/api/docs/`.
        Body::from(String::from_utf8_lossy(&found.bytes).replacen(
            "<head>",
            &format!("<head>\n    <base href=\"{PATH}/\">"),
            1,
        ))
    } else {
        Body::from(found.bytes.into_owned())
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    if let Ok(content_type) = HeaderValue::from_str(&found.content_type) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    if found.gzpipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}
