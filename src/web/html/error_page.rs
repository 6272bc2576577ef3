//! Error pages inside the site's frame: a page answered with an error (a missing repository,
//! an unknown path, a refused action) keeps the header and navigation of every other page, so
//! a person can go on from it. `PageError` leaves its sentence on the response
//! ([`ErrorPageText`]); [`dress`] renders it again in `error.html` for a browser's plain visit.

use askama::Template;
use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use tower_sessions::Session;

use super::page::Layout;
use crate::{error::ErrorPageText, state::AppState, web::extract::caller::user_of_session};

/// An error shown inside the site's frame.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    /// Header and navigation.
    layout: Layout,
    /// The status code, e.g. 404.
    code: u16,
    /// Its reason phrase, e.g. "Not Found".
    reason: &'static str,
    /// What went wrong, in a sentence.
    message: String,
}

/// Renders an error page's sentence inside the site's frame, for who is logged in. htmx
/// requests keep the plain answer (the page script says why instead of swapping it in), and
/// so does any answer this layer cannot dress (the session store failed).
pub async fn dress(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let from_htmx = request.headers().contains_key("hx-request");
    let response = next.run(request).await;
    let Some(text) = response.extensions().get::<ErrorPageText>().cloned() else {
        return response;
    };
    let Some(session) = session.filter(|_| !from_htmx) else {
        return response;
    };
    match frame(&state, &session, response.status(), text).await {
        Some(body) => {
            let (mut parts, _) = response.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            (parts, Html(body)).into_response()
        }
        None => response,
    }
}

/// The framed page's HTML, or `None` when the layout could not be built or rendered.
async fn frame(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    text: ErrorPageText,
) -> Option<String> {
    let viewer = user_of_session(session, state).await.ok().flatten();
    let layout = Layout::new(state, session, viewer.as_ref()).await.ok()?;
    let page = ErrorPage {
        layout,
        code: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("Error"),
        message: text.message,
    };
    page.render()
        .inspect_err(|e| tracing::error!(error = %e, "error page did not render"))
        .ok()
}
