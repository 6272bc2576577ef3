//! A directory as the tree page and the repository page show it: its entries, each a link to
//! its page, and its README below them (Markdown rendered and sanitised, other text as is).

use super::{
    RepoHead,
    links::{View, code_url},
    markdown::{self, Place},
};
use crate::{
    git::browse::{
        path::TreePath,
        tree::{EntryKind, Listing},
    },
    web::html::repo_mirror::sync_widget::human_bytes,
};

/// One entry of the listing.
#[derive(Debug, Clone)]
pub struct EntryRow {
    /// Its name.
    pub name: String,
    /// Its page (a submodule has none).
    pub url: Option<String>,
    /// `dir`, `file`, `link` or `submodule`, for its icon and the screen reader.
    pub kind: &'static str,
    /// A file's size in words.
    pub size: String,
}

/// A directory's README, ready for the page.
#[derive(Debug, Clone)]
pub struct ReadmeView {
    /// Its file name.
    pub name: String,
    /// Its file page.
    pub url: String,
    /// Markdown rendered and sanitised.
    pub html: Option<std::sync::Arc<str>>,
    /// Other text, shown as is.
    pub text: Option<String>,
    /// Whether it was cut (too large to render whole).
    pub cut: bool,
}

/// A directory, ready for the page.
#[derive(Debug, Clone)]
pub struct ListingView {
    /// The entries, directories first.
    pub rows: Vec<EntryRow>,
    /// How many entries the directory holds (more than `rows` when very many).
    pub total: usize,
    /// The parent directory's page, below the root.
    pub up: Option<String>,
    /// The README, if there is one.
    pub readme: Option<ReadmeView>,
}

impl ListingView {
    /// The directory `dir` of `head`'s repository at `rev`, as `listing` read it.
    #[must_use]
    pub fn new(head: &RepoHead, rev: &str, dir: &TreePath, listing: Listing) -> Self {
        let url = |view, path: &TreePath| code_url(&head.owner, &head.name, view, rev, path);
        let rows = listing
            .entries
            .into_iter()
            .map(|entry| {
                let path = dir.join(&entry.name);
                let (kind, url) = match entry.kind {
                    EntryKind::Dir => ("dir", Some(url(View::Tree, &path))),
                    EntryKind::File => ("file", Some(url(View::Blob, &path))),
                    EntryKind::Symlink => ("link", Some(url(View::Blob, &path))),
                    EntryKind::Submodule => ("submodule", None),
                };
                EntryRow {
                    name: entry.name,
                    url,
                    kind,
                    size: entry.size.map(human_bytes).unwrap_or_default(),
                }
            })
            .collect();
        let readme = listing.readme.map(|readme| {
            let place = Place {
                owner: head.owner.clone(),
                repo: head.name.clone(),
                rev: rev.to_owned(),
                dir: dir.clone(),
            };
            ReadmeView {
                url: url(View::Blob, &dir.join(&readme.name)),
                html: readme
                    .markdown
                    .then(|| markdown::render_kept(&readme.id, &readme.text, &place)),
                text: (!readme.markdown).then_some(readme.text),
                cut: readme.cut,
                name: readme.name,
            }
        });
        Self {
            rows,
            total: listing.total,
            up: (!dir.is_root()).then(|| url(View::Tree, &dir.parent())),
            readme,
        }
    }

    /// How many entries are left out.
    #[must_use]
    pub fn left_out(&self) -> usize {
        self.total.saturating_sub(self.rows.len())
    }
}
