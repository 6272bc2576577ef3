//! The ref advertisement a smart-HTTP remote answers `info/refs?service=…` with, or a service
//! run over SSH sends first (protocol v0), read by our code before libgit2 sees it: when the refs already match, a sync ends there.

use std::collections::BTreeMap;

use git2::Oid;

/// The refs a remote advertises, and where its `HEAD` points.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advertisement {
    /// Every advertised ref with its id (peeled `^{}` entries left out).
    pub refs: BTreeMap<String, Oid>,
    /// The ref `HEAD` names, from the `symref=HEAD:…` capability.
    pub head: Option<String>,
    /// The capabilities the remote offers (`report-status`, `side-band-64k`, …).
    pub capabilities: Vec<String>,
}

impl Advertisement {
    /// Whether the remote offers `capability`.
    #[must_use]
    pub fn offers(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }
}

/// Why an answer is not a ref advertisement, in a sentence for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvertisementError(pub String);

impl std::fmt::Display for AdvertisementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AdvertisementError {}

impl From<String> for AdvertisementError {
    fn from(sentence: String) -> Self {
        Self(sentence)
    }
}

impl From<&str> for AdvertisementError {
    fn from(sentence: &str) -> Self {
        Self(sentence.to_owned())
    }
}

/// Splits pkt-lines: `(Some(payload))` per line, `None` for a flush packet.
fn pkt_lines(mut data: &[u8]) -> Result<Vec<Option<&[u8]>>, AdvertisementError> {
    let mut lines = Vec::new();
    while !data.is_empty() {
        let length = data
            .get(..4)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| usize::from_str_radix(hex, 16).ok())
            .ok_or("a pkt-line length is not four hex digits")?;
        match length {
            0 => lines.push(None),
            1..=3 => {
                return Err(AdvertisementError::from(format!(
                    "a pkt-line of length {length}"
                )));
            }
            _ => {
                let payload = data
                    .get(4..length)
                    .ok_or("a pkt-line runs past the end of the answer")?;
                lines.push(Some(payload));
            }
        }
        data = &data[length.max(4)..];
    }
    Ok(lines)
}

/// Parses a smart-HTTP ref advertisement for `service` (`git-upload-pack`, `git-receive-pack`).
///
/// # Errors
/// The answer is not one (a sentence for the log and the user).
pub fn parse(body: &[u8], service: &str) -> Result<Advertisement, AdvertisementError> {
    let lines = pkt_lines(body)?;
    let mut lines = lines.into_iter();
    let announcement = format!("# service={service}");
    match lines.next() {
        Some(Some(first)) if first.trim_ascii_end() == announcement.as_bytes() => {}
        _ => {
            return Err(AdvertisementError::from(format!(
                "the answer does not announce {service}"
            )));
        }
    }
    // A flush ends the announcement; the refs follow up to the next flush.
    if lines.next() != Some(None) {
        return Err(AdvertisementError::from(
            "the announcement is not followed by a flush".to_owned(),
        ));
    }
    refs(lines)
}

/// Parses the ref advertisement a service sends first over SSH (no announcement: the refs
/// up to a flush).
///
/// # Errors
/// The bytes are not one.
pub fn parse_ssh(body: &[u8]) -> Result<Advertisement, AdvertisementError> {
    refs(pkt_lines(body)?.into_iter())
}

/// The refs and capabilities of pkt-lines up to a flush.
fn refs<'a>(
    lines: impl Iterator<Item = Option<&'a [u8]>>,
) -> Result<Advertisement, AdvertisementError> {
    let mut advertisement = Advertisement::default();
    for line in lines {
        let Some(line) = line else { break };
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let (reference, capabilities) = match line.iter().position(|&b| b == 0) {
            Some(nul) => (&line[..nul], Some(&line[nul + 1..])),
            None => (line, None),
        };
        let text = std::str::from_utf8(reference).map_err(|_| "a ref name is not UTF-8")?;
        let (id, name) = text
            .split_once(' ')
            .ok_or_else(|| format!("not a ref line: {text:?}"))?;
        if let Some(capabilities) = capabilities.and_then(|c| std::str::from_utf8(c).ok()) {
            advertisement.capabilities = capabilities.split(' ').map(str::to_owned).collect();
            advertisement.head = capabilities
                .split(' ')
                .find_map(|c| c.strip_prefix("symref=HEAD:"))
                .map(str::to_owned);
        }
        if name == "capabilities^{}" || name.ends_with("^{}") {
            continue; // an empty repository's placeholder, or a peeled tag
        }
        let oid = Oid::from_str(id).map_err(|_| format!("not an object id: {id:?}"))?;
        advertisement.refs.insert(name.to_owned(), oid);
    }
    Ok(advertisement)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(data: &str) -> String {
        format!("{:04x}{data}", data.len() + 4)
    }

    #[test]
    fn refs_head_and_peeled_tags() {
        let a = "1".repeat(40);
        let b = "2".repeat(40);
        let body = format!(
            "{}0000{}{}{}0000",
            pkt("# service=git-upload-pack\n"),
            pkt(&format!(
                "{a} HEAD\0multi_ack symref=HEAD:refs/heads/main agent=git/2.47\n"
            )),
            pkt(&format!("{a} refs/heads/main\n")),
            pkt(&format!("{b} refs/tags/v1^{{}}\n")),
        );
        let parsed = parse(body.as_bytes(), "git-upload-pack").unwrap();
        assert_eq!(parsed.head.as_deref(), Some("refs/heads/main"));
        assert!(parsed.offers("multi_ack") && !parsed.offers("ofs-delta"));
        assert_eq!(
            parsed.refs.keys().collect::<Vec<_>>(),
            ["HEAD", "refs/heads/main"]
        );
    }

    #[test]
    fn an_empty_repository_advertises_only_capabilities() {
        let zero = "0".repeat(40);
        let body = format!(
            "{}0000{}0000",
            pkt("# service=git-receive-pack\n"),
            pkt(&format!(
                "{zero} capabilities^{{}}\0report-status delete-refs\n"
            )),
        );
        let parsed = parse(body.as_bytes(), "git-receive-pack").unwrap();
        assert!(parsed.refs.is_empty());
        assert_eq!(parsed.head, None);
    }

    #[test]
    fn over_ssh_the_refs_come_without_an_announcement() {
        let a = "1".repeat(40);
        let body = format!(
            "{}{}0000",
            pkt(&format!("{a} HEAD\0symref=HEAD:refs/heads/main\n")),
            pkt(&format!("{a} refs/heads/main\n")),
        );
        let parsed = parse_ssh(body.as_bytes()).unwrap();
        assert_eq!(parsed.head.as_deref(), Some("refs/heads/main"));
        assert_eq!(parsed.refs.len(), 2);
        assert!(parse_ssh(b"0000").unwrap().refs.is_empty());
        assert!(parse_ssh(b"fatal").is_err());
    }

    #[test]
    fn what_is_not_an_advertisement_says_so() {
        assert!(parse(b"<html>", "git-upload-pack").is_err());
        let other = format!("{}0000", pkt("# service=git-receive-pack\n"));
        assert!(parse(other.as_bytes(), "git-upload-pack").is_err());
        assert!(parse(b"00", "git-upload-pack").is_err());
        assert!(parse(b"0003", "git-upload-pack").is_err());
        assert!(parse(b"ffffabc", "git-upload-pack").is_err());
    }
}
