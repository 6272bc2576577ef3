//! POST `/{owner}/{repo}/settings/mirror`: the settings form, sent in parts (hidden field
//! `part`: `pull` from the pull section, `schedule` from the schedule section, `notify` from the
//! events section; without it, every field, as scripts send it). Saved through
//! `mirror::settings::apply` (the same validated path as the API) with the other parts' fields
//! left out, so they stay as stored; sent back inside the part's section with inline errors
//! when it does not validate.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    ref_map_rows,
    section::Section,
    sections::pull::{FormValues, SideValues},
    settings::{Sent, SettingsPage, back_to},
};
use crate::{
    entities::mirror_enums::UpstreamOverwrite,
    error::{Error, PageError},
    mirror::{
        settings::{self, MirrorSettings, SettingsPatch},
        webhook,
    },
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, PageRepo},
        html::{forms::IntervalChoice, page::FormErrors},
    },
};

/// The fields `settings::apply` may name that the pull section shows.
const PULL_FIELDS: &[&str] = &[
    "mirror_enabled",
    "mirror_direction",
    "upstream_url",
    "upstream_username",
    "upstream_password",
    "downstream_url",
    "downstream_username",
    "downstream_password",
    "lfs_endpoint",
    "lfs_username",
    "lfs_password",
    "upstream_overwrite",
    "mass_delete_guard",
    "upstream_ref_map",
    "upstream_depth",
];

/// The fields the schedule section shows.
const SCHEDULE_FIELDS: &[&str] = &["sync_interval", "sync_schedule"];

/// The field the events section's notify form shows.
const NOTIFY_FIELDS: &[&str] = &["notify_url"];

/// Which part of the settings form was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Part {
    /// Every field (a form without `part`, as scripts and older pages send it).
    #[default]
    All,
    /// On or off, direction, upstream and downstream, LFS.
    Pull,
    /// Interval and schedule.
    Schedule,
    /// The notify URL.
    Notify,
}

impl Part {
    /// Whether it carries the pull section's fields (also its unticked checkboxes).
    fn pull(self) -> bool {
        matches!(self, Self::All | Self::Pull)
    }

    /// Whether it carries the interval and the schedule.
    fn schedule(self) -> bool {
        matches!(self, Self::All | Self::Schedule)
    }

    /// Whether it carries the notify URL.
    fn notify(self) -> bool {
        matches!(self, Self::All | Self::Notify)
    }

    /// The section that shows it; for every field, the first section with a bad field among
    /// `bad` (the pull section when none).
    fn section<'a>(self, bad: impl Iterator<Item = &'a str> + Clone) -> Section {
        match self {
            Self::Pull => Section::Pull,
            Self::Schedule => Section::Schedule,
            Self::Notify => Section::Events,
            Self::All => [
                (PULL_FIELDS, Section::Pull),
                (SCHEDULE_FIELDS, Section::Schedule),
                (NOTIFY_FIELDS, Section::Events),
            ]
            .into_iter()
            .find(|(fields, _)| bad.clone().any(|f| fields.contains(&f)))
            .map_or(Section::Pull, |(_, section)| section),
        }
    }
}

/// The fields a section shows, and the one a conflict is reported on.
fn shown_in(section: Section) -> (&'static [&'static str], &'static str) {
    match section {
        Section::Schedule => (SCHEDULE_FIELDS, "sync_schedule"),
        Section::Events => (NOTIFY_FIELDS, "notify_url"),
        _ => (PULL_FIELDS, "mirror_enabled"),
    }
}

/// The form's fields. Checkboxes are absent when unticked; an empty password keeps the stored
/// one, its "clear" box removes it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SettingsForm {
    /// Which part was sent; absent: every field.
    part: Part,
    mirror_enabled: Option<String>,
    mirror_direction: String,
    upstream_url: String,
    upstream_username: String,
    upstream_password: String,
    upstream_password_clear: Option<String>,
    downstream_url: String,
    downstream_username: String,
    downstream_password: String,
    downstream_password_clear: Option<String>,
    sync_interval: String,
    sync_interval_custom: String,
    sync_schedule: String,
    /// Absent (an older form): the stored URL stays.
    notify_url: Option<String>,
    /// The "LFS" checkbox.
    lfs_enabled: Option<String>,
    /// Absent (an older form): the stored endpoint stays.
    lfs_endpoint: Option<String>,
    /// Absent (an older form): the stored username stays.
    lfs_username: Option<String>,
    lfs_password: String,
    lfs_password_clear: Option<String>,
    /// `all` or `fast_forward`; absent (an older form): the stored choice stays.
    upstream_overwrite: Option<String>,
    /// The mass-deletion guard's checkbox (read from the pull part only, so a form without
    /// `part` never switches the guard off).
    mass_delete_guard: Option<String>,
    /// Every other field: the branch map's rows (`ref_map_from_N`, `ref_map_to_N`; see
    /// `ref_map_rows`), and the CSRF token.
    #[serde(flatten)]
    other: std::collections::BTreeMap<String, String>,
    /// The history depth as typed; absent (an older form): the stored depth stays.
    upstream_depth: Option<String>,
}

/// The depth typed in the form: empty is `0` (the full history); what is not a whole number
/// is out of range, so the field's error says what it takes.
fn depth_patch(typed: &str) -> i64 {
    match typed.trim() {
        "" => 0,
        number => number.parse().unwrap_or(-1),
    }
}

/// The password part of the patch: clear, replace, or keep.
fn password_patch(clear: bool, typed: &str) -> Option<String> {
    if clear {
        Some(String::new())
    } else if typed.is_empty() {
        None
    } else {
        Some(typed.to_owned())
    }
}

/// The patch of `part` of `form`: the other parts' fields left out, so they stay as stored.
fn patch(form: &SettingsForm, part: Part, interval: &IntervalChoice) -> SettingsPatch {
    let (pull, schedule) = (part.pull(), part.schedule());
    let text = |value: &String| pull.then(|| value.clone());
    SettingsPatch {
        mirror_enabled: pull.then_some(form.mirror_enabled.is_some()),
        mirror_direction: text(&form.mirror_direction),
        upstream_url: text(&form.upstream_url),
        upstream_username: text(&form.upstream_username),
        upstream_password: password_patch(
            form.upstream_password_clear.is_some(),
            &form.upstream_password,
        )
        .filter(|_| pull),
        upstream_ref_filter: None,
        upstream_ref_map: ref_map_rows::rules_from(&form.other).filter(|_| pull),
        upstream_overwrite: form.upstream_overwrite.clone().filter(|_| pull),
        mass_delete_guard: (part == Part::Pull).then_some(form.mass_delete_guard.is_some()),
        downstream_url: text(&form.downstream_url),
        downstream_username: text(&form.downstream_username),
        downstream_password: password_patch(
            form.downstream_password_clear.is_some(),
            &form.downstream_password,
        )
        .filter(|_| pull),
        sync_interval: schedule.then(|| interval.seconds()),
        sync_schedule: schedule.then(|| form.sync_schedule.clone()),
        notify_url: form.notify_url.clone().filter(|_| part.notify()),
        lfs_enabled: pull.then_some(form.lfs_enabled.is_some()),
        lfs_endpoint: form.lfs_endpoint.clone().filter(|_| pull),
        lfs_username: form.lfs_username.clone().filter(|_| pull),
        lfs_password: password_patch(form.lfs_password_clear.is_some(), &form.lfs_password)
            .filter(|_| pull),
        upstream_depth: form
            .upstream_depth
            .as_deref()
            .filter(|_| pull)
            .map(depth_patch),
    }
}

/// The form as `stored`, with `part`'s fields as typed (never a password).
fn typed(
    form: SettingsForm,
    part: Part,
    interval: IntervalChoice,
    stored: &MirrorSettings,
) -> FormValues {
    let mut values = FormValues::stored(stored);
    if part.pull() {
        values.enabled = form.mirror_enabled.is_some();
        values.direction = form.mirror_direction;
        values.upstream = SideValues {
            url: form.upstream_url,
            username: form.upstream_username,
            password_set: stored.upstream_password_set,
            password_clear: form.upstream_password_clear.is_some(),
        };
        values.downstream = SideValues {
            url: form.downstream_url,
            username: form.downstream_username,
            password_set: stored.downstream_password_set,
            password_clear: form.downstream_password_clear.is_some(),
        };
        values.lfs_enabled = form.lfs_enabled.is_some();
        if let Some(overwrite) = form
            .upstream_overwrite
            .as_deref()
            .and_then(UpstreamOverwrite::parse)
        {
            values.overwrite = overwrite;
        }
        if part == Part::Pull {
            values.mass_delete_guard = form.mass_delete_guard.is_some();
        }
        if let Some(rules) = ref_map_rows::rules_from(&form.other) {
            values.ref_map = rules;
        }
        if let Some(depth) = form.upstream_depth.clone() {
            values.depth = depth;
        }
        values.lfs = SideValues {
            url: form.lfs_endpoint.unwrap_or(values.lfs.url),
            username: form.lfs_username.unwrap_or(values.lfs.username),
            password_set: stored.lfs_password_set,
            password_clear: form.lfs_password_clear.is_some(),
        };
    }
    if part.schedule() {
        values.interval = interval;
        values.schedule = form.sync_schedule;
    }
    if let Some(url) = form.notify_url.filter(|_| part.notify()) {
        values.notify_url = url;
    }
    values
}

/// `err` with the messages of fields that the section does not show (`shown`) prefixed with
/// their field's name, since they are shown above the form, away from their field.
fn named_elsewhere(err: Error, shown: &[&str]) -> Error {
    match err {
        Error::Validation(fields) => Error::Validation(
            fields
                .into_iter()
                .map(|(field, message)| {
                    if shown.contains(&field.as_str()) {
                        (field, message)
                    } else {
                        let message = format!("{}: {message}", field.replace('_', " "));
                        (field, message)
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

/// What the notice says after `part` was saved, `dropped` naming the sides whose stored
/// password went because their URL moved.
fn saved_notice(part: Part, dropped: &[&str]) -> String {
    let saved = match part {
        Part::All | Part::Pull => "Mirror settings saved.",
        Part::Schedule => "Schedule saved.",
        Part::Notify => "Notify URL saved.",
    };
    match dropped {
        [] => saved.to_owned(),
        sides => format!(
            "{saved} The stored {} password was removed because its URL now points to another \
             host, port or scheme: enter it again if it is meant for the new one.",
            sides.join(" and ")
        ),
    }
}

/// Saves the part of the settings form that was sent and goes back to its section, or shows
/// the section again with the form as typed and its errors.
pub(super) async fn save(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    let part = form.part;
    let interval = IntervalChoice {
        preset: form.sync_interval.clone(),
        custom: form.sync_interval_custom.clone(),
    };
    let patch = patch(&form, part, &interval);
    let webhook_url = webhook::url(
        &state.config.base_url(),
        &repo.owner.username,
        &repo.repo.name,
    );
    let stored = MirrorSettings::load(&state.db, &repo.repo, webhook_url.clone()).await?;
    match settings::apply(
        &state.db,
        &state.config,
        &state.secrets,
        repo.repo.clone(),
        patch,
    )
    .await
    {
        Ok(saved) => {
            let saved = MirrorSettings::load(&state.db, &saved, webhook_url).await?;
            tracing::info!(
                repo_id = repo.repo.id,
                user_id = user.id,
                ?part,
                "mirror settings saved"
            );
            // Passwords the user did not ask to remove, dropped because their URL (for LFS:
            // the endpoint, or the upstream's when none is set) moved.
            let cleared = |clear: &Option<String>| part.pull() && clear.is_some();
            let dropped: Vec<&str> = [
                (
                    "upstream",
                    stored.upstream_password_set,
                    saved.upstream_password_set,
                    cleared(&form.upstream_password_clear),
                ),
                (
                    "downstream",
                    stored.downstream_password_set,
                    saved.downstream_password_set,
                    cleared(&form.downstream_password_clear),
                ),
                (
                    "LFS",
                    stored.lfs_password_set,
                    saved.lfs_password_set,
                    cleared(&form.lfs_password_clear),
                ),
            ]
            .into_iter()
            .filter(|(_, before, after, cleared)| *before && !*after && !*cleared)
            .map(|(side, ..)| side)
            .collect();
            let section = part.section(std::iter::empty());
            back_to(&session, &repo, section, saved_notice(part, &dropped)).await
        }
        Err(err) => {
            let section = match &err {
                Error::Validation(fields) => part.section(fields.keys().map(String::as_str)),
                _ => part.section(std::iter::empty()),
            };
            let (shown, conflict_field) = shown_in(section);
            let (status, errors) =
                FormErrors::from_service(named_elsewhere(err, shown), shown, conflict_field)?;
            let typed = typed(form, part, interval, &stored);
            let page = SettingsPage::build(
                &state,
                &session,
                &user,
                &repo,
                Sent::Settings(section, Box::new(typed), errors),
                1,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_leaves_the_other_parts_fields_out() {
        let form = SettingsForm {
            part: Part::Schedule,
            mirror_direction: "upstream".into(),
            upstream_url: "https://example.com/a.git".into(),
            sync_interval: "3600".into(),
            sync_schedule: "30 2 * * 1-5".into(),
            notify_url: Some("https://example.com/hook".into()),
            ..SettingsForm::default()
        };
        let interval = IntervalChoice {
            preset: "3600".into(),
            custom: String::new(),
        };
        let schedule = patch(&form, Part::Schedule, &interval);
        assert_eq!(schedule.sync_schedule.as_deref(), Some("30 2 * * 1-5"));
        assert_eq!(schedule.sync_interval, Some(3600));
        // Unticked boxes of another part do not switch anything off.
        assert_eq!(schedule.mirror_enabled, None);
        assert_eq!(schedule.lfs_enabled, None);
        assert_eq!(schedule.upstream_url, None);
        assert_eq!(schedule.notify_url, None);

        let pull = patch(&form, Part::Pull, &interval);
        assert_eq!(pull.mirror_enabled, Some(false));
        assert_eq!(pull.lfs_enabled, Some(false));
        assert_eq!(
            pull.upstream_url.as_deref(),
            Some("https://example.com/a.git")
        );
        assert_eq!((pull.sync_interval, pull.sync_schedule), (None, None));
        assert_eq!(pull.notify_url, None);

        let notify = patch(&form, Part::Notify, &interval);
        assert_eq!(
            notify.notify_url.as_deref(),
            Some("https://example.com/hook")
        );
        assert_eq!((notify.mirror_enabled, notify.sync_interval), (None, None));

        let all = patch(&form, Part::All, &interval);
        assert_eq!(all.mirror_enabled, Some(false));
        assert_eq!(all.sync_interval, Some(3600));
        assert!(all.notify_url.is_some());
    }

    #[test]
    fn every_field_goes_back_to_the_section_of_its_first_bad_field() {
        assert_eq!(
            Part::All.section(["notify_url"].into_iter()),
            Section::Events
        );
        assert_eq!(
            Part::All.section(["notify_url", "sync_schedule"].into_iter()),
            Section::Schedule
        );
        assert_eq!(Part::All.section(std::iter::empty()), Section::Pull);
        assert_eq!(
            Part::Notify.section(["upstream_url"].into_iter()),
            Section::Events
        );
    }

    #[test]
    fn passwords_keep_replace_or_clear() {
        assert_eq!(password_patch(false, ""), None);
        assert_eq!(password_patch(false, "pw"), Some("pw".to_owned()));
        assert_eq!(password_patch(true, "pw"), Some(String::new()));
    }

    #[test]
    fn a_typed_depth_is_a_number_or_out_of_range() {
        assert_eq!(depth_patch(""), 0);
        assert_eq!(depth_patch(" 12 "), 12);
        assert_eq!(depth_patch("ten"), -1);
        assert!(crate::mirror::settings::check_depth(depth_patch("ten")).is_err());
    }
}
