//! `/login`, `/register`, `/logout`: the account pages, on the same services as the API.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{RawQuery, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::{Expiry, Session};

use super::page::{CsrfOnly, FormErrors, Layout, set_flash};
use crate::{
    accounts::users::{self, NewUser},
    auth::{SESSION_LIFETIME, SESSION_STAMP, SESSION_USER_ID, csrf, session_stamp},
    config::Registration,
    entities::user,
    error::{Error, PageError, in_words},
    state::AppState,
    web::extract::CsrfForm,
    web::extract::{ClientAddr, WebUser},
};

/// The account routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/register", get(register_page).post(register))
        .route("/logout", get(logout_page).post(logout))
}

/// Where to go after logging in: `next` if it is a path on this site, else the dashboard.
///
/// Only a single leading `/` is accepted: `//host` and `/\host` are read by browsers as other
/// sites, and anything outside visible ASCII (spaces, control characters) could not even be a
/// `Location` header.
#[must_use]
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.len() <= 2048
                && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            path
        }
        _ => "/",
    }
}

/// The `next` parameter of a query string, if any (the first one wins).
fn next_param(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned())
}

/// Marks the session as `user`'s: a new session id against fixation, a new CSRF token, and a
/// user's lifetime instead of a visitor's.
async fn log_in(session: &Session, user: &user::Model) -> Result<(), Error> {
    session.cycle_id().await.map_err(Error::internal)?;
    session.set_expiry(Some(Expiry::OnInactivity(SESSION_LIFETIME)));
    csrf::rotate(session).await?;
    session
        .insert(SESSION_STAMP, session_stamp(user))
        .await
        .map_err(Error::internal)?;
    session
        .insert(SESSION_USER_ID, user.id)
        .await
        .map_err(Error::internal)
}

/// The login form.
#[derive(Template, WebTemplate)]
#[template(path = "account/login.html")]
struct LoginTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The username typed before, kept after a failed attempt (never the password).
    username: String,
    /// Where to go afterwards; already checked by [`safe_next`].
    next: String,
    /// What went wrong with the last attempt.
    errors: FormErrors,
}

async fn login_page(
    State(state): State<AppState>,
    session: Session,
    viewer: Option<WebUser>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let next = safe_next(next_param(query.as_deref()).as_deref()).to_owned();
    if viewer.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    Ok(LoginTemplate {
        layout: Layout::with_form(&state, &session, None).await?,
        username: String::new(),
        next,
        errors: FormErrors::default(),
    }
    .into_response())
}

/// Fields of the login form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
}

async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    session: Session,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(Some(&form.next)).to_owned();
    let username = form.username.trim();
    let outcome =
        users::authenticate(&state.db, &state.throttle, client, username, &form.password).await;
    let (status, message, retry_after) = match outcome {
        Ok(Some(user)) => {
            log_in(&session, &user).await?;
            tracing::info!(user_id = user.id, "logged in");
            return Ok(Redirect::to(&next).into_response());
        }
        Ok(None) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Incorrect username or password.".to_owned(),
            None,
        ),
        Err(Error::TooManyRequests { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed attempts for this account. Try again in {}.",
                in_words(retry_after_secs)
            ),
            Some(retry_after_secs),
        ),
        Err(Error::Forbidden(message)) => (StatusCode::FORBIDDEN, message, None),
        Err(other) => return Err(other.into()),
    };
    let page = LoginTemplate {
        layout: Layout::with_form(&state, &session, None).await?,
        username: username.to_owned(),
        next,
        errors: FormErrors::whole_form(message),
    };
    let mut response = (status, page).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Ok(response)
}

/// The registration form, or the notice that registration is closed.
#[derive(Template, WebTemplate)]
#[template(path = "account/register.html")]
struct RegisterTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Whether registration is open; when not, the page only says so.
    open: bool,
    /// The username typed before, kept after a failed attempt.
    username: String,
    /// The email typed before, kept after a failed attempt.
    email: String,
    /// Inline messages for `username`, `email` and `password`.
    errors: FormErrors,
}

async fn register_page(
    State(state): State<AppState>,
    session: Session,
    viewer: Option<WebUser>,
) -> Result<Response, PageError> {
    if viewer.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let open = state.config.registration == Registration::Open;
    let layout = if open {
        Layout::with_form(&state, &session, None).await?
    } else {
        Layout::new(&state, &session, None).await?
    };
    Ok(RegisterTemplate {
        layout,
        open,
        username: String::new(),
        email: String::new(),
        errors: FormErrors::default(),
    }
    .into_response())
}

/// Fields of the registration form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterForm {
    username: String,
    email: String,
    password: String,
}

async fn register(
    State(state): State<AppState>,
    session: Session,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, PageError> {
    let layout = Layout::with_form(&state, &session, None).await?;
    if state.config.registration == Registration::Closed {
        let page = RegisterTemplate {
            layout,
            open: false,
            username: String::new(),
            email: String::new(),
            errors: FormErrors::default(),
        };
        return Ok((StatusCode::FORBIDDEN, page).into_response());
    }
    let new = NewUser {
        username: form.username.trim().to_owned(),
        email: form.email.trim().to_owned(),
        password: form.password,
        is_admin: false,
    };
    let (username, email) = (new.username.clone(), new.email.clone());
    match users::create(&state.db, new).await {
        Ok(user) => {
            log_in(&session, &user).await?;
            set_flash(&session, format!("Welcome, {}!", user.username)).await?;
            tracing::info!(user_id = user.id, "registered");
            Ok(Redirect::to("/").into_response())
        }
        Err(err) => {
            let (status, errors) =
                FormErrors::from_service(err, &["username", "email", "password"], "username")?;
            let page = RegisterTemplate {
                layout,
                open: true,
                username,
                email,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

/// A page with the logout button, for someone who typed `/logout`.
#[derive(Template, WebTemplate)]
#[template(path = "account/logout.html")]
struct LogoutTemplate {
    /// Header and navigation (its CSRF token also protects this page's form).
    layout: Layout,
}

async fn logout_page(
    State(state): State<AppState>,
    session: Session,
    viewer: Option<WebUser>,
) -> Result<Response, PageError> {
    let Some(WebUser(user)) = viewer else {
        return Ok(Redirect::to("/").into_response());
    };
    Ok(LogoutTemplate {
        layout: Layout::new(&state, &session, Some(&user)).await?,
    }
    .into_response())
}

async fn logout(
    session: Session,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    session.flush().await.map_err(Error::internal)?;
    Ok(Redirect::to("/").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_local_paths() {
        for good in [
            "/",
            "/alice/repo",
            "/user/settings/tokens?x=1&y=%2F",
            "/a#frag",
        ] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "",
            "alice/repo",
            "//evil.example/",
            "/\\evil.example",
            "/ok\\..",
            "https://evil.example/",
            "javascript:alert(1)",
            "/path with space",
            "/line\r\nSet-Cookie: x=1",
            "/caf\u{e9}",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(3000)))), "/");
    }

    #[test]
    fn next_is_read_from_the_query_string() {
        assert_eq!(
            next_param(Some("next=%2Fa%2Fb%3Fc%3D1&next=%2Fother")).as_deref(),
            Some("/a/b?c=1")
        );
        assert_eq!(next_param(Some("other=1")), None);
        assert_eq!(next_param(None), None);
        assert_eq!(next_param(Some("next=%ZZ")).as_deref(), Some("%ZZ"));
    }
}
