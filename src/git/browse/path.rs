//! A path inside a repository's tree as a URL names it, checked once: no `.` or `..`
//! segment, no empty segment, no NUL or other control character. Anything else is not a
//! path in any tree, so the pages answer 404 for it.

/// A checked path inside a tree; the empty path is the root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TreePath(Vec<String>);

impl TreePath {
    /// Reads `raw` (segments joined by `/`; a trailing `/` is allowed), or `None` when a
    /// segment is empty, `.`, `..`, or holds a control character.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.strip_suffix('/').unwrap_or(raw);
        if raw.is_empty() {
            return Some(Self::default());
        }
        raw.split('/')
            .map(|segment| is_plain(segment).then(|| segment.to_owned()))
            .collect::<Option<Vec<_>>>()
            .map(Self)
    }

    /// The root of the tree.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The segments, outermost first.
    #[must_use]
    pub fn segments(&self) -> &[String] {
        &self.0
    }

    /// The last segment (the file or directory's own name), empty at the root.
    #[must_use]
    pub fn name(&self) -> &str {
        self.0.last().map_or("", String::as_str)
    }

    /// The path with `child` appended.
    #[must_use]
    pub fn join(&self, child: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(child.to_owned());
        Self(segments)
    }

    /// The directory holding this path (the root holds itself).
    #[must_use]
    pub fn parent(&self) -> Self {
        let mut segments = self.0.clone();
        segments.pop();
        Self(segments)
    }
}

impl std::fmt::Display for TreePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

/// A segment git could have stored and a URL may name.
fn is_plain(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && !segment.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::TreePath;

    #[test]
    fn plain_paths_are_read_segment_by_segment() {
        let path = TreePath::parse("src/git/browse.rs").unwrap();
        assert_eq!(path.segments(), ["src", "git", "browse.rs"]);
        assert_eq!(path.name(), "browse.rs");
        assert_eq!(path.parent().to_string(), "src/git");
        assert!(TreePath::parse("").unwrap().is_root());
        assert_eq!(TreePath::parse("docs/").unwrap().to_string(), "docs");
        assert_eq!(TreePath::parse("a b/ü.md").unwrap().name(), "ü.md");
    }

    #[test]
    fn dots_empty_segments_and_control_characters_are_no_path() {
        for odd in [
            "..", "a/../b", "./a", "a//b", "/a", "a\0b", "a\nb", "a\u{7f}", "a/./b",
        ] {
            assert_eq!(TreePath::parse(odd), None, "{odd:?}");
        }
    }
}
