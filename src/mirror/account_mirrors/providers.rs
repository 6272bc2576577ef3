//! The forges an account mirror watches, and how each one lists an account's repositories:
//! the first page's URL, the token's header, one page's repositories read from its JSON, and
//! where the next page is. Pure: the requests themselves are [`super::listing`]'s.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A forge with a repository listing we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// GitHub (`https://api.github.com` unless told otherwise).
    Github,
    /// GitLab (`https://gitlab.com` unless told otherwise).
    Gitlab,
    /// Gitea: `api_url` is the server's base URL.
    Gitea,
    /// Forgejo: Gitea's API.
    Forgejo,
    /// Another mirrorforge: Gitea's listing shape.
    Mirrorforge,
}

impl Provider {
    /// Every provider, in the order the form offers them.
    pub const ALL: [Self; 5] = [
        Self::Github,
        Self::Gitlab,
        Self::Gitea,
        Self::Forgejo,
        Self::Mirrorforge,
    ];

    /// The word stored and shown.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Gitea => "gitea",
            Self::Forgejo => "forgejo",
            Self::Mirrorforge => "mirrorforge",
        }
    }

    /// The provider a word names.
    #[must_use]
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == word)
    }

    /// The API's base when none is given; `None` where it must be given (a self-hosted forge).
    #[must_use]
    pub const fn default_api_url(self) -> Option<&'static str> {
        match self {
            Self::Github => Some("https://api.github.com"),
            Self::Gitlab => Some("https://gitlab.com"),
            Self::Gitea | Self::Forgejo | Self::Mirrorforge => None,
        }
    }

    /// Whether the provider names the kind of account `kind` (GitLab has groups, not
    /// organisations; the others the reverse).
    #[must_use]
    pub const fn takes(self, kind: AccountKind) -> bool {
        match (self, kind) {
            (_, AccountKind::User) => true,
            (Self::Gitlab, AccountKind::Group) => true,
            (Self::Gitlab, AccountKind::Org) | (_, AccountKind::Group) => false,
            (_, AccountKind::Org) => true,
        }
    }

    /// The user name sent with the token as the git password (each forge documents one;
    /// mirrorforge and Gitea take any).
    #[must_use]
    pub const fn git_username(self) -> &'static str {
        match self {
            Self::Github => "x-access-token",
            Self::Gitlab | Self::Gitea | Self::Forgejo | Self::Mirrorforge => "oauth2",
        }
    }

    /// The header that carries `token`, as each provider documents it: GitHub `Authorization:
    /// Bearer`, GitLab `PRIVATE-TOKEN`, Gitea and its kin `Authorization: token`.
    #[must_use]
    pub fn token_header(self, token: &str) -> (&'static str, String) {
        match self {
            Self::Github => ("authorization", format!("Bearer {token}")),
            Self::Gitlab => ("private-token", token.to_owned()),
            Self::Gitea | Self::Forgejo | Self::Mirrorforge => {
                ("authorization", format!("token {token}"))
            }
        }
    }

    /// The URL of the first page of `account`'s repositories under `api` (no trailing `/`).
    ///
    /// # Errors
    /// The URL cannot be made (an `api` that is no base URL).
    pub fn first_page(
        self,
        api: &Url,
        account: &str,
        kind: AccountKind,
    ) -> Result<Url, url::ParseError> {
        let mut url = api.clone();
        let base = api.path().trim_end_matches('/').to_owned();
        let segment = urlencoding(account);
        let (path, query) = match (self, kind) {
            (Self::Github, AccountKind::User) => (
                format!("{base}/users/{segment}/repos"),
                "per_page=100&type=owner",
            ),
            (Self::Github, _) => (
                format!("{base}/orgs/{segment}/repos"),
                "per_page=100&type=all",
            ),
            (Self::Gitlab, AccountKind::User) => (
                format!("{base}/api/v4/users/{segment}/projects"),
                "per_page=100&page=1",
            ),
            (Self::Gitlab, _) => (
                format!("{base}/api/v4/groups/{segment}/projects"),
                "include_subgroups=true&per_page=100&page=1",
            ),
            (_, AccountKind::User) => (
                format!("{base}/api/v1/users/{segment}/repos"),
                "limit=50&page=1",
            ),
            (_, _) => (
                format!("{base}/api/v1/orgs/{segment}/repos"),
                "limit=50&page=1",
            ),
        };
        url.set_path(&path);
        url.set_query(Some(query));
        url.set_fragment(None);
        Ok(url)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of account is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// An organisation (GitHub, Gitea, Forgejo, mirrorforge).
    Org,
    /// A person.
    User,
    /// A GitLab group, with its subgroups.
    Group,
}

impl AccountKind {
    /// The word stored and shown.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Org => "org",
            Self::User => "user",
            Self::Group => "group",
        }
    }

    /// The kind a word names.
    #[must_use]
    pub fn parse(word: &str) -> Option<Self> {
        [Self::Org, Self::User, Self::Group]
            .into_iter()
            .find(|k| k.as_str() == word)
    }
}

/// Percent-encodes one path segment (a GitLab group path keeps its `/` as `%2F`).
fn urlencoding(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// One repository of the account, as the provider lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRepo {
    /// The provider's own id: stays the same through renames.
    pub id: String,
    /// The name the mirror takes here (a GitLab subgroup's project: `sub-project`).
    pub name: String,
    /// Where git clones it over HTTP(S).
    pub clone_url: String,
    /// Only visible with the token.
    pub private: bool,
    /// A fork of another repository.
    pub fork: bool,
    /// Archived (read-only) at the source.
    pub archived: bool,
}

/// Why a page could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PageError(pub String);

/// The repositories of one page of `provider`'s listing of `account` (`body`, its JSON).
///
/// # Errors
/// The body is not the provider's list of repositories.
pub fn repos_of_page(
    provider: Provider,
    account: &str,
    body: &[u8],
) -> Result<Vec<SourceRepo>, PageError> {
    let items: Vec<Value> = serde_json::from_slice(body).map_err(|e| {
        PageError(format!(
            "the listing is not a JSON list of repositories: {e}"
        ))
    })?;
    items
        .iter()
        .map(|item| match provider {
            Provider::Gitlab => gitlab_repo(account, item),
            _ => gitea_or_github_repo(item),
        })
        .collect()
}

fn field<'a>(item: &'a Value, name: &str) -> Result<&'a Value, PageError> {
    item.get(name)
        .filter(|v| !v.is_null())
        .ok_or_else(|| PageError(format!("a repository of the listing has no '{name}'")))
}

fn text(item: &Value, name: &str) -> Result<String, PageError> {
    field(item, name)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| PageError(format!("'{name}' of a repository is not text")))
}

fn id(item: &Value) -> Result<String, PageError> {
    match field(item, "id")? {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s.clone()),
        _ => Err(PageError(
            "'id' of a repository is neither a number nor text".to_owned(),
        )),
    }
}

fn flag(item: &Value, name: &str) -> bool {
    item.get(name).and_then(Value::as_bool).unwrap_or(false)
}

/// GitHub's and Gitea's repository: `id`, `name`, `clone_url`, `private`, `fork`, `archived`.
fn gitea_or_github_repo(item: &Value) -> Result<SourceRepo, PageError> {
    Ok(SourceRepo {
        id: id(item)?,
        name: text(item, "name")?,
        clone_url: text(item, "clone_url")?,
        private: flag(item, "private"),
        fork: flag(item, "fork"),
        archived: flag(item, "archived"),
    })
}

/// GitLab's project: `id`, `path_with_namespace`, `http_url_to_repo`, `visibility`,
/// `forked_from_project` (present on forks), `archived`. A project in a subgroup is named by
/// its path below the watched group, `/` becoming `-`.
fn gitlab_repo(account: &str, item: &Value) -> Result<SourceRepo, PageError> {
    let full = text(item, "path_with_namespace")?;
    let prefix = format!("{}/", account.trim_matches('/'));
    let below = if full.len() > prefix.len() && full[..prefix.len()].eq_ignore_ascii_case(&prefix) {
        &full[prefix.len()..]
    } else {
        full.rsplit('/').next().unwrap_or(&full)
    };
    Ok(SourceRepo {
        id: id(item)?,
        name: below.replace('/', "-"),
        clone_url: text(item, "http_url_to_repo")?,
        private: item.get("visibility").and_then(Value::as_str) != Some("public"),
        fork: item
            .get("forked_from_project")
            .is_some_and(|v| !v.is_null()),
        archived: flag(item, "archived"),
    })
}

/// The next page after `current`, as `provider` says: a `Link` header's `rel="next"`
/// (GitHub, Gitea, Forgejo, mirrorforge), or GitLab's `X-Next-Page` (empty on the last page).
/// A `Link` to another origin than `current`'s is not followed: that is an error, so a listing
/// is never cut short without a word.
///
/// # Errors
/// The next page is on another origin.
pub fn next_page(
    provider: Provider,
    current: &Url,
    link: Option<&str>,
    x_next_page: Option<&str>,
) -> Result<Option<Url>, PageError> {
    let next = match provider {
        Provider::Gitlab => {
            let Some(page) = x_next_page
                .map(str::trim)
                .and_then(|p| p.parse::<u64>().ok())
            else {
                return Ok(None);
            };
            let mut next = current.clone();
            let pairs: Vec<(String, String)> = current
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            next.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("page", &page.to_string());
            next
        }
        _ => {
            let Some(target) = link.and_then(|link| {
                link.split(',').find_map(|part| {
                    let (target, params) = part.split_once(';')?;
                    let is_next = params
                        .split(';')
                        .any(|p| p.trim().eq_ignore_ascii_case("rel=\"next\""));
                    is_next.then(|| target.trim().trim_start_matches('<').trim_end_matches('>'))
                })
            }) else {
                return Ok(None);
            };
            current
                .join(target)
                .map_err(|e| PageError(format!("the next page's link is not a URL: {e}")))?
        }
    };
    let same_origin = next.scheme() == current.scheme()
        && next.host_str() == current.host_str()
        && next.port_or_known_default() == current.port_or_known_default();
    if same_origin {
        Ok(Some(next))
    } else {
        Err(PageError(format!(
            "the listing's next page is on another host ({}), which is not followed: give the API URL the forge itself links to",
            crate::net::url_policy::redact(next.as_str())
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn first_pages_are_each_providers_documented_listing() {
        let gh = url("https://api.github.com");
        assert_eq!(
            Provider::Github
                .first_page(&gh, "rust-lang", AccountKind::Org)
                .unwrap()
                .as_str(),
            "https://api.github.com/orgs/rust-lang/repos?per_page=100&type=all"
        );
        assert_eq!(
            Provider::Github
                .first_page(&gh, "alice", AccountKind::User)
                .unwrap()
                .as_str(),
            "https://api.github.com/users/alice/repos?per_page=100&type=owner"
        );
        let gl = url("https://gitlab.example.com/");
        assert_eq!(
            Provider::Gitlab
                .first_page(&gl, "grp/sub", AccountKind::Group)
                .unwrap()
                .as_str(),
            "https://gitlab.example.com/api/v4/groups/grp%2Fsub/projects?include_subgroups=true&per_page=100&page=1"
        );
        let gitea = url("http://127.0.0.1:3000/git");
        assert_eq!(
            Provider::Forgejo
                .first_page(&gitea, "acme", AccountKind::Org)
                .unwrap()
                .as_str(),
            "http://127.0.0.1:3000/git/api/v1/orgs/acme/repos?limit=50&page=1"
        );
    }

    #[test]
    fn pages_are_read_in_each_shape() {
        let github = br#"[{"id":7,"name":"a","clone_url":"https://github.com/o/a.git","private":true,"fork":false,"archived":true}]"#;
        let repos = repos_of_page(Provider::Github, "o", github).unwrap();
        assert_eq!(repos[0].id, "7");
        assert!(repos[0].private && repos[0].archived && !repos[0].fork);
        let gitlab = br#"[{"id":9,"path_with_namespace":"grp/sub/tool","http_url_to_repo":"https://gitlab.com/grp/sub/tool.git","visibility":"internal","forked_from_project":{"id":1},"archived":false}]"#;
        let repos = repos_of_page(Provider::Gitlab, "grp", gitlab).unwrap();
        assert_eq!(repos[0].name, "sub-tool");
        assert!(repos[0].private && repos[0].fork);
        let err = repos_of_page(Provider::Gitea, "o", br#"{"message":"not found"}"#).unwrap_err();
        assert!(err.0.contains("not a JSON list"), "{err}");
        let err = repos_of_page(Provider::Gitea, "o", br#"[{"id":1,"name":"x"}]"#).unwrap_err();
        assert!(err.0.contains("clone_url"), "{err}");
    }

    #[test]
    fn next_pages_follow_link_or_x_next_page_and_stay_on_the_host() {
        let current = url("https://api.github.com/orgs/o/repos?per_page=100&type=all");
        let link = r#"<https://api.github.com/organizations/1/repos?per_page=100&type=all&page=2>; rel="next", <https://api.github.com/organizations/1/repos?page=5>; rel="last""#;
        let next = next_page(Provider::Github, &current, Some(link), None);
        assert_eq!(
            next.unwrap().map(String::from),
            Some(
                "https://api.github.com/organizations/1/repos?per_page=100&type=all&page=2"
                    .to_owned()
            )
        );
        let evil = r#"<https://evil.example/x>; rel="next""#;
        let elsewhere = next_page(Provider::Github, &current, Some(evil), None);
        assert!(elsewhere.unwrap_err().0.contains("evil.example"));
        let last_only = r#"<https://api.github.com/x>; rel="last""#;
        assert_eq!(
            next_page(Provider::Github, &current, Some(last_only), None),
            Ok(None)
        );
        let gl = url(
            "https://gitlab.com/api/v4/groups/g/projects?include_subgroups=true&per_page=100&page=1",
        );
        assert_eq!(
            next_page(Provider::Gitlab, &gl, None, Some("2")).unwrap().map(String::from),
            Some("https://gitlab.com/api/v4/groups/g/projects?include_subgroups=true&per_page=100&page=2".to_owned())
        );
        assert_eq!(next_page(Provider::Gitlab, &gl, None, Some("")), Ok(None));
    }
}
