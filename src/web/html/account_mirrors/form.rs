//! The account-mirror form shared by "New account mirror" and its edit page: the fields as
//! posted, as shown again (never the token), and as the service's [`Changes`].

use serde::Deserialize;

use crate::{
    mirror::account_mirrors::{
        spec::{AccountMirrorInput, DEFAULT_DISCOVERY_INTERVAL, DEFAULT_SYNC_INTERVAL},
        store::{self, AccountMirror, Changes},
    },
    web::html::forms::IntervalChoice,
};

/// Fields a service error may name, all shown on the form.
pub(super) const FIELDS: &[&str] = &[
    "provider",
    "api_url",
    "account",
    "account_kind",
    "owner",
    "token",
    "include",
    "exclude",
    "sync_interval",
    "discovery_interval",
    "on_removed",
    "notify_url",
];

/// The providers the select offers: value and label.
pub(super) const PROVIDERS: &[(&str, &str)] = &[
    ("github", "GitHub"),
    ("gitlab", "GitLab"),
    ("gitea", "Gitea"),
    ("forgejo", "Forgejo"),
    ("mirrorforge", "mirrorforge"),
];

/// The account kinds the select offers: value and label.
pub(super) const KINDS: &[(&str, &str)] = &[
    ("org", "Organisation"),
    ("user", "User"),
    ("group", "Group (GitLab)"),
];

/// The form as posted; unticked checkboxes are absent. No `Debug`: it holds the token.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AccountMirrorForm {
    /// `preview` for the "Preview" button; anything else saves.
    pub step: String,
    /// The forge's word.
    pub provider: String,
    /// The API's base URL (empty: the provider's default).
    pub api_url: String,
    /// The account's name at the forge.
    pub account: String,
    /// `org`, `user` or `group`.
    pub account_kind: String,
    /// Only on "New account mirror".
    pub owner: String,
    /// Write-only: never shown again.
    pub token: String,
    /// The edit page's "Clear the token" box.
    pub clear_token: Option<String>,
    /// Name globs to include, by comma or line.
    pub include: String,
    /// Name globs to leave out, by comma or line.
    pub exclude: String,
    /// "Forks" ticked.
    pub forks: Option<String>,
    /// "Archived" ticked.
    pub archived: Option<String>,
    /// "LFS" ticked.
    pub lfs: Option<String>,
    /// "Discover on its schedule" ticked.
    pub enabled: Option<String>,
    /// The sync interval's preset, or `custom`.
    pub sync_interval: String,
    /// The custom sync interval, in seconds.
    pub sync_interval_custom: String,
    /// Seconds between discoveries.
    pub discovery_interval: String,
    /// `pause` or `keep`.
    pub on_removed: String,
    /// Where discoveries are announced.
    pub notify_url: String,
}

/// Name globs typed one per line or separated by commas.
fn globs(typed: &str) -> Vec<String> {
    typed
        .split([',', '\n'])
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A whole number typed; anything else becomes a value no range accepts, so the service's
/// check names the field with its range.
fn seconds(typed: &str, default: i64) -> i64 {
    match typed.trim() {
        "" => default,
        number => number.parse().unwrap_or(i64::MIN),
    }
}

/// What the form shows: the values typed (or stored), never a token.
#[derive(Debug, Clone)]
pub(super) struct FormView {
    /// The forge's word.
    pub provider: String,
    /// The API's base URL.
    pub api_url: String,
    /// The account's name.
    pub account: String,
    /// `org`, `user` or `group`.
    pub account_kind: String,
    /// Globs to include, one a line.
    pub include: String,
    /// Globs to leave out, one a line.
    pub exclude: String,
    /// Forks too.
    pub forks: bool,
    /// Archived repositories too.
    pub archived: bool,
    /// LFS objects too.
    pub lfs: bool,
    /// Discoveries on their schedule.
    pub enabled: bool,
    /// The mirrors' sync interval.
    pub interval: IntervalChoice,
    /// Seconds between discoveries, as typed.
    pub discovery_interval: String,
    /// `pause` or `keep`.
    pub on_removed: String,
    /// Where discoveries are announced.
    pub notify_url: String,
    /// Whether a token is stored (the edit page), never the token.
    pub token_set: bool,
}

impl FormView {
    /// An empty form with the service's defaults.
    pub fn blank() -> Self {
        Self {
            provider: "github".to_owned(),
            api_url: String::new(),
            account: String::new(),
            account_kind: "org".to_owned(),
            include: "*".to_owned(),
            exclude: String::new(),
            forks: false,
            archived: true,
            lfs: false,
            enabled: true,
            interval: IntervalChoice::of(DEFAULT_SYNC_INTERVAL),
            discovery_interval: DEFAULT_DISCOVERY_INTERVAL.to_string(),
            on_removed: "pause".to_owned(),
            notify_url: String::new(),
            token_set: false,
        }
    }

    /// The stored settings of `account`.
    pub fn of(account: &AccountMirror) -> Self {
        let r = &account.row;
        Self {
            provider: r.provider.clone(),
            api_url: r.api_url.clone(),
            account: r.account.clone(),
            account_kind: r.account_kind.clone(),
            include: store::patterns(&r.include_patterns).join("\n"),
            exclude: store::patterns(&r.exclude_patterns).join("\n"),
            forks: r.forks,
            archived: r.archived,
            lfs: r.lfs,
            enabled: r.enabled,
            interval: IntervalChoice::of(r.sync_interval),
            discovery_interval: r.discovery_interval.to_string(),
            on_removed: r.on_removed.clone(),
            notify_url: r.notify_url.clone(),
            token_set: r.token.is_some(),
        }
    }

    /// What `form` typed, shown again; `token_set` as stored.
    pub fn typed(form: &AccountMirrorForm, token_set: bool) -> Self {
        Self {
            provider: form.provider.clone(),
            api_url: form.api_url.clone(),
            account: form.account.clone(),
            account_kind: form.account_kind.clone(),
            include: form.include.clone(),
            exclude: form.exclude.clone(),
            forks: form.forks.is_some(),
            archived: form.archived.is_some(),
            lfs: form.lfs.is_some(),
            enabled: form.enabled.is_some(),
            interval: IntervalChoice {
                preset: form.sync_interval.clone(),
                custom: form.sync_interval_custom.clone(),
            },
            discovery_interval: form.discovery_interval.clone(),
            on_removed: form.on_removed.clone(),
            notify_url: form.notify_url.clone(),
            token_set,
        }
    }

    /// Whether `provider` is the one selected.
    pub fn is_provider(&self, provider: &str) -> bool {
        self.provider == provider
    }

    /// Whether `kind` is the one selected.
    pub fn is_kind(&self, kind: &str) -> bool {
        self.account_kind == kind
    }
}

impl AccountMirrorForm {
    /// Whether "Preview" was pressed.
    pub fn previews(&self) -> bool {
        self.step == "preview"
    }

    /// Every field of the form as the service takes it. On the edit page (`editing`) an empty
    /// token keeps the stored one and "Clear the token" clears it; on "New account mirror" an
    /// empty token is none.
    pub fn changes(&self, editing: bool) -> Changes {
        let include = match globs(&self.include) {
            none if none.is_empty() => vec!["*".to_owned()],
            some => some,
        };
        let interval = IntervalChoice {
            preset: self.sync_interval.clone(),
            custom: self.sync_interval_custom.clone(),
        };
        let token = if editing && self.clear_token.is_some() {
            Some(String::new())
        } else {
            Some(self.token.trim().to_owned()).filter(|t| !t.is_empty())
        };
        Changes {
            fields: AccountMirrorInput {
                provider: Some(self.provider.clone()),
                api_url: Some(self.api_url.clone()),
                account: Some(self.account.clone()),
                account_kind: Some(self.account_kind.clone()),
                include: Some(include),
                exclude: Some(globs(&self.exclude)),
                forks: Some(self.forks.is_some()),
                archived: Some(self.archived.is_some()),
                lfs: Some(self.lfs.is_some()),
                sync_interval: Some(interval.seconds()),
                discovery_interval: Some(seconds(
                    &self.discovery_interval,
                    DEFAULT_DISCOVERY_INTERVAL,
                )),
                on_removed: Some(self.on_removed.clone()),
                enabled: Some(self.enabled.is_some()),
            },
            token,
            notify_url: Some(self.notify_url.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_split_on_commas_and_lines_and_an_empty_include_is_everything() {
        assert_eq!(globs("a*, b\n\n c? ,"), vec!["a*", "b", "c?"]);
        let form = AccountMirrorForm {
            include: " \n".to_owned(),
            discovery_interval: "soon".to_owned(),
            ..AccountMirrorForm::default()
        };
        let changes = form.changes(false);
        assert_eq!(changes.fields.include, Some(vec!["*".to_owned()]));
        assert_eq!(changes.fields.exclude, Some(Vec::new()));
        assert_eq!(changes.fields.discovery_interval, Some(i64::MIN));
        assert_eq!(changes.token, None);
    }

    #[test]
    fn the_edit_page_keeps_or_clears_the_token() {
        let keep = AccountMirrorForm::default();
        assert_eq!(keep.changes(true).token, None);
        let clear = AccountMirrorForm {
            clear_token: Some("on".to_owned()),
            token: "ignored".to_owned(),
            ..AccountMirrorForm::default()
        };
        assert_eq!(clear.changes(true).token.as_deref(), Some(""));
        let new = AccountMirrorForm {
            token: " t0k ".to_owned(),
            ..AccountMirrorForm::default()
        };
        assert_eq!(new.changes(true).token.as_deref(), Some("t0k"));
    }
}
