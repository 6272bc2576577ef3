//! The code pages' URLs: `/{owner}/{repo}/{view}/{rev}/{path}` with each segment
//! percent-encoded, so a branch or file name with `#`, `?`, `%` or a space stays one name.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::git::browse::path::TreePath;

/// Which page a code URL opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// A directory.
    Tree,
    /// A file.
    Blob,
    /// A file's bytes.
    Raw,
    /// A file's bytes, an LFS pointer's object in its place.
    Media,
    /// A ref's history.
    Commits,
}

impl View {
    /// The URL segment naming the view.
    fn segment(self) -> &'static str {
        match self {
            Self::Tree => "tree",
            Self::Blob => "blob",
            Self::Raw => "raw",
            Self::Media => "media",
            Self::Commits => "commits",
        }
    }
}

/// The URL of `view` of `path` at `rev` in `owner/repo`.
#[must_use]
pub fn code_url(owner: &str, repo: &str, view: View, rev: &str, path: &TreePath) -> String {
    let mut url = format!("/{owner}/{repo}/{}/{}", view.segment(), encode_path(rev));
    for segment in path.segments() {
        url.push('/');
        url.push_str(&encode_segment(segment));
    }
    url
}

/// `path` with each `/`-separated segment percent-encoded.
#[must_use]
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// What a path segment encodes: every byte but RFC 3986's unreserved characters and the
/// sub-delimiters, `:` and `@` that a segment may hold as they are.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// `segment` with every byte outside RFC 3986's unreserved and path characters encoded.
#[must_use]
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_odd_characters_stay_one_segment() {
        let path = TreePath::parse("docs/a b#c?.md").unwrap();
        assert_eq!(
            code_url("alice", "demo", View::Blob, "feature/x%", &path),
            "/alice/demo/blob/feature/x%25/docs/a%20b%23c%3F.md"
        );
        assert_eq!(
            code_url("alice", "demo", View::Tree, "main", &TreePath::default()),
            "/alice/demo/tree/main"
        );
    }
}
