//! `/user/settings/tokens`: list, create (shown once) and revoke personal access tokens.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::page::{CsrfOnly, FormErrors, Layout, TimeView, set_flash};
use crate::{
    accounts::tokens,
    entities::user,
    error::{Error, PageError},
    state::AppState,
    web::extract::CsrfForm,
    web::extract::WebUser,
};

const PAGE: &str = "/user/settings/tokens";

/// The token routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(show).post(create))
        .route("/user/settings/tokens/{id}/revoke", post(revoke))
}

/// One token in the list; never the secret, only its last eight characters.
struct TokenRow {
    /// Row id, for the revoke button.
    id: i64,
    /// The name the user gave it.
    name: String,
    /// Last eight characters, to tell tokens apart.
    last_eight: String,
    /// When it was created.
    created: TimeView,
    /// When it last authenticated something, if ever.
    last_used: Option<TimeView>,
    /// `read` or `write`.
    scope: &'static str,
    /// When it stops (or stopped) working, if it does.
    expires: Option<TimeView>,
    /// Whether it has expired.
    expired: bool,
}

/// A token just created: the only time its secret is rendered.
struct CreatedToken {
    /// The name the user gave it.
    name: String,
    /// The token itself.
    secret: String,
}

/// The tokens page.
#[derive(Template, WebTemplate)]
#[template(path = "user/tokens.html")]
struct TokensTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The user's tokens, newest first.
    tokens: Vec<TokenRow>,
    /// Set only on the response to a successful create.
    created: Option<CreatedToken>,
    /// The name typed into the create form, kept after a failed attempt.
    name: String,
    /// Inline message for `name`.
    errors: FormErrors,
}

impl TokensTemplate {
    /// The page for `user` with the given form state.
    async fn build(
        state: &AppState,
        session: &Session,
        user: &user::Model,
        created: Option<CreatedToken>,
        name: String,
        errors: FormErrors,
    ) -> Result<Self, Error> {
        let now = Utc::now();
        let tokens = tokens::list(&state.db, user.id)
            .await?
            .into_iter()
            .map(|t| TokenRow {
                scope: tokens::TokenScope::of(&t).word(),
                id: t.id,
                name: t.name,
                last_eight: t.token_last_eight,
                created: TimeView::new(t.created_at, now),
                last_used: t.last_used_at.map(|at| TimeView::new(at, now)),
                expired: t.expires_at.is_some_and(|at| at <= now),
                expires: t.expires_at.map(|at| TimeView::new(at, now)),
            })
            .collect();
        Ok(Self {
            layout: Layout::new(state, session, Some(user)).await?,
            tokens,
            created,
            name,
            errors,
        })
    }
}

async fn show(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
) -> Result<TokensTemplate, PageError> {
    Ok(TokensTemplate::build(
        &state,
        &session,
        &user,
        None,
        String::new(),
        FormErrors::default(),
    )
    .await?)
}

/// Fields of the create form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateForm {
    name: String,
    /// `write` (the default) or `read`.
    scope: String,
    /// Days until it expires; empty: never.
    expires_in_days: String,
}

impl CreateForm {
    /// The terms chosen in the form.
    fn terms(&self) -> Result<tokens::TokenTerms, Error> {
        let scope = match self.scope.as_str() {
            "" => tokens::TokenScope::Write,
            word => tokens::TokenScope::parse(word)?,
        };
        let expires_at = match self.expires_in_days.trim() {
            "" => None,
            days => {
                let days: i64 = days
                    .parse()
                    .ok()
                    .filter(|d| (1..=3650).contains(d))
                    .ok_or_else(|| Error::field("expires_in_days", "pick when it expires"))?;
                Some(Utc::now() + chrono::Duration::days(days))
            }
        };
        Ok(tokens::TokenTerms { expires_at, scope })
    }
}

async fn create(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> Result<Response, PageError> {
    let made = match form.terms() {
        Ok(terms) => tokens::create_with(&state.db, user.id, &form.name, terms).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(created) => {
            tracing::info!(
                user_id = user.id,
                token_id = created.row.id,
                "token created"
            );
            let created = CreatedToken {
                name: created.row.name,
                secret: created.secret,
            };
            let page = TokensTemplate::build(
                &state,
                &session,
                &user,
                Some(created),
                String::new(),
                FormErrors::default(),
            )
            .await?;
            // The secret is in this page: no cache may keep it.
            let mut response = page.into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(err) => {
            let (status, errors) =
                FormErrors::from_service(err, &["name", "scope", "expires_in_days"], "name")?;
            let page =
                TokensTemplate::build(&state, &session, &user, None, form.name, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

/// Revokes one of the user's tokens and comes back to the list, naming it in the notice.
async fn revoke(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    Path(id): Path<String>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound("token"))?;
    let name = tokens::list(&state.db, user.id)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .map(|t| t.name)
        .ok_or(Error::NotFound("token"))?;
    tokens::revoke(&state.db, &state.accounts, user.id, id).await?;
    tracing::info!(user_id = user.id, token_id = id, "token revoked");
    set_flash(
        &session,
        format!("Token “{name}” revoked: scripts using it now get 401."),
    )
    .await?;
    Ok(Redirect::to(PAGE).into_response())
}
