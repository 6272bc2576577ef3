//! `/{owner}/{repo}/blob/{rev}/{path}`: a file with line numbers and a link to each line
//! (`#L12`); Markdown rendered (its source at `?plain=1`); binary and large files, and
//! files kept with Git LFS, as a download. A path that names a directory goes to its page.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    Bar, RepoHead,
    links::{View, code_url},
    markdown::{self, Place},
    redirect_to,
};
use crate::{
    error::{Error, PageError},
    git::browse::{
        self,
        blob::{Content, SHOWN_LIMIT},
        tree::{Found, is_markdown},
    },
    lfs::{object_io, store::Oid},
    state::AppState,
    web::{
        extract::{PageRepo, Read},
        html::{page::Layout, repo_mirror::sync_widget::human_bytes},
    },
};

/// The blob route.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/{owner}/{repo}/blob/{*rest}", get(page))
}

/// What the file page shows of the file.
#[derive(Debug, Clone)]
pub enum Shown {
    /// Text, line by line.
    Lines(Vec<String>),
    /// Markdown, rendered and sanitised.
    Rendered(std::sync::Arc<str>),
    /// Binary: a download.
    Binary,
    /// Too large to show: a download.
    TooLarge,
    /// A Git LFS pointer: the object's size and whether it is stored here.
    Lfs {
        /// The object's size in words.
        size: String,
        /// Whether its object is stored here (else there is nothing to download).
        stored: bool,
    },
}

/// A file's page.
#[derive(Template, WebTemplate)]
#[template(path = "code/blob.html")]
struct BlobPage {
    /// Header and navigation.
    layout: Layout,
    /// The repository's heading and tabs.
    head: RepoHead,
    /// The switcher, the path and the latest commit.
    bar: Bar,
    /// Its size in words.
    size: String,
    /// What is shown of it.
    shown: Shown,
    /// Its bytes.
    raw_url: String,
    /// Its bytes, an LFS object in the pointer's place.
    media_url: String,
    /// A Markdown file's source (when it is shown rendered) or rendering (when plain).
    toggle: Option<(String, &'static str)>,
    /// The most the page shows as text, in words.
    shown_limit: String,
}

impl BlobPage {
    /// How many lines are shown.
    fn line_count(&self) -> usize {
        match &self.shown {
            Shown::Lines(lines) => lines.len(),
            _ => 0,
        }
    }
}

/// `?plain=1` shows a Markdown file's source.
#[derive(Debug, Deserialize)]
struct BlobQuery {
    /// Show the source, not the rendering.
    plain: Option<u8>,
}

/// The file page, or a redirect to the directory page when the path is a directory.
async fn page(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Read>,
    Path((_, _, rest)): Path<(String, String, String)>,
    Query(query): Query<BlobQuery>,
) -> Result<Response, PageError> {
    let head = RepoHead::new(&access.repo, access.permission, "code");
    let read = browse::read(
        access.repo.repo.id,
        access.repo.path(&state.config),
        move |git| {
            let location = browse::locate(git, &rest)?;
            let file = match location.found {
                Found::File(id) => browse::blob::show(git, id)?,
                Found::Dir(_) => return Ok(Err(location)),
                Found::Submodule(_) => return Err(Error::NotFound("file")),
            };
            let latest = browse::commit_summary(git, &location.rev.commit);
            Ok(Ok((location, file, browse::ref_names(git), latest)))
        },
    )
    .await?;
    let (location, file, names, latest) = match read {
        Ok(found) => found,
        Err(dir) => return Ok(redirect_to(&head, View::Tree, &dir)),
    };
    let bar = Bar::new(&head, names, &location, latest);
    let (rev, path) = (location.rev, location.path);
    let blob_url = code_url(&head.owner, &head.name, View::Blob, &rev.name, &path);
    let markdown_file = is_markdown(path.name());
    let plain = query.plain == Some(1);
    let shown = match file.content {
        Content::Text(text) if markdown_file && !plain => {
            let place = Place {
                owner: head.owner.clone(),
                repo: head.name.clone(),
                rev: rev.name.clone(),
                dir: path.parent(),
            };
            Shown::Rendered(markdown::render_kept(&file.id, &text, &place))
        }
        Content::Text(text) => Shown::Lines(text.lines().map(str::to_owned).collect()),
        Content::Binary => Shown::Binary,
        Content::TooLarge => Shown::TooLarge,
        Content::Lfs { oid, size } => {
            let stored = match Oid::parse(&oid) {
                Ok(oid) => {
                    object_io::verify(&state.db, &state.lfs, access.repo.repo.id, &oid, size)
                        .await?
                        == object_io::Verified::Stored
                }
                Err(_) => false,
            };
            Shown::Lfs {
                size: human_bytes(size),
                stored,
            }
        }
    };
    let toggle = match &shown {
        Shown::Rendered(_) => Some((format!("{blob_url}?plain=1"), "Source")),
        Shown::Lines(_) if markdown_file => Some((blob_url.clone(), "Rendered")),
        _ => None,
    };
    let layout = Layout::new(&state, &session, access.viewer.as_ref()).await?;
    Ok(BlobPage {
        layout,
        bar,
        size: human_bytes(file.size),
        shown,
        raw_url: code_url(&head.owner, &head.name, View::Raw, &rev.name, &path),
        media_url: code_url(&head.owner, &head.name, View::Media, &rev.name, &path),
        toggle,
        shown_limit: human_bytes(SHOWN_LIMIT),
        head,
    }
    .into_response())
}
