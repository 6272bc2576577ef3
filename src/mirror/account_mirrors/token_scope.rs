//! Where an account mirror's token may go: to its API's own origin, and as the git password only
//! to clone URLs on the API's host or on the host the API names with a leading `api.` removed
//! (`api.github.com` → `github.com`). A listing that names clone URLs elsewhere gets them cloned
//! without the token.

use url::Url;

/// The host the token's git password may go to besides the API's own: the API's host without a
/// leading `api.` (GitHub's `api.github.com` serves git at `github.com`).
fn git_host(api: &Url) -> Option<String> {
    let host = api.host_str()?.to_ascii_lowercase();
    Some(
        host.strip_prefix("api.")
            .map_or(host.clone(), str::to_owned),
    )
}

/// Whether the token may be sent, as the git password, to `clone_url`: same scheme as the API
/// (never from `https` down to `http`), and the API's host or its git host, on the API's port
/// when the clone URL names the API's host.
#[must_use]
pub fn token_may_go_to(api: &Url, clone_url: &Url) -> bool {
    if clone_url.scheme() != api.scheme() {
        return false;
    }
    let (Some(clone_host), Some(api_host)) = (clone_url.host_str(), api.host_str()) else {
        return false;
    };
    let clone_host = clone_host.to_ascii_lowercase();
    if clone_host == api_host.to_ascii_lowercase() {
        return clone_url.port_or_known_default() == api.port_or_known_default();
    }
    git_host(api).is_some_and(|git| git != api_host.to_ascii_lowercase() && git == clone_host)
        && clone_url.port_or_known_default() == api.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(api: &str, clone: &str) -> bool {
        token_may_go_to(&Url::parse(api).unwrap(), &Url::parse(clone).unwrap())
    }

    #[test]
    fn the_token_goes_to_the_api_host_and_its_git_host_only() {
        assert!(may("https://api.github.com", "https://github.com/o/r.git"));
        assert!(may(
            "https://api.github.com",
            "https://API.GitHub.com/o/r.git"
        ));
        assert!(may(
            "https://gitlab.example.com",
            "https://gitlab.example.com/g/p.git"
        ));
        assert!(may(
            "http://127.0.0.1:3000",
            "http://127.0.0.1:3000/o/r.git"
        ));
        assert!(
            !may("http://127.0.0.1:3000", "http://127.0.0.1:3001/o/r.git"),
            "another port"
        );
        assert!(!may(
            "https://api.github.com",
            "https://evil.example/o/r.git"
        ));
        assert!(!may(
            "https://api.github.com",
            "https://github.com.evil.example/o/r.git"
        ));
        assert!(
            !may("https://api.github.com", "http://github.com/o/r.git"),
            "never to plain http"
        );
        assert!(
            !may("https://gitlab.com", "https://api.gitlab.com/x.git"),
            "only a leading api. is dropped"
        );
    }
}
