//! Which HTTP URLs a mirror may use: `http`/`https`, no credentials, at most 500 characters,
//! and a host whose every address is public (unless local networks are allowed). Checked when
//! saved, and again by each transfer's HTTP connection at the moment it connects, because DNS can
//! change at any time. SSH addresses ([`super::ssh_url`]) obey the same address policy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

pub use super::error::{MAX_URL_LEN, ResolveError};
use super::{
    error::{Schemes, UrlError},
    ssh_url::SshUrl,
};

/// Checks the form of a URL (no DNS); the error says what is wrong.
///
/// # Errors
/// A refusal a user can act on.
pub fn check_syntax(raw: &str, allow_local: bool) -> Result<Url, UrlError> {
    if raw.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    let raw = raw.trim();
    let url = match Url::parse(raw) {
        Ok(url) => url,
        Err(_) if SshUrl::looks_like(raw) => return Err(UrlError::SshNotHere),
        Err(e) => return Err(UrlError::NotAUrl(e)),
    };
    if matches!(url.scheme(), "ssh" | "git+ssh" | "ssh+git") {
        return Err(UrlError::SshNotHere);
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::BadScheme(Schemes::Http));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    match url.host() {
        None => return Err(UrlError::NoHost),
        Some(Host::Ipv4(ip)) if !allow_local && is_blocked(IpAddr::V4(ip)) => {
            return Err(UrlError::Blocked(IpAddr::V4(ip)));
        }
        Some(Host::Ipv6(ip)) if !allow_local && is_blocked(IpAddr::V6(ip)) => {
            return Err(UrlError::Blocked(IpAddr::V6(ip)));
        }
        Some(_) => {}
    }
    Ok(url)
}

/// The sentence for an address the policy refuses.
#[must_use]
pub fn blocked_message(ip: IpAddr) -> String {
    UrlError::Blocked(ip).to_string()
}

/// Checks the form and resolves the host: every address must be allowed.
///
/// # Errors
/// A refusal a user can act on.
pub async fn check(raw: &str, allow_local: bool) -> Result<Url, UrlError> {
    let url = check_syntax(raw, allow_local)?;
    if allow_local {
        return Ok(url);
    }
    let Some(Host::Domain(domain)) = url.host() else {
        return Ok(url); // literal addresses were checked above
    };
    let port = url.port_or_known_default().unwrap_or(443);
    resolve_allowed(domain, port, false).await?;
    Ok(url)
}

/// Resolves `host` (a name or an address) and returns its addresses; fails when it does not
/// resolve, or (unless `allow_local`) when any address is local or private. The mirror
/// transfers connect only to addresses this returned (see `remote_http`).
///
/// # Errors
/// A [`ResolveError`] whose message a user can act on.
pub async fn resolve_allowed(
    host: &str,
    port: u16,
    allow_local: bool,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| {
            ResolveError::Unresolved(format!(
                "could not resolve host {host}: {}",
                crate::net::error::plain_io(&e)
            ))
        })?
        .collect();
    if addrs.is_empty() {
        return Err(ResolveError::Unresolved(format!(
            "could not resolve host {host}"
        )));
    }
    if !allow_local && let Some(bad) = addrs.iter().find(|a| is_blocked(a.ip())) {
        return Err(ResolveError::Blocked(blocked_message(bad.ip())));
    }
    Ok(addrs)
}

/// True for loopback, private, link-local, unique-local, multicast, unspecified and other
/// non-public addresses, including IPv4 addresses wrapped in IPv6.
#[must_use]
pub fn is_blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_blocked_v4(v4),
        IpAddr::V6(v6) => is_blocked_v6(v6),
    }
}

fn is_blocked_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..=127).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..=19).contains(&b)) // benchmarking
        || a >= 240 // reserved
}

fn is_blocked_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
    // addresses reach an IPv4 host: judge that host.
    let embedded_v4 = || {
        let [.., g, h] = segments;
        Ipv4Addr::new((g >> 8) as u8, g as u8, (h >> 8) as u8, h as u8)
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_blocked_v4(v4);
    }
    if segments[..6] == [0, 0, 0, 0, 0, 0] {
        return ip.is_unspecified() || ip.is_loopback() || is_blocked_v4(embedded_v4());
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_blocked_v4(embedded_v4());
    }
    // IPv4-translated (::ffff:0:a.b.c.d, RFC 2765) and local-use NAT64 (64:ff9b:1::/48,
    // RFC 8215) are for translators inside a network: never a public host.
    if segments[..6] == [0, 0, 0, 0, 0xffff, 0] || segments[..3] == [0x64, 0xff9b, 1] {
        return true;
    }
    if segments[0] == 0x2002 {
        // 6to4 wraps an IPv4 address in bits 16..48.
        let v4 = Ipv4Addr::new(
            (segments[1] >> 8) as u8,
            segments[1] as u8,
            (segments[2] >> 8) as u8,
            segments[2] as u8,
        );
        return is_blocked_v4(v4);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]) // discard-only
}

/// The URL without any user info, for showing and logging.
#[must_use]
pub fn redact(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) => {
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("");
                let _ = url.set_password(None);
            }
            url.to_string()
        }
        // Not parseable: drop anything that looks like user info before the host.
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}{}", &raw[..scheme_end + 3], &raw[at + 1..])
            }
            _ => raw.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_bad_form() {
        let cases = [
            ("ftp://example.com/r.git", "http"),
            ("file:///etc/passwd", "http"),
            ("ssh://git@example.com/r.git", "not accepted here"),
            ("git@github.com:foo/bar.git", "not accepted here"),
            ("github.com:foo/bar.git", "http"),
            ("git://example.com/r.git", "http"),
            ("https://user:pw@example.com/r.git", "credentials"),
            ("https://token@example.com/r.git", "credentials"),
            ("http://127.0.0.1/r.git", "not allowed"),
            ("http://localhost./r.git", ""),
            ("http://2130706433/r.git", "not allowed"),
            ("http://0x7f.0.0.1/r.git", "not allowed"),
            ("http://0177.0.0.1/r.git", "not allowed"),
            ("http://10.1.2.3/", "not allowed"),
            ("http://172.16.0.1/", "not allowed"),
            ("http://192.168.1.1/", "not allowed"),
            ("http://169.254.169.254/latest/meta-data", "not allowed"),
            ("http://0.0.0.0/", "not allowed"),
            ("http://224.0.0.1/", "not allowed"),
            ("http://100.64.0.1/", "not allowed"),
            ("http://[::1]/", "not allowed"),
            ("http://[::]/", "not allowed"),
            ("http://[fd00::1]/", "not allowed"),
            ("http://[fe80::1]/", "not allowed"),
            ("http://[ff02::1]/", "not allowed"),
            ("http://[::ffff:127.0.0.1]/", "not allowed"),
            ("http://[::ffff:10.0.0.1]/", "not allowed"),
            ("http://[64:ff9b::7f00:1]/", "not allowed"),
            ("http://[::ffff:0:7f00:1]/", "not allowed"),
            ("http://[::ffff:0:808:808]/", "not allowed"),
            ("http://[64:ff9b:1::808:808]/", "not allowed"),
            ("http://[2002:7f00:1::]/", "not allowed"),
            ("not a url", "valid URL"),
        ];
        for (url, expected) in cases {
            let err = check_syntax(url, false);
            if url.contains("localhost") {
                // Names are judged after resolution; see the async test.
                continue;
            }
            let err = err.expect_err(url).to_string();
            assert!(err.contains(expected), "{url}: {err}");
        }
        let long = format!("https://example.com/{}", "a".repeat(500));
        assert!(
            check_syntax(&long, false)
                .unwrap_err()
                .to_string()
                .contains("500")
        );
    }

    #[test]
    fn accepts_public_and_local_when_allowed() {
        assert!(check_syntax("https://example.com/r.git", false).is_ok());
        assert!(check_syntax("http://93.184.216.34/r.git", false).is_ok());
        assert!(check_syntax("http://[2606:4700::1111]/r.git", false).is_ok());
        assert!(check_syntax("http://[64:ff9b::808:808]/r.git", false).is_ok());
        assert!(check_syntax("http://127.0.0.1:8080/r.git", true).is_ok());
        assert!(check_syntax("https://u:p@example.com/", true).is_err());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        let err = check("http://localhost:9/r.git", false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("not allowed"), "{err}");
        assert!(check("http://localhost:9/r.git", true).await.is_ok());
    }

    #[test]
    fn redaction_strips_user_info() {
        assert_eq!(
            redact("https://user:secret@example.com/r.git"),
            "https://example.com/r.git"
        );
        assert_eq!(
            redact("https://example.com/r.git"),
            "https://example.com/r.git"
        );
        assert_eq!(redact("weird://user:secret@host x"), "weird://host x");
    }
}
