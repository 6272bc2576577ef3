//! An SSH remote's address, as git writes it: `ssh://[user@]host[:port]/path` or the scp-like
//! `user@host:path`. Nothing in it may be read as an option by a program (no leading `-`),
//! nothing in it is ever run: the path is only ever sent, quoted, as the argument of
//! `git-upload-pack` or `git-receive-pack`.

use std::{fmt, net::IpAddr};

use super::{
    error::{Schemes, UrlError},
    url_policy::{self, MAX_URL_LEN},
};

/// The login used when the URL names none (what GitHub, GitLab, Gitea and Forgejo expect).
pub const DEFAULT_USER: &str = "git";

/// A checked SSH remote address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshUrl {
    /// The address as it is stored and shown (normalised: host in lower case).
    text: String,
    /// The login name.
    user: String,
    /// A DNS name or an IP address (without brackets).
    host: String,
    /// The TCP port (22 unless the `ssh://` form names another).
    port: u16,
    /// The repository's path on the host, as given (absolute for `ssh://`, relative to the
    /// login's home for the scp-like form).
    path: String,
}

impl SshUrl {
    /// Whether `raw` is meant as an SSH address (an `ssh://` URL or the scp-like form), so its
    /// errors should speak of SSH.
    #[must_use]
    pub fn looks_like(raw: &str) -> bool {
        let raw = raw.trim();
        let lower = raw.to_ascii_lowercase();
        ["ssh://", "git+ssh://", "ssh+git://"]
            .iter()
            .any(|scheme| lower.starts_with(scheme))
            || scp_parts(raw).is_some()
    }

    /// Checks the form (no DNS): a literal address is judged by the address policy, a name is
    /// left for the connection.
    ///
    /// # Errors
    /// A refusal a user can act on.
    pub fn parse(raw: &str, allow_local: bool) -> Result<Self, UrlError> {
        if raw.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        let raw = raw.trim();
        let (user, host, port, path, scp_like) = match raw.split_once("://") {
            Some((scheme, rest)) => {
                if !matches!(
                    scheme.to_ascii_lowercase().as_str(),
                    "ssh" | "git+ssh" | "ssh+git"
                ) {
                    return Err(UrlError::BadScheme(Schemes::HttpOrSsh));
                }
                let (user, host, port, path) = url_parts(rest)?;
                (user, host, port, path, false)
            }
            None => {
                let (user, host, path) = scp_parts(raw).ok_or(UrlError::NotSsh)?;
                (Some(user), host, 22, path, true)
            }
        };
        let user = user.unwrap_or(DEFAULT_USER);
        check_user(user)?;
        let host = check_host(host, allow_local)?;
        check_path(path)?;
        let shown_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let text = if scp_like {
            format!("{user}@{shown_host}:{path}")
        } else if port == 22 {
            format!("ssh://{user}@{shown_host}{path}")
        } else {
            format!("ssh://{user}@{shown_host}:{port}{path}")
        };
        Ok(Self {
            text,
            user: user.to_owned(),
            host,
            port,
            path: path.to_owned(),
        })
    }

    /// Checks the form and resolves the host: every address must be allowed (on save).
    ///
    /// # Errors
    /// A refusal a user can act on.
    pub async fn check(raw: &str, allow_local: bool) -> Result<Self, UrlError> {
        let url = Self::parse(raw, allow_local)?;
        if !allow_local && url.host.parse::<IpAddr>().is_err() {
            url_policy::resolve_allowed(&url.host, url.port, false).await?;
        }
        Ok(url)
    }

    /// The address as stored and shown.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The login name.
    #[must_use]
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The host (a name, or an address without brackets).
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The repository's path on the host.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The command that runs `program` (`git-upload-pack`, `git-receive-pack`) on the
    /// repository: the path in single quotes, as git itself sends it, so the remote's shell
    /// reads it as one word whatever it holds.
    #[must_use]
    pub fn command(&self, program: &str) -> String {
        format!("{program} '{}'", self.path.replace('\'', r"'\''"))
    }
}

impl fmt::Display for SshUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `[user@]host[:port]/path` of an `ssh://` URL.
fn url_parts(rest: &str) -> Result<(Option<&str>, &str, u16, &str), UrlError> {
    let slash = rest.find('/').ok_or(UrlError::SshNoSlash)?;
    let (authority, path) = rest.split_at(slash);
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, host_port)) => (Some(user), host_port),
        None => (None, authority),
    };
    if user.is_some_and(|u| u.contains(':')) {
        return Err(UrlError::SshPassword);
    }
    let (host, port) = match host_port.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']').ok_or(UrlError::SshBracket)?;
            (host, after.strip_prefix(':'))
        }
        None => match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    let port = match port {
        None | Some("") => 22,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| UrlError::SshPort(port.to_owned()))?,
    };
    Ok((user, host, port, path))
}

/// `user@host:path`: git's scp-like form (a colon before any slash, no scheme).
fn scp_parts(raw: &str) -> Option<(&str, &str, &str)> {
    if raw.contains("://") {
        return None;
    }
    let (user, rest) = raw.split_once('@')?;
    let (host, path) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']')?;
            (host, after.strip_prefix(':')?)
        }
        None => rest.split_once(':')?,
    };
    (!user.is_empty() && !user.contains('/') && !host.is_empty() && !host.contains('/'))
        .then_some((user, host, path))
}

fn check_user(user: &str) -> Result<(), UrlError> {
    if user.starts_with('-') {
        return Err(option_like("user", user));
    }
    if user.is_empty()
        || user.len() > 64
        || !user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(UrlError::SshUser(user.to_owned()));
    }
    Ok(())
}

/// The host in lower case, checked: a name or an address, never option-like, and a literal
/// address only where the policy allows it.
fn check_host(host: &str, allow_local: bool) -> Result<String, UrlError> {
    if host.starts_with('-') {
        return Err(option_like("host", host));
    }
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        if !allow_local && url_policy::is_blocked(ip) {
            return Err(UrlError::Blocked(ip));
        }
        return Ok(ip.to_string());
    }
    let name_like = host.len() <= 253
        && host
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !name_like {
        return Err(UrlError::SshHost(host.to_owned()));
    }
    // A name that is all digits and dots (or hex) could be read as an address by the resolver
    // ("2130706433", "0x7f.1"): the resolved addresses are what is judged, on save and on
    // connecting, so it is only refused here when it cannot be a name at all.
    Ok(host.to_ascii_lowercase())
}

fn check_path(path: &str) -> Result<(), UrlError> {
    let bare = path.trim_start_matches('/');
    if path.is_empty() || bare.is_empty() {
        return Err(UrlError::SshNoPath);
    }
    if path.starts_with('-') {
        return Err(option_like("path", path));
    }
    if path.chars().any(char::is_control) {
        return Err(UrlError::SshControl);
    }
    Ok(())
}

/// The refusal of a `part` that could be read as an option.
fn option_like(part: &'static str, value: &str) -> UrlError {
    UrlError::SshOption {
        part,
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_are_read_and_shown_normalised() {
        let url = SshUrl::parse("ssh://git@Example.COM:2222/srv/r.git", false).unwrap();
        assert_eq!(
            (url.user(), url.host(), url.port(), url.path()),
            ("git", "example.com", 2222, "/srv/r.git")
        );
        assert_eq!(url.as_str(), "ssh://git@example.com:2222/srv/r.git");
        let url = SshUrl::parse(" git@github.com:foo/bar.git ", false).unwrap();
        assert_eq!(
            (url.user(), url.host(), url.port(), url.path()),
            ("git", "github.com", 22, "foo/bar.git")
        );
        assert_eq!(url.as_str(), "git@github.com:foo/bar.git");
        let url = SshUrl::parse("ssh://example.com/r.git", false).unwrap();
        assert_eq!(url.as_str(), "ssh://git@example.com/r.git");
        let url = SshUrl::parse("ssh://root@[::1]:2200/r.git", true).unwrap();
        assert_eq!((url.host(), url.port()), ("::1", 2200));
        assert_eq!(url.as_str(), "ssh://root@[::1]:2200/r.git");
        assert!(SshUrl::looks_like("git@github.com:foo/bar.git"));
        assert!(SshUrl::looks_like("SSH://h/r"));
        assert!(!SshUrl::looks_like("https://h/r"));
        assert!(!SshUrl::looks_like("github.com:foo/bar.git"));
    }

    #[test]
    fn option_like_parts_passwords_and_local_addresses_are_refused() {
        let cases = [
            ("ssh://-oProxyCommand=touch%20x@h/r.git", "option"),
            ("ssh://git@-oProxyCommand=x/r.git", "option"),
            ("-oProxyCommand=x@h:r.git", "option"),
            ("git@-oProxyCommand=x:r.git", "option"),
            ("git@h:-u/r.git", "option"),
            ("ssh://git:secret@h/r.git", "password"),
            ("ssh://git@127.0.0.1/r.git", "not allowed"),
            ("ssh://git@[::1]:22/r.git", "not allowed"),
            ("git@10.0.0.1:r.git", "not allowed"),
            ("ssh://git@h:99999/r.git", "port"),
            ("ssh://git@h", "no path"),
            ("ssh://git@h/", "no repository path"),
            ("git@h:", "no repository path"),
            ("ssh://git@h/r\n.git", "control"),
            ("ssh://git@ho st/r.git", "host name"),
            ("ssh://g$(id)@h/r.git", "login name"),
            ("ext::sh -c touch% /tmp/pwned", "SSH address"),
        ];
        for (raw, expected) in cases {
            let err = SshUrl::parse(raw, false).expect_err(raw).to_string();
            assert!(err.contains(expected), "{raw}: {err}");
        }
        assert!(SshUrl::parse("ssh://git@127.0.0.1:2222/r.git", true).is_ok());
    }

    #[test]
    fn the_path_is_one_quoted_word() {
        let url = SshUrl::parse("git@h:it's; rm -rf ~", false).unwrap();
        assert_eq!(
            url.command("git-upload-pack"),
            r"git-upload-pack 'it'\''s; rm -rf ~'"
        );
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_on_save() {
        let err = SshUrl::check("ssh://git@localhost:2222/r.git", false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("not allowed"), "{err}");
        assert!(
            SshUrl::check("ssh://git@localhost:2222/r.git", true)
                .await
                .is_ok()
        );
    }
}
