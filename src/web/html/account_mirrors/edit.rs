//! `/account-mirrors/{id}/edit`: an account mirror's form, filled in with its settings (the
//! token field empty: left empty it keeps the token, "Clear the token" removes it); saved
//! through the same checks as the API's `PATCH`. The owner cannot change.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::get,
};
use tower_sessions::Session;

use super::form::{AccountMirrorForm, FIELDS, FormView, KINDS, PROVIDERS};
use crate::{
    error::PageError,
    mirror::account_mirrors::store::AccountMirror,
    state::AppState,
    web::{
        extract::{CsrfForm, PageAccountMirror},
        html::page::{FormErrors, Layout, flash_redirect},
    },
};

/// `/account-mirrors/{id}/edit`.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/account-mirrors/{id}/edit", get(edit_page).post(save))
}

/// An account mirror's edit form.
#[derive(Template, WebTemplate)]
#[template(path = "account_mirror/edit.html")]
struct EditTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Its page.
    href: String,
    /// `github:acme`, for the title.
    source: String,
    /// Where its mirrors land (fixed).
    owner_name: String,
    /// What the form shows.
    form: FormView,
    /// Inline messages.
    errors: FormErrors,
    /// Always true here: the token may be kept or cleared.
    editing: bool,
    /// Never asked here (there is no preview step).
    token_again: bool,
    /// The smallest sync interval accepted.
    min_interval: i64,
    /// The provider select's options.
    providers: &'static [(&'static str, &'static str)],
    /// The account-kind select's options.
    kinds: &'static [(&'static str, &'static str)],
}

impl EditTemplate {
    fn of(layout: Layout, account: &AccountMirror, form: FormView, min_interval: i64) -> Self {
        Self {
            layout,
            href: format!("/account-mirrors/{}", account.row.id),
            source: format!("{}:{}", account.row.provider, account.row.account),
            owner_name: account.owner.username.clone(),
            form,
            errors: FormErrors::default(),
            editing: true,
            token_again: false,
            min_interval,
            providers: PROVIDERS,
            kinds: KINDS,
        }
    }
}

async fn edit_page(
    State(state): State<AppState>,
    session: Session,
    access: PageAccountMirror,
) -> Result<EditTemplate, PageError> {
    let layout = Layout::new(&state, &session, Some(&access.viewer)).await?;
    let form = FormView::of(&access.account);
    Ok(EditTemplate::of(
        layout,
        &access.account,
        form,
        state.config.min_sync_interval,
    ))
}

async fn save(
    State(state): State<AppState>,
    session: Session,
    access: PageAccountMirror,
    CsrfForm(form): CsrfForm<AccountMirrorForm>,
) -> Result<Response, PageError> {
    let account = access.account;
    let changes = form.changes(true);
    match state.discoverer.change(account.clone(), &changes).await {
        Ok(AccountMirror { row, .. }) => {
            tracing::info!(
                account_mirror_id = row.id,
                user_id = access.viewer.id,
                "account mirror changed"
            );
            let to = format!("/account-mirrors/{}", row.id);
            Ok(flash_redirect(&session, "Account mirror saved.", &to).await?)
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, FIELDS, "account")?;
            let layout = Layout::new(&state, &session, Some(&access.viewer)).await?;
            let shown = FormView::typed(&form, account.row.token.is_some());
            let mut page =
                EditTemplate::of(layout, &account, shown, state.config.min_sync_interval);
            page.errors = errors;
            Ok((status, page).into_response())
        }
    }
}
