//! POST `/{owner}/{repo}/settings/mirror`: the pull section's settings form, saved through
//! `mirror::settings::apply` (the same validated path as the API); sent back inside the page
//! with inline errors when it does not validate.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    sections::pull::{FormValues, SideValues},
    settings::{Sent, SettingsPage},
    sync_widget::WidgetPlace,
};
use crate::{
    error::PageError,
    mirror::{
        settings::{self, MirrorSettings, SettingsPatch},
        webhook,
    },
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, PageRepo},
        html::{
            forms::IntervalChoice,
            page::{FormErrors, flash_redirect},
        },
    },
};

/// The fields `settings::apply` may name, all shown next to their control on this form.
const FIELDS: &[&str] = &[
    "mirror_enabled",
    "mirror_direction",
    "upstream_url",
    "upstream_username",
    "upstream_password",
    "downstream_url",
    "downstream_username",
    "downstream_password",
    "sync_interval",
    "sync_schedule",
    "notify_url",
    "lfs_endpoint",
    "lfs_username",
    "lfs_password",
];

/// The form's fields. Checkboxes are absent when unticked; an empty password keeps the stored
/// one, its "clear" box removes it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SettingsForm {
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

/// Saves the settings form and goes back to the page, or shows the page again with the
/// form as typed and its errors.
pub(super) async fn save(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    let interval = IntervalChoice {
        preset: form.sync_interval,
        custom: form.sync_interval_custom,
    };
    let upstream_clear = form.upstream_password_clear.is_some();
    let downstream_clear = form.downstream_password_clear.is_some();
    let lfs_clear = form.lfs_password_clear.is_some();
    let patch = SettingsPatch {
        mirror_enabled: Some(form.mirror_enabled.is_some()),
        mirror_direction: Some(form.mirror_direction.clone()),
        upstream_url: Some(form.upstream_url.clone()),
        upstream_username: Some(form.upstream_username.clone()),
        upstream_password: password_patch(upstream_clear, &form.upstream_password),
        upstream_ref_filter: None,
        downstream_url: Some(form.downstream_url.clone()),
        downstream_username: Some(form.downstream_username.clone()),
        downstream_password: password_patch(downstream_clear, &form.downstream_password),
        sync_interval: Some(interval.seconds()),
        sync_schedule: Some(form.sync_schedule.clone()),
        notify_url: form.notify_url.clone(),
        lfs_enabled: Some(form.lfs_enabled.is_some()),
        lfs_endpoint: form.lfs_endpoint.clone(),
        lfs_username: form.lfs_username.clone(),
        lfs_password: password_patch(lfs_clear, &form.lfs_password),
    };
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
                "mirror settings saved"
            );
            // Passwords the user did not ask to remove, dropped because their URL (for LFS:
            // the endpoint, or the upstream's when none is set) moved.
            let dropped: Vec<&str> = [
                (
                    "upstream",
                    stored.upstream_password_set,
                    saved.upstream_password_set,
                    upstream_clear,
                ),
                (
                    "downstream",
                    stored.downstream_password_set,
                    saved.downstream_password_set,
                    downstream_clear,
                ),
                (
                    "LFS",
                    stored.lfs_password_set,
                    saved.lfs_password_set,
                    lfs_clear,
                ),
            ]
            .into_iter()
            .filter(|(_, before, after, cleared)| *before && !*after && !*cleared)
            .map(|(side, ..)| side)
            .collect();
            let notice = match dropped.as_slice() {
                [] => "Mirror settings saved.".to_owned(),
                sides => format!(
                    "Mirror settings saved. The stored {} password was removed because its URL \
                     now points to another host, port or scheme: enter it again if it is meant \
                     for the new one.",
                    sides.join(" and ")
                ),
            };
            let page = WidgetPlace::Settings.path(&repo.owner.username, &repo.repo.name);
            Ok(flash_redirect(&session, notice, &page).await?)
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, FIELDS, "mirror_enabled")?;
            let typed = FormValues {
                enabled: form.mirror_enabled.is_some(),
                direction: form.mirror_direction,
                upstream: SideValues {
                    url: form.upstream_url,
                    username: form.upstream_username,
                    password_set: stored.upstream_password_set,
                    password_clear: upstream_clear,
                },
                downstream: SideValues {
                    url: form.downstream_url,
                    username: form.downstream_username,
                    password_set: stored.downstream_password_set,
                    password_clear: downstream_clear,
                },
                interval,
                schedule: form.sync_schedule,
                notify_url: form.notify_url.unwrap_or(stored.notify_url),
                lfs_enabled: form.lfs_enabled.is_some(),
                lfs: SideValues {
                    url: form.lfs_endpoint.unwrap_or(stored.lfs_endpoint),
                    username: form.lfs_username.unwrap_or(stored.lfs_username),
                    password_set: stored.lfs_password_set,
                    password_clear: lfs_clear,
                },
            };
            let page = SettingsPage::build(
                &state,
                &session,
                &user,
                &repo,
                Sent::Settings(typed, errors),
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
    fn passwords_keep_replace_or_clear() {
        assert_eq!(password_patch(false, ""), None);
        assert_eq!(password_patch(false, "pw"), Some("pw".to_owned()));
        assert_eq!(password_patch(true, "pw"), Some(String::new()));
    }
}
