//! `/account-mirrors/new`: the form for a new account mirror, its "Preview" (what the first
//! discovery would make; nothing is made) and "Create". With htmx the preview comes alone from
//! `/account-mirrors/preview` into the form's page, so what was typed (the token too) stays
//! in the browser; without JavaScript the form comes back with the preview below it and the
//! token field empty, asking for it again: a token is never written into a page.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_sessions::Session;

use super::form::{AccountMirrorForm, FIELDS, FormView, KINDS, PROVIDERS};
use crate::{
    entities::user,
    error::{Error, PageError},
    mirror::account_mirrors::{
        plan::{Skipped, ToAdd},
        spec, store,
    },
    repos::access,
    state::AppState,
    web::{
        extract::{CsrfForm, WebUser},
        html::{
            forms::{from_htmx, no_store},
            owner_choice::{OwnerChoice, OwnerQuery, form_errors},
            page::{FormErrors, Layout, flash_redirect},
        },
    },
};

/// `/account-mirrors/new` and the preview fragment.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account-mirrors/new", get(new_page).post(submit))
        .route("/account-mirrors/preview", post(preview))
}

/// What the first discovery would do, or why it cannot be said.
pub(super) struct PreviewView {
    /// Repositories that would become mirrors.
    add: Vec<ToAdd>,
    /// Repositories left out, and why.
    skipped: Vec<Skipped>,
    /// Why there is no preview: the forge could not be read, the owner was refused.
    problem: Option<String>,
    /// Bad fields, labelled (the fragment cannot mark them on the form).
    fields: Vec<(&'static str, String)>,
}

impl PreviewView {
    /// A preview that could not be made, for `problem`.
    fn failed(problem: String) -> Self {
        Self {
            add: Vec::new(),
            skipped: Vec::new(),
            problem: Some(problem),
            fields: Vec::new(),
        }
    }

    /// Whether a preview was made.
    fn made(&self) -> bool {
        self.problem.is_none() && self.fields.is_empty()
    }
}

/// The new-account-mirror form.
#[derive(Template, WebTemplate)]
#[template(path = "account_mirror/new.html")]
struct NewTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The owners the user administers, and the one chosen.
    owner: OwnerChoice,
    /// What the form shows.
    form: FormView,
    /// Inline messages.
    errors: FormErrors,
    /// The preview asked for without JavaScript.
    preview: Option<PreviewView>,
    /// A token was typed before the preview: it has to be typed again to create.
    token_again: bool,
    /// Always false here: the form is for a new account mirror.
    editing: bool,
    /// The smallest sync interval accepted.
    min_interval: i64,
    /// The provider select's options.
    providers: &'static [(&'static str, &'static str)],
    /// The account-kind select's options.
    kinds: &'static [(&'static str, &'static str)],
}

/// The preview alone, for htmx to put under the form.
#[derive(Template, WebTemplate)]
#[template(path = "account_mirror/partials/preview.html")]
struct PreviewFragment {
    /// The preview.
    view: PreviewView,
}

impl NewTemplate {
    async fn build(
        state: &AppState,
        session: &Session,
        user: &user::Model,
        owner: &str,
        form: FormView,
    ) -> Result<Self, Error> {
        Ok(Self {
            layout: Layout::new(state, session, Some(user)).await?,
            owner: OwnerChoice::administered(&state.db, user, owner).await?,
            form,
            errors: FormErrors::default(),
            preview: None,
            token_again: false,
            editing: false,
            min_interval: state.config.min_sync_interval,
            providers: PROVIDERS,
            kinds: KINDS,
        })
    }
}

async fn new_page(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    Query(query): Query<OwnerQuery>,
) -> Result<NewTemplate, PageError> {
    Ok(NewTemplate::build(&state, &session, &user, &query.owner, FormView::blank()).await?)
}

/// The label of a field, for messages shown away from it.
fn label(field: &str) -> &'static str {
    match field {
        "provider" => "Provider",
        "api_url" => "API URL",
        "account" => "Account",
        "account_kind" => "Account kind",
        "owner" => "Owner",
        "token" => "Token",
        "include" => "Include",
        "exclude" => "Exclude",
        "sync_interval" => "Sync interval",
        "discovery_interval" => "Discovery interval",
        "on_removed" => "When a repository leaves",
        "notify_url" => "Notify URL",
        _ => "Form",
    }
}

/// What the first discovery of `form` would do, with the status to answer; a refused owner
/// or bad field comes back as inline messages.
async fn plan_of(
    state: &AppState,
    user: &user::Model,
    form: &AccountMirrorForm,
) -> Result<(StatusCode, PreviewView, FormErrors), Error> {
    let changes = form.changes(false);
    let checked = match access::owner_to_administer(&state.db, user, Some(&form.owner)).await {
        Ok(owner) => spec::check(&state.config, &changes.fields).map(|spec| (owner, spec)),
        Err(err) => Err(err),
    };
    let (owner, spec) = match checked {
        Ok(found) => found,
        Err(err) => {
            let (status, errors) = form_errors(err, FIELDS, "account")?;
            let view = PreviewView {
                add: Vec::new(),
                skipped: Vec::new(),
                problem: errors.form.clone(),
                fields: FIELDS
                    .iter()
                    .filter(|f| !errors.of(f).is_empty())
                    .map(|f| (label(f), errors.of(f).to_owned()))
                    .collect(),
            };
            return Ok((status, view, errors));
        }
    };
    match state
        .discoverer
        .preview_new(&owner, &spec, changes.token)
        .await
    {
        Ok(plan) => Ok((
            StatusCode::OK,
            PreviewView {
                add: plan.add,
                skipped: plan.skipped,
                problem: None,
                fields: Vec::new(),
            },
            FormErrors::default(),
        )),
        Err(Error::Remote(message)) => {
            let message = format!("The account could not be listed: {message}");
            Ok((
                StatusCode::BAD_GATEWAY,
                PreviewView::failed(message.clone()),
                FormErrors::whole_form(message),
            ))
        }
        Err(err) => Err(err),
    }
}

/// The form page again with the preview of what was typed below it (without JavaScript), or
/// with why there is none above it; the token field empty, asking for the token again when
/// one was typed.
async fn preview_page(
    state: &AppState,
    session: &Session,
    user: &user::Model,
    form: &AccountMirrorForm,
) -> Result<Response, Error> {
    let (status, view, errors) = plan_of(state, user, form).await?;
    let mut page = NewTemplate::build(
        state,
        session,
        user,
        &form.owner,
        FormView::typed(form, false),
    )
    .await?;
    page.token_again = !form.token.trim().is_empty();
    page.errors = errors;
    // Bad fields are marked at the fields and a failed listing above the form: the preview
    // section shows only a preview made.
    page.preview = view.made().then_some(view);
    let mut response = (status, page).into_response();
    no_store(&mut response);
    Ok(response)
}

/// "Preview" with htmx: the preview alone (answered 200 or 422 so htmx shows it, whatever the
/// forge said); without htmx the form page with the preview.
async fn preview(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<AccountMirrorForm>,
) -> Result<Response, PageError> {
    if !from_htmx(&headers) {
        return Ok(preview_page(&state, &session, &user, &form).await?);
    }
    let (status, view, _) = plan_of(&state, &user, &form).await?;
    let status = if view.made() || status == StatusCode::BAD_GATEWAY {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = (status, PreviewFragment { view }).into_response();
    no_store(&mut response);
    Ok(response)
}

/// "Preview" (the form again with the preview) or "Create account mirror" (made, its first
/// discovery started, and on to its page).
async fn submit(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(form): CsrfForm<AccountMirrorForm>,
) -> Result<Response, PageError> {
    if form.previews() {
        return Ok(preview_page(&state, &session, &user, &form).await?);
    }
    let changes = form.changes(false);
    let made = match access::owner_to_administer(&state.db, &user, Some(&form.owner)).await {
        Ok(owner) => {
            store::create(&state.db, &state.config, &state.secrets, &owner, &changes).await
        }
        Err(err) => Err(err),
    };
    match made {
        Ok(row) => {
            tracing::info!(
                account_mirror_id = row.id,
                user_id = user.id,
                "account mirror created"
            );
            let notice = if row.enabled {
                match state.discoverer.start(row.id).await {
                    Ok(()) => "Account mirror created. Its first discovery has started.",
                    Err(Error::Conflict(_)) => "Account mirror created. A discovery is running.",
                    Err(err) => return Err(err.into()),
                }
            } else {
                "Account mirror created. Discoveries are off: press \"Discover now\" to look."
            };
            Ok(flash_redirect(&session, notice, &format!("/account-mirrors/{}", row.id)).await?)
        }
        Err(err) => {
            let (status, errors) = form_errors(err, FIELDS, "account")?;
            let mut page = NewTemplate::build(
                &state,
                &session,
                &user,
                &form.owner,
                FormView::typed(&form, false),
            )
            .await?;
            page.errors = errors;
            page.token_again = !form.token.trim().is_empty();
            Ok((status, page).into_response())
        }
    }
}
