//! `/{owner}/{repo}/settings/mirror/ssh_host_keys`: trusting an SSH host before the first
//! sync. "Check host key" asks one of the repository's SSH remotes for its key and shows it
//! with a "Trust this key" button; a fingerprint or `known_hosts` lines can be pasted instead.
//! Nothing is pinned until the owner confirms; a key that differs from a pin is a warning.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    error::{Error, PageError},
    mirror::{
        host_key_check::{self, Checked, RemoteRef, SshRemote},
        host_keys::{self, ByHand},
    },
    net::{
        known_hosts::{self, KEY_TYPES},
        ssh_host_key::{HostKey, Verdict},
    },
    repos::Repo,
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, PageRepo},
        html::{
            forms::no_store,
            page::{FormErrors, Layout, flash_redirect},
        },
    },
};

/// The host key routes under the mirror settings.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/settings/mirror/ssh_host_keys", get(show))
        .route(
            "/{owner}/{repo}/settings/mirror/ssh_host_keys/check",
            post(check),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/ssh_host_keys/pin",
            post(pin),
        )
}

/// The "Pin a key by hand" form as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PinForm {
    /// A `SHA256:` fingerprint or `known_hosts` lines.
    key: String,
    /// The host a fingerprint is for.
    host: String,
    /// The key type a fingerprint is for.
    key_type: String,
    /// Set when the owner confirmed replacing a pin that holds another key.
    replace: String,
}

/// The "Check host key" button's form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CheckForm {
    /// Which remote: `upstream` or `push-ID`.
    remote: String,
}

/// The host keys page.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/host_keys.html")]
struct HostKeysPage {
    /// Header and navigation.
    layout: Layout,
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// The keys pinned now.
    pinned: Vec<HostKey>,
    /// The repository's SSH remotes, each with a "Check host key" button.
    remotes: Vec<SshRemote>,
    /// What a check found, when one just ran.
    checked: Option<Checked>,
    /// Why a check found nothing.
    check_error: Option<String>,
    /// The pin form as typed (or its defaults).
    form: PinForm,
    /// Its inline messages.
    errors: FormErrors,
    /// The pins a pasted key would replace, when it needs confirming.
    conflicts: Vec<HostKey>,
    /// The key types a fingerprint may be for.
    key_types: &'static [&'static str],
}

impl HostKeysPage {
    /// The page for `repo` with nothing checked and the pin form empty (its host defaulting
    /// to the first SSH remote's).
    async fn build(
        state: &AppState,
        session: &Session,
        access: &PageRepo<Admin>,
    ) -> Result<Self, Error> {
        let repo = &access.repo.repo;
        let remotes = host_key_check::ssh_remotes(&state.db, &state.config, repo).await?;
        let form = PinForm {
            host: remotes.first().map(|r| r.host.clone()).unwrap_or_default(),
            key_type: KEY_TYPES[0].to_owned(),
            ..PinForm::default()
        };
        Ok(Self {
            layout: Layout::new(state, session, Some(&access.viewer)).await?,
            owner: access.repo.owner.username.clone(),
            name: repo.name.clone(),
            pinned: host_keys::pinned(&state.db, repo.id).await?,
            remotes,
            checked: None,
            check_error: None,
            form,
            errors: FormErrors::default(),
            conflicts: Vec::new(),
            key_types: KEY_TYPES,
        })
    }

    /// Whether the checked key is one a sync would refuse.
    fn changed(&self) -> bool {
        self.checked
            .as_ref()
            .is_some_and(|c| c.verdict == Verdict::Changed)
    }

    /// Whether `key_type` is the one chosen in the pin form.
    fn chosen(&self, key_type: &str) -> bool {
        self.form.key_type == key_type
    }

    /// Whether the checked key is pinned already.
    fn known(&self) -> bool {
        self.checked
            .as_ref()
            .is_some_and(|c| c.verdict == Verdict::Known)
    }

    /// Whether the checked key is the one its forge publishes (trusted without a pin).
    fn published(&self) -> bool {
        self.checked
            .as_ref()
            .is_some_and(|c| c.verdict == Verdict::Published)
    }
}

/// The page, never cached (it may show what a remote just presented).
fn answer(status: StatusCode, page: HostKeysPage) -> Response {
    let mut response = (status, page).into_response();
    no_store(&mut response);
    response
}

/// GET: the pins, the SSH remotes to check and the form to pin a key by hand.
async fn show(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
) -> Result<Response, PageError> {
    let page = HostKeysPage::build(&state, &session, &access).await?;
    Ok(answer(StatusCode::OK, page))
}

/// "Check host key": asks the remote for its key and shows it, pinning nothing (502 with the
/// reason when the remote could not be asked).
async fn check(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<CheckForm>,
) -> Result<Response, PageError> {
    let which = RemoteRef::from_form(&form.remote).ok_or(Error::NotFound("SSH remote"))?;
    let mut page = HostKeysPage::build(&state, &session, &access).await?;
    let repo = &access.repo;
    let status = match host_key_check::check(&state.db, &state.config, &repo.repo, which).await {
        Ok(checked) => {
            tracing::info!(repo = %repo.full_name(), host = %checked.key.host, "SSH host key checked");
            page.form.host.clone_from(&checked.key.host);
            page.checked = Some(checked);
            StatusCode::OK
        }
        Err(Error::Remote(message)) => {
            page.check_error = Some(message);
            StatusCode::BAD_GATEWAY
        }
        Err(e) => return Err(e.into()),
    };
    Ok(answer(status, page))
}

/// Pins a pasted fingerprint or `known_hosts` lines (or the key a check showed); bad input
/// comes back inline (422) and a pin that holds another key asks to be confirmed (409), with
/// nothing stored either way.
async fn pin(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<PinForm>,
) -> Result<Response, PageError> {
    let keys = match known_hosts::parse_pasted(&form.key, &form.host, &form.key_type) {
        Ok(keys) => keys,
        Err(problem) => {
            let field = match problem {
                known_hosts::PastedKeyError::BadHost => "host",
                known_hosts::PastedKeyError::BadKeyType => "key_type",
                _ => "key",
            };
            return again(
                &state,
                &session,
                &access,
                form,
                FormErrors::on(field, problem.to_string()),
                Vec::new(),
            )
            .await;
        }
    };
    let repo = &access.repo;
    let replace = form.replace == "1";
    match host_keys::pin_by_hand(&state.db, repo.repo.id, &keys, replace).await? {
        ByHand::Pinned => {
            tracing::info!(repo = %repo.full_name(), keys = keys.len(), replace, "SSH host keys pinned by hand");
            Ok(pinned_notice(&session, repo, &keys).await?)
        }
        ByHand::Conflicts(conflicts) => {
            let message = "Another key is pinned for this host and key type: a sync refuses any other. Replace it only if you know the remote's key changed.";
            again(
                &state,
                &session,
                &access,
                form,
                FormErrors::whole_form(message),
                conflicts,
            )
            .await
        }
    }
}

/// The page again with the pin form as typed, its messages and the pins it would replace:
/// 422 for bad input, 409 for a pin that needs confirming.
async fn again(
    state: &AppState,
    session: &Session,
    access: &PageRepo<Admin>,
    form: PinForm,
    errors: FormErrors,
    conflicts: Vec<HostKey>,
) -> Result<Response, PageError> {
    let mut page = HostKeysPage::build(state, session, access).await?;
    let status = if conflicts.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CONFLICT
    };
    page.form = PinForm {
        replace: String::new(),
        ..form
    };
    page.errors = errors;
    page.conflicts = conflicts;
    Ok(answer(status, page))
}

/// Back to the host keys page, saying what is pinned now.
async fn pinned_notice(
    session: &Session,
    repo: &Repo,
    keys: &[HostKey],
) -> Result<Response, Error> {
    let what = keys
        .iter()
        .map(|k| format!("{} {} for {}", k.key_type, k.fingerprint_sha256, k.host))
        .collect::<Vec<_>>()
        .join(", ");
    let notice = format!("Pinned {what}: syncs now accept only the pinned keys from that host.");
    let page = format!(
        "/{}/{}/settings/mirror/ssh_host_keys",
        repo.owner.username, repo.repo.name
    );
    flash_redirect(session, notice, &page).await
}
