//! Ref filters: which refs a push mirror (or the upstream) carries; outside the filter a ref
//! is neither transferred nor pruned. A list of patterns on full
//! ref names; `*` matches any run of characters, `/` included; a leading `!` excludes. A ref is
//! selected when it matches some include pattern (or there is none) and no exclude pattern;
//! the empty list selects every branch and tag.

/// Longest pattern accepted.
pub const MAX_PATTERN_LEN: usize = 200;
/// Most patterns in one filter.
pub const MAX_PATTERNS: usize = 50;

/// A checked ref filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefFilter {
    patterns: Vec<String>,
}

/// Why a ref filter's patterns are refused: the sentence for the field, shown as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

impl From<String> for PatternError {
    fn from(sentence: String) -> Self {
        Self(sentence)
    }
}

impl From<&str> for PatternError {
    fn from(sentence: &str) -> Self {
        Self(sentence.to_owned())
    }
}

impl RefFilter {
    /// Checks `patterns` against the rules.
    ///
    /// # Errors
    /// The message for the field, naming every bad pattern (not only the first): the empty
    /// ones and the too long ones by position, those not naming `refs/…` as written; or too
    /// many of them.
    pub fn parse(patterns: &[String]) -> Result<Self, PatternError> {
        if patterns.len() > MAX_PATTERNS {
            return Err(PatternError::from(format!(
                "at most {MAX_PATTERNS} patterns"
            )));
        }
        let (mut empty, mut long, mut outside) = (Vec::new(), Vec::new(), Vec::new());
        for (index, pattern) in patterns.iter().enumerate() {
            let name = pattern.strip_prefix('!').unwrap_or(pattern);
            let position = (index + 1).to_string();
            if name.is_empty() {
                empty.push(position);
            } else if pattern.chars().count() > MAX_PATTERN_LEN {
                long.push(position);
            } else if !name.starts_with("refs/") {
                outside.push(format!("{pattern:?}"));
            }
        }
        let mut problems = Vec::new();
        if !empty.is_empty() {
            problems.push(format!("{} empty", counted("pattern", "is", &empty)));
        }
        if !long.is_empty() {
            problems.push(format!(
                "{} longer than {MAX_PATTERN_LEN} characters",
                counted("pattern", "is", &long)
            ));
        }
        if !outside.is_empty() {
            let verb = if outside.len() == 1 { "does" } else { "do" };
            problems.push(format!(
                "{} {verb} not start with refs/ (after an optional !)",
                outside.join(", ")
            ));
        }
        if !problems.is_empty() {
            return Err(PatternError::from(problems.join("; ")));
        }
        Ok(Self {
            patterns: patterns.to_vec(),
        })
    }

    /// The filter as stored: its patterns as a JSON list.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.patterns).unwrap_or_else(|_| "[]".to_owned())
    }

    /// A stored filter (an unreadable one selects everything, as an empty one does).
    #[must_use]
    pub fn from_json(stored: &str) -> Self {
        Self {
            patterns: serde_json::from_str(stored).unwrap_or_default(),
        }
    }

    /// Whether it has no pattern (and so selects every ref).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns, as given.
    #[must_use]
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether the filter selects the ref `name`.
    #[must_use]
    pub fn selects(&self, name: &str) -> bool {
        let mut includes = self
            .patterns
            .iter()
            .filter(|p| !p.starts_with('!'))
            .peekable();
        let included = includes.peek().is_none() || includes.any(|p| matches(p, name));
        included
            && !self
                .patterns
                .iter()
                .filter_map(|p| p.strip_prefix('!'))
                .any(|p| matches(p, name))
    }
}

/// "pattern 2 is", "patterns 2, 5 are": the positions given, with their verb.
fn counted(noun: &str, verb: &str, positions: &[String]) -> String {
    if let [one] = positions {
        format!("{noun} {one} {verb}")
    } else {
        format!("{noun}s {} are", positions.join(", "))
    }
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
fn matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    // One part: no `*` at all.
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == name;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(patterns: &[&str]) -> RefFilter {
        RefFilter::parse(&patterns.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn the_contracts_example_selects_what_it_says() {
        let f = filter(&[
            "refs/heads/main",
            "refs/heads/release/*",
            "refs/tags/v*",
            "!refs/tags/v*-rc*",
        ]);
        for selected in [
            "refs/heads/main",
            "refs/heads/release/1.0",
            "refs/heads/release/a/b",
            "refs/tags/v1.2",
        ] {
            assert!(f.selects(selected), "{selected}");
        }
        for left in [
            "refs/heads/mainline",
            "refs/heads/dev",
            "refs/tags/v2.0-rc1",
            "refs/tags/x1",
        ] {
            assert!(!f.selects(left), "{left}");
        }
    }

    #[test]
    fn empty_selects_everything_and_excludes_alone_subtract() {
        assert!(RefFilter::default().selects("refs/heads/anything"));
        let f = filter(&["!refs/heads/wip/*"]);
        assert!(f.selects("refs/heads/main"));
        assert!(!f.selects("refs/heads/wip/x"));
        assert!(filter(&["refs/*/x*y"]).selects("refs/heads/x-and-y"));
        assert!(!filter(&["refs/heads/a*a"]).selects("refs/heads/a"));
    }

    #[test]
    fn bad_patterns_are_named() {
        let bad = |p: &[&str]| {
            RefFilter::parse(&p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .unwrap_err()
                .0
        };
        assert!(bad(&[""]).contains("empty"));
        assert!(bad(&["!"]).contains("empty"));
        assert!(bad(&["heads/main"]).contains("refs/"));
        // Every bad pattern is named, not only the first.
        assert_eq!(
            bad(&["heads/main", "refs/heads/ok", "tags/v1", ""]),
            "pattern 4 is empty; \"heads/main\", \"tags/v1\" do not start with refs/ \
             (after an optional !)"
        );
        assert!(bad(&[&format!("refs/{}", "a".repeat(200))]).contains("longer"));
        let many: Vec<String> = (0..51).map(|i| format!("refs/heads/{i}")).collect();
        assert!(
            RefFilter::parse(&many)
                .unwrap_err()
                .0
                .contains("at most 50")
        );
        let f = filter(&["refs/heads/main"]);
        assert_eq!(RefFilter::from_json(&f.to_json()), f);
    }
}
