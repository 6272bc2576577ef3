//! The push mirrors section of the mirror settings page: the list (URL, last result, what a
//! sync does there, "Sync now", edit, remove) and the "Add push mirror" form, which a push
//! mirror's own page shares.

use askama::Template;
use chrono::Utc;
use sea_orm::EntityTrait;

use crate::{
    entities::{mirror_enums::SyncStatus, push_mirror, repository},
    error::Error,
    git::fetch_push::{
        filter::RefFilter,
        ref_map::{MapRule, RefMap},
    },
    mirror::push_mirrors,
    state::AppState,
    web::html::{
        page::{FormErrors, TimeView},
        repo_mirror::ref_map_rows,
    },
};

/// One push mirror in the list.
pub struct PushRow {
    /// Its id.
    pub id: i64,
    /// Where it pushes.
    pub url: String,
    /// A sync of the repository runs that pushes here: the card polls until it ends.
    pub pushing: bool,
    /// `idle`, `syncing`, `success` or `failed` (a class name).
    pub status: &'static str,
    /// Readable status.
    pub status_label: &'static str,
    /// When it was last pushed to successfully.
    pub last_synced: Option<TimeView>,
    /// Why its last push failed ("" when it did not).
    pub last_error: String,
    /// Pushed by syncs.
    pub enabled: bool,
    /// Pushed after every `git push`.
    pub sync_on_push: bool,
    /// Which refs it carries, in words.
    pub refs: String,
    /// Its branch map as "from → to" pairs ("" when it pushes under the same names).
    pub renames: String,
    /// What a sync does there, in plain words.
    pub effect: &'static str,
}

impl PushRow {
    /// `m` as its card shows it; `pushing` while a sync of the repository runs that pushes
    /// to it (then the card says so, and polls until it ends).
    fn new(m: &push_mirror::Model, pushing: bool) -> Self {
        let filter = RefFilter::from_json(&m.ref_filter);
        let (status, status_label) = match m.last_status {
            _ if pushing => ("syncing", "Pushing…"),
            SyncStatus::Success => ("success", "Pushed"),
            SyncStatus::Failed => ("failed", "Failed"),
            SyncStatus::Syncing => ("syncing", "Pushing…"),
            SyncStatus::Idle => ("idle", "Not pushed yet"),
        };
        Self {
            id: m.id,
            url: m.remote_url.clone(),
            pushing,
            status,
            status_label,
            last_synced: m.last_synced_at.map(|t| TimeView::new(t, Utc::now())),
            last_error: m.last_error.clone().unwrap_or_default(),
            enabled: m.enabled,
            sync_on_push: m.sync_on_push,
            refs: if filter.is_empty() {
                "every branch and tag".to_owned()
            } else {
                filter.patterns().join(", ")
            },
            renames: renames(&RefMap::from_json(&m.ref_map)),
            effect: if m.keep_divergent_refs {
                "Keeps divergent refs: a sync only adds and fast-forwards there. A ref changed \
                 there in another way, or deleted here, is left as it is there."
            } else {
                "A sync overwrites every ref it carries there with this repository's (even \
                 commits made only there are lost) and deletes there what was deleted here."
            },
        }
    }
}

/// `map`'s rules in words, "from → to" each, in order ("" for an empty map).
fn renames(map: &RefMap) -> String {
    map.rules()
        .iter()
        .map(|r| format!("{} → {}", r.from, r.to))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the push mirror form shows: stored or typed values, never a password.
#[derive(Debug, Clone)]
pub struct PushValues {
    /// The URL.
    pub url: String,
    /// The username.
    pub username: String,
    /// Whether a password is stored (editing).
    pub password_set: bool,
    /// Whether "remove the stored password" was ticked.
    pub password_clear: bool,
    /// Pushed by syncs.
    pub enabled: bool,
    /// Pushed after every `git push`.
    pub sync_on_push: bool,
    /// Divergent refs kept there.
    pub keep_divergent: bool,
    /// The ref filter, one pattern a line.
    pub filter: String,
    /// The branch map's rules, as stored or typed.
    pub ref_map: Vec<MapRule>,
}

impl Default for PushValues {
    fn default() -> Self {
        Self {
            url: String::new(),
            username: String::new(),
            password_set: false,
            password_clear: false,
            enabled: true,
            sync_on_push: false,
            keep_divergent: false,
            filter: String::new(),
            ref_map: Vec::new(),
        }
    }
}

impl PushValues {
    /// The form filled in from what is stored.
    #[must_use]
    pub fn stored(m: &push_mirror::Model) -> Self {
        Self {
            url: m.remote_url.clone(),
            username: m.remote_username.clone().unwrap_or_default(),
            password_set: m.remote_password.is_some(),
            password_clear: false,
            enabled: m.enabled,
            sync_on_push: m.sync_on_push,
            keep_divergent: m.keep_divergent_refs,
            filter: RefFilter::from_json(&m.ref_filter).patterns().join("\n"),
            ref_map: RefMap::from_json(&m.ref_map).rules().to_vec(),
        }
    }

    /// The branch map's rows as the form shows them: the rules, then a few empty rows.
    #[must_use]
    pub fn ref_map_rows(&self) -> Vec<MapRule> {
        ref_map_rows::rows(&self.ref_map)
    }
}

/// The push mirror form: to add one (on the settings page) or to edit one (its own page).
pub struct PushForm {
    /// Where it is sent.
    pub action: String,
    /// The submit button's words.
    pub submit: &'static str,
    /// What it shows.
    pub values: PushValues,
    /// Inline messages.
    pub errors: FormErrors,
}

impl PushForm {
    /// The empty "Add push mirror" form of `owner/name`.
    #[must_use]
    pub fn adding(owner: &str, name: &str) -> Self {
        Self {
            action: format!("/{owner}/{name}/settings/mirror/push"),
            submit: "Add push mirror",
            values: PushValues::default(),
            errors: FormErrors::default(),
        }
    }
}

/// The list of `repo_id`'s push mirrors, oldest first.
///
/// # Errors
/// The database failed.
pub async fn rows(state: &AppState, repo_id: i64) -> Result<Vec<PushRow>, Error> {
    // While the repository syncs (a whole run or this target's own "Sync now"), each enabled
    // push mirror of a repository that pushes is being pushed to, or is next.
    let pushing = repository::Entity::find_by_id(repo_id)
        .one(&state.db)
        .await?
        .is_some_and(|r| {
            r.sync_status == SyncStatus::Syncing && r.mirror_enabled && r.mirror_direction.pushes()
        });
    Ok(push_mirrors::list(&state.db, repo_id)
        .await?
        .iter()
        .map(|m| PushRow::new(m, pushing && m.enabled))
        .collect())
}

/// The push mirrors, ready to be put into the page.
#[derive(Template)]
#[template(path = "mirror/partials/push_mirrors.html")]
pub struct PushSection {
    /// Owner's username.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The push mirrors, oldest first.
    pub push_rows: Vec<PushRow>,
    /// The "Add push mirror" form.
    pub push_form: PushForm,
    /// Commits of history the repository keeps, when it is shallow (it cannot be pushed).
    pub shallow_depth: Option<i32>,
}
