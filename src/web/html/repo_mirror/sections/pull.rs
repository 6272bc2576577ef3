//! The pull section of the mirror settings page: the settings form's pull part (on or off,
//! direction, the upstream and downstream, LFS), as stored or as just typed. [`FormValues`]
//! holds every part of the form (the schedule and events sections show theirs).

use askama::Template;

use crate::{
    entities::mirror_enums::UpstreamOverwrite,
    git::fetch_push::ref_map::MapRule,
    mirror::settings::MirrorSettings,
    web::html::{forms::IntervalChoice, page::FormErrors},
};

/// One side of the mirror (or the LFS server) as the form shows it; the password itself never.
#[derive(Debug, Clone, Default)]
pub struct SideValues {
    /// The URL as stored or typed.
    pub url: String,
    /// The username as stored or typed.
    pub username: String,
    /// Whether a password is stored.
    pub password_set: bool,
    /// Whether "remove the stored password" was ticked.
    pub password_clear: bool,
}

/// What the form shows: the stored settings, or what the user just typed (never a password).
#[derive(Debug, Clone)]
pub struct FormValues {
    /// Whether mirroring is on.
    pub enabled: bool,
    /// `upstream`, `downstream` or `both`.
    pub direction: String,
    /// Where it pulls from.
    pub upstream: SideValues,
    /// The first push target.
    pub downstream: SideValues,
    /// The sync interval, preset or custom.
    pub interval: IntervalChoice,
    /// The cron schedule, `manual` or empty.
    pub schedule: String,
    /// Where failures and recoveries are announced.
    pub notify_url: String,
    /// Whether syncs carry LFS objects.
    pub lfs_enabled: bool,
    /// The upstream's LFS server (its URL: the endpoint, when not derived) and its own login.
    pub lfs: SideValues,
    /// An exact copy, or only fast-forwards (rewritten and deleted refs stay here).
    pub overwrite: UpstreamOverwrite,
    /// Whether the mass-deletion guard is on.
    pub mass_delete_guard: bool,
    /// The pull's branch map, as stored or typed.
    pub ref_map: Vec<MapRule>,
    /// Commits of history a pull fetches, as stored or typed (`0`: the full history).
    pub depth: String,
}

impl FormValues {
    /// The form filled in from what is stored.
    #[must_use]
    pub fn stored(s: &MirrorSettings) -> Self {
        Self {
            enabled: s.mirror_enabled,
            direction: s.mirror_direction.as_str().to_owned(),
            upstream: SideValues {
                url: s.upstream_url.clone(),
                username: s.upstream_username.clone(),
                password_set: s.upstream_password_set,
                password_clear: false,
            },
            downstream: SideValues {
                url: s.downstream_url.clone(),
                username: s.downstream_username.clone(),
                password_set: s.downstream_password_set,
                password_clear: false,
            },
            interval: IntervalChoice::of(s.sync_interval),
            schedule: s.sync_schedule.clone(),
            notify_url: s.notify_url.clone(),
            lfs_enabled: s.lfs_enabled,
            lfs: SideValues {
                url: s.lfs_endpoint.clone(),
                username: s.lfs_username.clone(),
                password_set: s.lfs_password_set,
                password_clear: false,
            },
            overwrite: s.upstream_overwrite,
            mass_delete_guard: s.mass_delete_guard,
            ref_map: s.upstream_ref_map.clone(),
            depth: s.upstream_depth.to_string(),
        }
    }
}

/// One side's fieldset, ready for the template: names, words and inline errors.
struct SideView<'a> {
    /// `upstream` or `downstream`: the prefix of the field names, and `data-side`.
    key: &'static str,
    /// The fieldset's legend.
    title: &'static str,
    /// What this side does.
    help: &'static str,
    /// The example placeholder of the URL field.
    placeholder: &'static str,
    /// Stored or typed values.
    values: &'a SideValues,
    /// Inline messages.
    url_error: &'a str,
    /// Inline message for the username.
    username_error: &'a str,
    /// Inline message for the password.
    password_error: &'a str,
}

/// The settings form, ready to be put into the page.
#[derive(Template)]
#[template(path = "mirror/partials/pull_settings.html")]
pub struct PullSection {
    /// Owner's username.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// What the form shows.
    pub form: FormValues,
    /// Inline messages next to the fields.
    pub errors: FormErrors,
}

impl PullSection {
    /// The branch map's rows: the rules, then a few empty ones.
    fn ref_map_rows(&self) -> Vec<MapRule> {
        crate::web::html::repo_mirror::ref_map_rows::rows(&self.form.ref_map)
    }

    /// The two sides of the form, upstream first.
    fn sides(&self) -> [SideView<'_>; 2] {
        [
            SideView {
                key: "upstream",
                title: "Upstream: pull from",
                help: "Branches, tags and notes are fetched from here; this repository then refuses pushes.",
                placeholder: "https://github.com/user/repo.git",
                values: &self.form.upstream,
                url_error: self.errors.of("upstream_url"),
                username_error: self.errors.of("upstream_username"),
                password_error: self.errors.of("upstream_password"),
            },
            SideView {
                key: "downstream",
                title: "Downstream: push to",
                help: "The first push mirror: branches and tags are pushed here, and refs deleted here are deleted there. More targets, filters and divergent refs: the Push mirrors section.",
                placeholder: "https://github.com/user/backup.git",
                values: &self.form.downstream,
                url_error: self.errors.of("downstream_url"),
                username_error: self.errors.of("downstream_username"),
                password_error: self.errors.of("downstream_password"),
            },
        ]
    }
}
