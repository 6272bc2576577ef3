//! Repository pages: `/repo/new`, the repository page `/{owner}/{repo}` and its delete
//! confirmation `/{owner}/{repo}/settings/delete`.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    mirror::sync_widget::{Place, SyncWidget},
    page::{FormErrors, Layout, TimeView, set_flash},
};
use crate::{
    auth::csrf::CsrfForm,
    entities::mirror_enums::SyncStatus,
    error::PageError,
    git::{browse, storage::DEFAULT_BRANCH},
    repos::{self, NewRepo},
    state::AppState,
    web::extract::{BaseUrl, WebUser},
};

/// How many commits of the default branch the repository page lists.
const COMMIT_LIMIT: usize = 20;

/// The repository routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repo/new", get(new_page).post(create))
        .route("/{owner}/{repo}", get(show))
        .route(
            "/{owner}/{repo}/settings/delete",
            get(delete_page).post(delete),
        )
}

/// The form for a new repository.
#[derive(Template, WebTemplate)]
#[template(path = "repo/new.html")]
struct NewRepoTemplate {
    /// Header and navigation.
    layout: Layout,
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
) -> Result<NewRepoTemplate, PageError> {
    Ok(NewRepoTemplate {
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
    };
    match repos::create(&state.db, &state.config, &user, new.clone()).await {
        Ok(repo) => {
            tracing::info!(repo_id = repo.repo.id, repo = %repo.full_name(), "repository created");
            // Both parts passed the name rules (ASCII letters, digits, `.`, `_`, `-`).
            Ok(Redirect::to(&format!("/{}", repo.full_name())).into_response())
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, &["name", "description"], "name")?;
            let page = NewRepoTemplate {
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

/// One commit in the repository page's list.
struct CommitRow {
    /// Full object id, as a tooltip.
    id: String,
    /// Seven-character id.
    short_id: String,
    /// First line of the message.
    summary: String,
    /// Author name.
    author: String,
    /// Author time.
    time: TimeView,
}

/// The repository page.
#[derive(Template, WebTemplate)]
#[template(path = "repo/show.html")]
struct RepoTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// Free text; may be empty.
    description: String,
    /// Hidden from everyone but the owner and admins.
    private: bool,
    /// `BASE/OWNER/NAME.git`, from the public URL (or the bound address).
    clone_url: String,
    /// Whether the viewer may delete it (owner or admin).
    can_admin: bool,
    /// Nothing pushed yet: show push instructions instead of refs and commits.
    empty: bool,
    /// The branch HEAD points at, if it exists.
    default_branch: Option<String>,
    /// The branch the push instructions name (`main`, what HEAD of a new repository names).
    push_branch: &'static str,
    /// Branch names, sorted.
    branches: Vec<String>,
    /// Tag names, sorted.
    tags: Vec<String>,
    /// The latest commits of the default branch, newest first.
    commits: Vec<CommitRow>,
    /// The mirror sync widget, for the owner and admins, when the repository mirrors (or
    /// its import is still running).
    widget: Option<SyncWidget>,
    /// Empty while its first sync runs: say so instead of showing push instructions.
    importing: bool,
}

async fn show(
    State(state): State<AppState>,
    session: Session,
    viewer: Option<WebUser>,
    BaseUrl(base): BaseUrl,
    Path((owner, name)): Path<(String, String)>,
) -> Result<RepoTemplate, PageError> {
    let viewer = viewer.map(|WebUser(user)| user);
    // `/OWNER/NAME.git` is the clone URL; pasted into a browser it shows the page too.
    let name = name.strip_suffix(".git").unwrap_or(&name);
    let repo = repos::find_readable(&state.db, &owner, name, viewer.as_ref()).await?;
    let overview = browse::overview(repo.path(&state.config), COMMIT_LIMIT).await?;
    let now = Utc::now();
    let layout = Layout::new(&state, &session, viewer.as_ref()).await?;
    let widget = (repo.can_admin(viewer.as_ref())
        && (repo.repo.mirror_enabled || repo.repo.sync_status == SyncStatus::Syncing))
        .then(|| SyncWidget::new(&state, &repo, layout.csrf_token.clone(), Place::Repo));
    Ok(RepoTemplate {
        layout,
        importing: overview.is_empty() && widget.as_ref().is_some_and(SyncWidget::syncing),
        widget,
        clone_url: format!("{base}/{}.git", repo.full_name()),
        can_admin: repo.can_admin(viewer.as_ref()),
        empty: overview.is_empty(),
        default_branch: overview.default_branch,
        push_branch: DEFAULT_BRANCH,
        branches: overview.branches,
        tags: overview.tags,
        commits: overview
            .commits
            .into_iter()
            .map(|c| CommitRow {
                id: c.id,
                short_id: c.short_id,
                summary: c.summary,
                author: c.author,
                time: TimeView::new(c.time, now),
            })
            .collect(),
        owner: repo.owner.username,
        name: repo.repo.name,
        description: repo.repo.description,
        private: repo.repo.is_private,
    })
}

/// "Type the repository name to confirm."
#[derive(Template, WebTemplate)]
#[template(path = "repo/delete.html")]
struct DeleteTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Owner's username.
    owner: String,
    /// Repository name, which must be typed exactly.
    name: String,
    /// What was typed, kept after a mismatch.
    typed: String,
    /// Inline message for the confirmation field.
    errors: FormErrors,
}

async fn delete_page(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    Path((owner, name)): Path<(String, String)>,
) -> Result<DeleteTemplate, PageError> {
    let repo = repos::find_admin(&state.db, &owner, &name, &user).await?;
    Ok(DeleteTemplate {
        layout: Layout::new(&state, &session, Some(&user)).await?,
        owner: repo.owner.username,
        name: repo.repo.name,
        typed: String::new(),
        errors: FormErrors::default(),
    })
}

/// The confirmation form: the repository name, typed again.
#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    name: String,
}

async fn delete(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    Path((owner, name)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<Response, PageError> {
    let repo = repos::find_admin(&state.db, &owner, &name, &user).await?;
    if form.name != repo.repo.name {
        let message = format!(
            "type the name exactly as shown, {}, to confirm",
            repo.repo.name
        );
        let page = DeleteTemplate {
            layout: Layout::new(&state, &session, Some(&user)).await?,
            owner: repo.owner.username,
            name: repo.repo.name,
            typed: form.name,
            errors: FormErrors::on("name", message),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let full_name = repo.full_name();
    let repo_id = repo.repo.id;
    repos::delete(&state.db, &state.config, repo).await?;
    tracing::info!(repo_id, repo = %full_name, user_id = user.id, "repository deleted");
    set_flash(&session, format!("Repository {full_name} deleted.")).await?;
    Ok(Redirect::to("/").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            username: Some("alice".to_owned()),
            csrf_token: "t0k3n".to_owned(),
            registration_open: true,
            flash: None,
        }
    }

    #[test]
    fn the_form_keeps_what_was_typed_next_to_its_error() {
        let html = NewRepoTemplate {
            layout: layout(),
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

    #[test]
    fn an_empty_repository_shows_push_instructions() {
        let html = RepoTemplate {
            layout: layout(),
            owner: "alice".to_owned(),
            name: "demo".to_owned(),
            description: "<b>hi</b>".to_owned(),
            private: false,
            clone_url: "http://127.0.0.1:8080/alice/demo.git".to_owned(),
            can_admin: false,
            empty: true,
            default_branch: None,
            push_branch: DEFAULT_BRANCH,
            branches: Vec::new(),
            tags: Vec::new(),
            commits: Vec::new(),
            widget: None,
            importing: false,
        }
        .render()
        .unwrap();
        assert!(html.contains("git remote add origin http://127.0.0.1:8080/alice/demo.git"));
        assert!(html.contains("git push -u origin main"));
        assert!(!html.contains("<b>hi</b>"));
        assert!(!html.contains("Delete repository"));
    }
}
