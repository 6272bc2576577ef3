//! `/{owner}/{repo}`: the repository page — clone URL, the sync widget for its owner, and its
//! contents (branches, tags, recent commits). The contents are one partial,
//! `repo/partials/contents.html`, rendered inside the page and alone, for htmx, when a sync
//! ends. A repository whose import failed says so at the top, with the error and what to do.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use tower_sessions::Session;

use super::empty_state::{EmptyState, ImportFailure};
use std::collections::HashSet;

use crate::{
    entities::mirror_enums::SyncStatus,
    error::{Error, PageError},
    git::{
        browse::{self, path::TreePath, refs::RevKind},
        storage::DEFAULT_BRANCH,
    },
    lfs::{links, store::Oid},
    repos::{Permission, Repo},
    state::AppState,
    web::{
        extract::{BaseUrl, PageRepo, Read},
        html::{
            code::{
                CommitRow, RepoHead, Switcher,
                links::{View, code_url},
                listing::ListingView,
            },
            forms::{from_htmx, no_store},
            page::Layout,
            repo_mirror::sync_widget::{SyncWidget, WidgetPlace, human_bytes},
        },
    },
};

/// The repository page and its contents fragment.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}", get(show))
        .route("/{owner}/{repo}/contents", get(contents))
}

/// The default branch's files, as the repository page shows them (like Gitea's and
/// GitHub's): the switcher, the latest commit, links to the history, branches and tags, the
/// root directory and its README.
struct CodeView {
    /// The branch and tag switcher.
    switcher: Switcher,
    /// The default branch's latest commit.
    latest: Option<CommitRow>,
    /// The default branch's history.
    commits_url: String,
    /// The root directory and its README.
    listing: ListingView,
}

/// The repository's contents as the partial shows them.
struct RepoContents {
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// `BASE/OWNER/NAME.git`, from the public URL (or the bound address).
    clone_url: String,
    /// Whether the page has the sync widget, whose end of sync refreshes the contents.
    live: bool,
    /// What it says when empty: push instructions only where a push is accepted.
    state: EmptyState,
    /// No refs: show `state` instead of refs and commits.
    empty: bool,
    /// The branch the push instructions name (`main`, what HEAD of a new repository names).
    push_branch: &'static str,
    /// The default branch's files, when there is a default branch.
    code: Option<CodeView>,
    /// How many branches and tags there are.
    counts: (usize, usize),
    /// Files of the default branch kept with Git LFS.
    lfs_files: Vec<LfsRow>,
    /// Why some of their objects are not here, when some are not.
    lfs_missing: Option<LfsMissing>,
    /// Whether the viewer manages the repository (and is offered its settings).
    can_admin: bool,
}

/// A file kept with Git LFS, as the repository page lists it.
struct LfsRow {
    /// Its path on the default branch.
    path: String,
    /// Its size in words ("1.4 MiB"), as its pointer gives it.
    size: String,
    /// Whether its object is stored here (else `git lfs pull` cannot get it).
    stored: bool,
}

/// Why LFS objects the files point to are not stored here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LfsMissing {
    /// A pull mirror that does not fetch LFS objects.
    MirrorWithoutLfs,
    /// A pull mirror that fetches them, whose sync has not brought them (yet).
    NotYetSynced,
    /// Not a pull mirror: the objects were never pushed (or imported) here.
    NeverPushed,
}

impl LfsMissing {
    /// Why `repo`'s missing objects are missing.
    fn of(repo: &crate::entities::repository::Model) -> Self {
        match (
            repo.upstream_url.is_some() && repo.mirror_direction.pulls(),
            repo.lfs_enabled,
        ) {
            (true, false) => Self::MirrorWithoutLfs,
            (true, true) => Self::NotYetSynced,
            (false, _) => Self::NeverPushed,
        }
    }
}

impl RepoContents {
    /// Reads `repo`'s refs and default branch from disk, and which of its LFS objects are
    /// stored here, for a viewer who may do `may`.
    async fn load(
        state: &AppState,
        base: &str,
        repo: &Repo,
        live: bool,
        may: Permission,
    ) -> Result<Self, Error> {
        let can_admin = may == Permission::Admin;
        let overview = browse::overview(repo.repo.id, repo.path(&state.config)).await?;
        let empty = overview.is_empty();
        let oids: Vec<Oid> = overview
            .lfs_files
            .iter()
            .filter_map(|f| Oid::parse(&f.oid).ok())
            .collect();
        let stored = if oids.is_empty() {
            HashSet::new()
        } else {
            links::linked_among(&state.db, repo.repo.id, &oids).await?
        };
        let lfs_files: Vec<LfsRow> = overview
            .lfs_files
            .into_iter()
            .map(|f| LfsRow {
                stored: Oid::parse(&f.oid).is_ok_and(|oid| stored.contains(&oid)),
                path: f.path,
                size: human_bytes(f.size),
            })
            .collect();
        let lfs_missing = lfs_files
            .iter()
            .any(|f| !f.stored)
            .then(|| LfsMissing::of(&repo.repo));
        let head = RepoHead::new(repo, may, "code");
        let counts = (overview.names.branch_count, overview.names.tag_count);
        let code = match (overview.names.default_branch.clone(), overview.root) {
            (Some(branch), Some(root)) => Some(CodeView {
                latest: overview.tip.map(|c| CommitRow::new(&head, c)),
                commits_url: code_url(
                    &head.owner,
                    &head.name,
                    View::Commits,
                    &branch,
                    &TreePath::default(),
                ),
                listing: ListingView::new(&head, &branch, &TreePath::default(), root),
                switcher: Switcher::new(
                    &head,
                    overview.names,
                    &branch,
                    RevKind::Branch,
                    View::Tree,
                ),
            }),
            _ => None,
        };
        Ok(Self {
            owner: repo.owner.username.clone(),
            name: repo.repo.name.clone(),
            clone_url: format!("{base}/{}.git", repo.full_name()),
            live,
            state: EmptyState::of(&repo.repo),
            empty,
            push_branch: DEFAULT_BRANCH,
            code,
            counts,
            lfs_files,
            lfs_missing,
            can_admin,
        })
    }

    /// Empty while its import or first sync runs.
    fn importing(&self) -> bool {
        self.empty && self.state == EmptyState::Importing
    }

    /// An empty pull mirror that has not synced (or mirrors an empty upstream).
    fn not_synced(&self) -> bool {
        self.empty && self.state == EmptyState::NotSynced
    }

    /// Empty because its import failed (the top of the page says why).
    fn failed(&self) -> bool {
        self.empty && self.state == EmptyState::Failed
    }

    /// LFS objects are missing because the mirror does not fetch them.
    fn lfs_off(&self) -> bool {
        self.lfs_missing == Some(LfsMissing::MirrorWithoutLfs)
    }

    /// LFS objects are missing although the mirror fetches them.
    fn lfs_pending(&self) -> bool {
        self.lfs_missing == Some(LfsMissing::NotYetSynced)
    }

    /// How many listed LFS files have no object here.
    fn lfs_absent(&self) -> usize {
        self.lfs_files.iter().filter(|f| !f.stored).count()
    }

    /// Where htmx fetches the contents again.
    fn fragment_url(&self) -> String {
        format!("/{}/{}/contents", self.owner, self.name)
    }
}

/// Whether a viewer who may do `may` sees the sync widget on `repo`'s page: whoever may press
/// "Sync now" (write), when it mirrors (or its import still runs).
fn shows_widget(repo: &Repo, may: Permission) -> bool {
    may >= Permission::Write
        && (repo.repo.mirror_enabled || repo.repo.sync_status == SyncStatus::Syncing)
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
    /// Whether the viewer may delete it (owner or admin).
    can_admin: bool,
    /// The upstream's URL (without credentials), when the repository mirrors one.
    mirror_of: Option<String>,
    /// The mirror sync widget, for the owner and admins, when the repository mirrors (or
    /// its import is still running).
    widget: Option<SyncWidget>,
    /// Branches, tags and commits.
    contents: RepoContents,
    /// Its import failed: the error and what to do, at the top.
    failure: Option<ImportFailure>,
    /// Commits of each ref's history it keeps, when it is a shallow mirror.
    shallow_depth: Option<i32>,
}

/// The repository page; `/OWNER/NAME.git`, the clone URL pasted into a browser, shows it too.
async fn show(
    State(state): State<AppState>,
    session: Session,
    BaseUrl(base): BaseUrl,
    access: PageRepo<Read>,
) -> Result<RepoTemplate, PageError> {
    let (repo, viewer, may) = (access.repo, access.viewer, access.permission);
    let layout = Layout::new(&state, &session, viewer.as_ref()).await?;
    let widget = if shows_widget(&repo, may) {
        let mut widget =
            SyncWidget::load(&state, &repo, layout.csrf_token.clone(), WidgetPlace::Repo).await?;
        widget.administers = may == Permission::Admin;
        Some(widget)
    } else {
        None
    };
    let can_admin = may == Permission::Admin;
    let contents = RepoContents::load(&state, &base, &repo, widget.is_some(), may).await?;
    Ok(RepoTemplate {
        failure: ImportFailure::of(&repo.repo, contents.empty),
        shallow_depth: Some(repo.repo.upstream_depth).filter(|d| *d > 0),
        layout,
        widget,
        contents,
        can_admin,
        mirror_of: repo
            .repo
            .upstream_url
            .clone()
            .filter(|_| repo.repo.mirror_enabled && repo.repo.mirror_direction.pulls()),
        owner: repo.owner.username,
        name: repo.repo.name,
        description: repo.repo.description,
        private: repo.repo.is_private,
    })
}

/// The contents alone, for htmx.
#[derive(Template, WebTemplate)]
#[template(path = "repo/partials/contents.html")]
struct ContentsFragment {
    /// Branches, tags and commits.
    contents: RepoContents,
}

/// The contents fragment: only for htmx (a plain visit goes to the repository page).
async fn contents(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    access: PageRepo<Read>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (repo, may) = (access.repo, access.permission);
    if !from_htmx(&headers) {
        return Ok(Redirect::to(&format!("/{}", repo.full_name())).into_response());
    }
    let live = shows_widget(&repo, may);
    let contents = RepoContents::load(&state, &base, &repo, live, may).await?;
    let mut response = ContentsFragment { contents }.into_response();
    no_store(&mut response);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{super::test_layout::layout, *};

    #[test]
    fn an_empty_repository_shows_push_instructions() {
        let html = RepoTemplate {
            layout: layout(),
            owner: "alice".to_owned(),
            name: "demo".to_owned(),
            description: "<b>hi</b>".to_owned(),
            private: false,
            can_admin: false,
            mirror_of: None,
            widget: None,
            failure: None,
            shallow_depth: None,
            contents: RepoContents {
                owner: "alice".to_owned(),
                name: "demo".to_owned(),
                clone_url: "http://127.0.0.1:8080/alice/demo.git".to_owned(),
                live: false,
                state: EmptyState::Push,
                empty: true,
                push_branch: DEFAULT_BRANCH,
                code: None,
                counts: (0, 0),
                lfs_files: Vec::new(),
                lfs_missing: None,
                can_admin: false,
            },
        }
        .render()
        .unwrap();
        assert!(html.contains("git remote add origin http://127.0.0.1:8080/alice/demo.git"));
        assert!(html.contains("git push -u origin main"));
        assert!(!html.contains("<b>hi</b>"));
        assert!(!html.contains("Delete repository"));
    }

    fn empty_contents(state: EmptyState) -> RepoContents {
        RepoContents {
            owner: "alice".to_owned(),
            name: "m".to_owned(),
            clone_url: "http://127.0.0.1:8080/alice/m.git".to_owned(),
            live: true,
            state,
            empty: true,
            push_branch: DEFAULT_BRANCH,
            code: None,
            counts: (0, 0),
            lfs_files: Vec::new(),
            lfs_missing: None,
            can_admin: true,
        }
    }

    fn page(state: EmptyState, failure: Option<ImportFailure>, can_admin: bool) -> String {
        RepoTemplate {
            layout: layout(),
            owner: "alice".to_owned(),
            name: "m".to_owned(),
            description: String::new(),
            private: false,
            can_admin,
            mirror_of: None,
            widget: None,
            failure,
            shallow_depth: None,
            contents: empty_contents(state),
        }
        .render()
        .unwrap()
    }

    #[test]
    fn a_failed_import_says_why_and_offers_a_retry_to_its_owner_only() {
        use super::super::empty_state::Retry;
        let failure = || {
            Some(ImportFailure {
                error: "authentication failed <for> reader".to_owned(),
                retry: Retry::Sync,
            })
        };
        let html = page(EmptyState::Failed, failure(), true);
        assert!(html.contains("The first sync of this mirror failed"));
        assert!(
            html.contains("authentication failed &#60;for&#62; reader"),
            "{html}"
        );
        assert!(html.contains(r#"action="/alice/m/mirror/sync""#));
        assert!(html.contains(">Retry<"));
        assert!(html.contains(r#"href="/alice/m/settings/mirror""#));
        assert!(!html.contains("git push"));
        let reader = page(EmptyState::Failed, failure(), false);
        assert!(reader.contains("authentication failed"));
        assert!(!reader.contains(">Retry<"));
        assert!(!reader.contains("Edit settings"));
        let one_time = page(
            EmptyState::Failed,
            Some(ImportFailure {
                error: "not found".to_owned(),
                retry: Retry::ImportAgain,
            }),
            true,
        );
        assert!(one_time.contains("The import failed"));
        assert!(one_time.contains("Delete and import again"));
        assert!(!one_time.contains(">Retry<"));
    }

    #[test]
    fn an_empty_mirror_never_shows_push_instructions() {
        for (state, words) in [
            (EmptyState::NotSynced, "This mirror has not been synced yet"),
            (EmptyState::Importing, "Importing…"),
        ] {
            let html = page(state, None, true);
            assert!(html.contains(words), "{html}");
            assert!(!html.contains("git push"));
            assert!(!html.contains("git remote add"));
        }
    }
}
