//! `/{owner}/{repo}/tree/{rev}/{path}`: a directory at a branch, tag or commit, with its
//! README. A path that names a file goes to its file page.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use tower_sessions::Session;

use super::{
    CommitRow, Crumb, RepoHead, Switcher, crumbs,
    links::{View, code_url},
    listing::ListingView,
};
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
    /// The branch and tag switcher.
    switcher: Switcher,
    /// The directories above this one.
    crumbs: Vec<Crumb>,
    /// This directory's name (empty at the root).
    here: String,
    /// The latest commit of the rev.
    latest: Option<CommitRow>,
    /// The rev's history.
    commits_url: String,
    /// The entries and README.
    listing: ListingView,
}

/// The directory page, or a redirect to the file page when the path is a file.
async fn page(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Read>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let rest = params.get("rest").cloned().unwrap_or_default();
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
        Err(file) => {
            let url = code_url(
                &head.owner,
                &head.name,
                View::Blob,
                &file.rev.name,
                &file.path,
            );
            return Ok(Redirect::to(&url).into_response());
        }
    };
    let layout = Layout::new(&state, &session, access.viewer.as_ref()).await?;
    let rev = location.rev;
    Ok(TreePage {
        layout,
        switcher: Switcher::new(&head, names, &rev.name, rev.kind, View::Tree),
        crumbs: crumbs(&head, &rev.name, &location.path),
        here: location.path.name().to_owned(),
        latest: latest.map(|c| CommitRow::new(&head, c)),
        commits_url: code_url(
            &head.owner,
            &head.name,
            View::Commits,
            &rev.name,
            &Default::default(),
        ),
        listing: ListingView::new(&head, &rev.name, &location.path, listing),
        head,
    }
    .into_response())
}
