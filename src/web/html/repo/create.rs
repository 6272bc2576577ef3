//! `/repo/new`: the form for a new repository and its submission.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    error::PageError,
    repos::{self, NewRepo, access},
    state::AppState,
    web::extract::CsrfForm,
    web::{
        extract::WebUser,
        html::{
            owner_choice::{OwnerChoice, OwnerQuery, form_errors},
            page::{FormErrors, Layout},
        },
    },
};

/// `/repo/new`.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/repo/new", get(new_page).post(create))
}

/// The form for a new repository.
#[derive(Template, WebTemplate)]
#[template(path = "repo/new.html")]
struct NewRepoTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The owners the user may create in, and the one chosen.
    owner: OwnerChoice,
    /// The name typed, kept after a failed attempt.
    name: String,
    /// The description typed, kept after a failed attempt.
    description: String,
    /// Whether "private" was ticked.
    private: bool,
    /// Inline messages for `name` and `description`.
    errors: FormErrors,
}

async fn new_page(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    Query(query): Query<OwnerQuery>,
) -> Result<NewRepoTemplate, PageError> {
    Ok(NewRepoTemplate {
        owner: OwnerChoice::load(&state.db, &user, &query.owner).await?,
        layout: Layout::new(&state, &session, Some(&user)).await?,
        name: String::new(),
        description: String::new(),
        private: false,
        errors: FormErrors::default(),
    })
}

/// Fields of the new-repository form; an unticked checkbox is simply absent.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewRepoForm {
    owner: String,
    name: String,
    description: String,
    private: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(form): CsrfForm<NewRepoForm>,
) -> Result<Response, PageError> {
    let new = NewRepo {
        name: form.name.trim().to_owned(),
        description: form.description,
        private: form.private.is_some(),
        made_by: None,
        ..NewRepo::default()
    };
    let created = match access::owner_to_create_in(&state.db, &user, Some(&form.owner)).await {
        Ok(owner) => repos::create(&state.db, &state.config, &owner, new.clone()).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(repo) => {
            tracing::info!(repo_id = repo.repo.id, repo = %repo.full_name(), "repository created");
            // Both parts passed the name rules (ASCII letters, digits, `.`, `_`, `-`).
            Ok(Redirect::to(&format!("/{}", repo.full_name())).into_response())
        }
        Err(err) => {
            let (status, errors) = form_errors(err, &["owner", "name", "description"], "name")?;
            let page = NewRepoTemplate {
                owner: OwnerChoice::load(&state.db, &user, &form.owner).await?,
                layout: Layout::new(&state, &session, Some(&user)).await?,
                name: new.name,
                description: new.description,
                private: new.private,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{super::test_layout::layout, *};

    #[test]
    fn the_form_keeps_what_was_typed_next_to_its_error() {
        let html = NewRepoTemplate {
            layout: layout(),
            owner: OwnerChoice::example(),
            name: "typed name".to_owned(),
            description: "</textarea><script>x</script>".to_owned(),
            private: true,
            errors: FormErrors::on("name", "name may contain only letters"),
        }
        .render()
        .unwrap();
        // The macro's own `id` parameter must not shadow the value passed in.
        assert!(html.contains(r#"value="typed name""#), "{html}");
        assert!(html.contains(r#"id="name-error">name may contain only letters<"#));
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(!html.contains("<script>x"), "user text is escaped");
        assert!(html.contains(" checked"));
        assert!(html.contains(r#"name="csrf_token" value="t0k3n""#));
    }
}
