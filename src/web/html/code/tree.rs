//! `/{owner}/{repo}/tree/{rev}/{path}`: a directory at a branch, tag or commit, with its
//! README. A path that names a file goes to its file page.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::get,
};
use tower_sessions::Session;

use super::{Bar, RepoHead, links::View, listing::ListingView, redirect_to};
use crate::{
    error::PageError,
    git::browse::{self, tree::Found},
    state::AppState,
    web::{
        extract::{PageRepo, Read},
        html::page::Layout,
    },
};

/// The tree route.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/{owner}/{repo}/tree/{*rest}", get(page))
}

/// A directory's page.
#[derive(Template, WebTemplate)]
#[template(path = "code/tree.html")]
struct TreePage {
    /// Header and navigation.
    layout: Layout,
    /// The repository's heading and tabs.
    head: RepoHead,
    /// The switcher, the path and the latest commit.
    bar: Bar,
    /// The entries and README.
    listing: ListingView,
}

/// The directory page, or a redirect to the file page when the path is a file.
async fn page(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Read>,
    Path((_, _, rest)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let head = RepoHead::new(&access.repo, access.permission, "code");
    let read = browse::read(
        access.repo.repo.id,
        access.repo.path(&state.config),
        move |git| {
            let location = browse::locate(git, &rest)?;
            let Found::Dir(tree) = location.found else {
                return Ok(Err(location));
            };
            let listing = browse::tree::list(git, tree)?;
            let latest = browse::commit_summary(git, &location.rev.commit);
            Ok(Ok((location, listing, browse::ref_names(git), latest)))
        },
    )
    .await?;
    let (location, listing, names, latest) = match read {
        Ok(found) => found,
        Err(file) => return Ok(redirect_to(&head, View::Blob, &file)),
    };
    let layout = Layout::new(&state, &session, access.viewer.as_ref()).await?;
    Ok(TreePage {
        layout,
        bar: Bar::new(&head, names, &location, latest),
        listing: ListingView::new(&head, &location.rev.name, &location.path, listing),
        head,
    }
    .into_response())
}
