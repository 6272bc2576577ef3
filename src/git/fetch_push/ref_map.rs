//! Branch mapping: how a pull (or a push mirror) renames refs on the way. A list of
//! `{"from","to"}` patterns on full ref names, each with at most one `*` (any run of
//! characters, `/` included) and as many `*` on both sides; a ref takes the first rule whose
//! `from` matches it, the others keep their names. Filters judge the source name, before this.

use std::collections::BTreeMap;

use git2::Oid;
use serde::{Deserialize, Serialize};

use super::{filter::PatternError, filter::RefFilter, refs::is_mirrored_ref};

/// Most rules in one map.
pub const MAX_RULES: usize = 50;
/// Longest pattern accepted on either side of a rule.
pub const MAX_PATTERN_LEN: usize = 200;

/// Where the mapped names of a rule may land: the refs a mirror carries.
const CARRIED: [&str; 3] = ["refs/heads/", "refs/tags/", "refs/notes/"];

/// One rule: refs matching `from` are renamed after `to` (the `*` carried over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MapRule {
    /// Full ref name pattern on the source side, e.g. `refs/heads/master` or `refs/heads/*`.
    pub from: String,
    /// What it becomes, e.g. `refs/heads/main` or `refs/heads/upstream/*`.
    pub to: String,
}

/// A checked branch map (empty: every ref keeps its name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefMap {
    rules: Vec<MapRule>,
}

/// Why a transfer cannot map the refs it was given: the sentence, naming the refs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MapError(pub String);

/// The refs of one side after the map: by their new names, and where each renamed one came
/// from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// The refs by their mapped names.
    pub refs: BTreeMap<String, Oid>,
    /// Mapped name → source name, for the refs whose name changed.
    pub sources: BTreeMap<String, String>,
}

/// A pattern split at its `*`: the text before and after (no star: the whole, and `None`).
fn split(pattern: &str) -> (&str, Option<&str>) {
    match pattern.split_once('*') {
        Some((before, after)) => (before, Some(after)),
        None => (pattern, None),
    }
}

/// What `pattern`'s `*` stands for in `name`, when `name` matches it (`""` with no `*`).
fn capture<'a>(pattern: &str, name: &'a str) -> Option<&'a str> {
    match split(pattern) {
        (whole, None) => (whole == name).then_some(""),
        (before, Some(after)) => name
            .strip_prefix(before)
            .and_then(|rest| rest.strip_suffix(after)),
    }
}

/// `pattern` with its `*` replaced by `star`.
fn fill(pattern: &str, star: &str) -> String {
    pattern.replacen('*', star, 1)
}

impl MapRule {
    /// What is wrong with this rule, if anything (without its position).
    fn problem(&self) -> Option<String> {
        let stars = |p: &str| p.matches('*').count();
        let (from_stars, to_stars) = (stars(&self.from), stars(&self.to));
        let valid = |p: &str| git2::Reference::is_valid_name(&fill(p, "x"));
        if self.from.is_empty() || self.to.is_empty() {
            Some("needs both \"from\" and \"to\"".to_owned())
        } else if self.from.chars().count() > MAX_PATTERN_LEN
            || self.to.chars().count() > MAX_PATTERN_LEN
        {
            Some(format!("is longer than {MAX_PATTERN_LEN} characters"))
        } else if from_stars > 1 || to_stars > 1 {
            Some("has more than one * on a side".to_owned())
        } else if from_stars != to_stars {
            Some("must have a * on both sides or on neither".to_owned())
        } else if !self.from.starts_with("refs/") {
            Some(format!("{:?} does not start with refs/", self.from))
        } else if !CARRIED.iter().any(|p| split(&self.to).0.starts_with(p)) {
            Some(format!(
                "{:?} is not under refs/heads/, refs/tags/ or refs/notes/",
                self.to
            ))
        } else if !valid(&self.from) {
            Some(format!("{:?} is not a valid ref name", self.from))
        } else if !valid(&self.to) {
            Some(format!("{:?} is not a valid ref name", self.to))
        } else {
            None
        }
    }
}

impl RefMap {
    /// Checks `rules` against the rules of a map.
    ///
    /// # Errors
    /// The message for the field, naming every bad rule by position and the rules whose `to`
    /// is the same literal name; or too many rules.
    pub fn parse(rules: &[MapRule]) -> Result<Self, PatternError> {
        if rules.len() > MAX_RULES {
            return Err(PatternError::from(format!("at most {MAX_RULES} rules")));
        }
        let mut problems: Vec<String> = rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| rule.problem().map(|p| format!("rule {} {p}", i + 1)))
            .collect();
        let mut literal: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.to.contains('*') {
                continue;
            }
            if let Some(first) = literal.get(rule.to.as_str()) {
                problems.push(format!(
                    "rules {first} and {} both map to {:?}",
                    i + 1,
                    rule.to
                ));
            } else {
                literal.insert(&rule.to, i + 1);
            }
        }
        if !problems.is_empty() {
            return Err(PatternError::from(problems.join("; ")));
        }
        Ok(Self {
            rules: rules.to_vec(),
        })
    }

    /// The map as stored: its rules as a JSON list.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.rules).unwrap_or_else(|_| "[]".to_owned())
    }

    /// A stored map (an unreadable one renames nothing, as an empty one does).
    #[must_use]
    pub fn from_json(stored: &str) -> Self {
        Self {
            rules: serde_json::from_str(stored).unwrap_or_default(),
        }
    }

    /// Whether it has no rule (and so renames nothing).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, as given.
    #[must_use]
    pub fn rules(&self) -> &[MapRule] {
        &self.rules
    }

    /// The first rule whose `from` matches `name`, with what its `*` stands for.
    fn rule_for<'a>(&self, name: &'a str) -> Option<(usize, &'a str)> {
        self.rules
            .iter()
            .enumerate()
            .find_map(|(i, rule)| capture(&rule.from, name).map(|star| (i, star)))
    }

    /// The name `name` takes: renamed by the first rule that matches it, else its own.
    #[must_use]
    pub fn name_of(&self, name: &str) -> String {
        match self.rule_for(name) {
            Some((i, star)) => fill(&self.rules[i].to, star),
            None => name.to_owned(),
        }
    }

    /// Whether `name` here is one the map could produce from a source ref that `filter`
    /// selects (and a mirror carries): such a ref with no source mapping to it is pruned.
    #[must_use]
    pub fn could_produce(&self, name: &str, filter: &RefFilter, with_notes: bool) -> bool {
        let carried = |source: &str| is_mirrored_ref(source, with_notes) && filter.selects(source);
        let as_itself = self.rule_for(name).is_none() && carried(name);
        as_itself
            || self.rules.iter().enumerate().any(|(i, rule)| {
                capture(&rule.to, name).is_some_and(|star| {
                    let source = fill(&rule.from, star);
                    self.rule_for(&source).map(|(first, _)| first) == Some(i) && carried(&source)
                })
            })
    }

    /// `refs` (by source name) under their mapped names.
    ///
    /// # Errors
    /// Two refs land on one name (both named), or a mapped name is not a valid ref name or
    /// not one a mirror carries.
    pub fn apply(
        &self,
        refs: &BTreeMap<String, Oid>,
        with_notes: bool,
    ) -> Result<Mapped, MapError> {
        let mut mapped = Mapped::default();
        let mut from: BTreeMap<String, &str> = BTreeMap::new();
        let mut collisions = Vec::new();
        for (source, oid) in refs {
            let name = self.name_of(source);
            if name != *source {
                if !git2::Reference::is_valid_name(&name) {
                    return Err(MapError(format!(
                        "{source} maps to {name:?}, which is not a valid ref name; nothing was changed"
                    )));
                }
                if !is_mirrored_ref(&name, with_notes) {
                    return Err(MapError(format!(
                        "{source} maps to {name}, which a mirror does not carry; nothing was changed"
                    )));
                }
                mapped.sources.insert(name.clone(), source.clone());
            }
            if let Some(other) = from.get(&name) {
                collisions.push(format!("{other} and {source} both map to {name}"));
                continue;
            }
            from.insert(name.clone(), source);
            mapped.refs.insert(name, *oid);
        }
        if collisions.is_empty() {
            Ok(mapped)
        } else {
            Err(MapError(format!(
                "{}; nothing was changed",
                collisions.join("; ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(from: &str, to: &str) -> MapRule {
        MapRule {
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    fn map(rules: &[(&str, &str)]) -> RefMap {
        RefMap::parse(&rules.iter().map(|(f, t)| rule(f, t)).collect::<Vec<_>>()).unwrap()
    }

    fn bad(rules: &[(&str, &str)]) -> String {
        RefMap::parse(&rules.iter().map(|(f, t)| rule(f, t)).collect::<Vec<_>>())
            .unwrap_err()
            .0
    }

    #[test]
    fn the_first_matching_rule_renames_and_others_keep_their_names() {
        let m = map(&[
            ("refs/heads/master", "refs/heads/main"),
            ("refs/heads/*", "refs/heads/upstream/*"),
        ]);
        assert_eq!(m.name_of("refs/heads/master"), "refs/heads/main");
        assert_eq!(m.name_of("refs/heads/dev"), "refs/heads/upstream/dev");
        assert_eq!(m.name_of("refs/heads/a/b"), "refs/heads/upstream/a/b");
        assert_eq!(m.name_of("refs/tags/v1"), "refs/tags/v1");
        let back = map(&[("refs/heads/upstream/*", "refs/heads/*")]);
        assert_eq!(back.name_of("refs/heads/upstream/x/y"), "refs/heads/x/y");
        assert_eq!(back.name_of("refs/heads/main"), "refs/heads/main");
        let middle = map(&[("refs/heads/*-old", "refs/heads/archive/*")]);
        assert_eq!(middle.name_of("refs/heads/a-old"), "refs/heads/archive/a");
        assert_eq!(middle.name_of("refs/heads/a-new"), "refs/heads/a-new");
    }

    #[test]
    fn what_the_map_could_produce_is_what_is_pruned() {
        let all = RefFilter::default();
        let m = map(&[("refs/heads/master", "refs/heads/main")]);
        assert!(m.could_produce("refs/heads/main", &all, true));
        assert!(m.could_produce("refs/heads/dev", &all, true));
        // A source master lands on main: a master here is not the upstream's.
        assert!(!m.could_produce("refs/heads/master", &all, true));
        let prefix = map(&[("refs/heads/*", "refs/heads/upstream/*")]);
        assert!(prefix.could_produce("refs/heads/upstream/dev", &all, true));
        assert!(!prefix.could_produce("refs/heads/local", &all, true));
        assert!(prefix.could_produce("refs/tags/v1", &all, true));
        // The filter judges the source name.
        let only_dev = RefFilter::parse(&["refs/heads/dev".to_owned()]).unwrap();
        assert!(prefix.could_produce("refs/heads/upstream/dev", &only_dev, true));
        assert!(!prefix.could_produce("refs/heads/upstream/x", &only_dev, true));
        // The empty map produces what the filter selects.
        assert!(RefMap::default().could_produce("refs/heads/x", &all, false));
        assert!(!RefMap::default().could_produce("refs/notes/x", &all, false));
    }

    #[test]
    fn two_sources_on_one_name_are_both_named() {
        let oid = Oid::ZERO_SHA1;
        let refs = BTreeMap::from([
            ("refs/heads/main".to_owned(), oid),
            ("refs/heads/master".to_owned(), oid),
            ("refs/heads/dev".to_owned(), oid),
        ]);
        let m = map(&[("refs/heads/master", "refs/heads/main")]);
        let err = m.apply(&refs, true).unwrap_err().0;
        assert!(
            err.contains("refs/heads/main and refs/heads/master both map to refs/heads/main"),
            "{err}"
        );
        let fine = map(&[("refs/heads/master", "refs/heads/trunk")])
            .apply(&refs, true)
            .unwrap();
        assert_eq!(
            fine.refs.keys().collect::<Vec<_>>(),
            ["refs/heads/dev", "refs/heads/main", "refs/heads/trunk"]
        );
        assert_eq!(
            fine.sources,
            BTreeMap::from([(
                "refs/heads/trunk".to_owned(),
                "refs/heads/master".to_owned()
            )])
        );
        let empty_star = map(&[("refs/heads/x*", "refs/heads/y/*")]);
        let refs = BTreeMap::from([("refs/heads/x".to_owned(), oid)]);
        assert!(
            empty_star
                .apply(&refs, true)
                .unwrap_err()
                .0
                .contains("not a valid ref name")
        );
    }

    #[test]
    fn bad_rules_are_named() {
        assert!(
            bad(&[("refs/heads/*/*", "refs/heads/*/*")]).contains("rule 1 has more than one *")
        );
        assert!(bad(&[("refs/heads/*", "refs/heads/main")]).contains("rule 1 must have a *"));
        assert!(
            bad(&[
                ("refs/heads/a", "refs/heads/b"),
                ("refs/heads/x", "refs/heads/a..b")
            ])
            .contains("rule 2 \"refs/heads/a..b\" is not a valid ref name")
        );
        assert!(bad(&[("heads/a", "refs/heads/b")]).contains("does not start with refs/"));
        assert!(bad(&[("refs/heads/a", "refs/remotes/b")]).contains("not under refs/heads/"));
        assert!(bad(&[("", "refs/heads/b")]).contains("needs both"));
        assert_eq!(
            bad(&[
                ("refs/heads/master", "refs/heads/main"),
                ("refs/heads/*", "refs/heads/up/*"),
                ("refs/heads/trunk", "refs/heads/main"),
            ]),
            "rules 1 and 3 both map to \"refs/heads/main\""
        );
        let many: Vec<MapRule> = (0..51)
            .map(|i| rule(&format!("refs/heads/{i}"), &format!("refs/heads/m{i}")))
            .collect();
        assert!(RefMap::parse(&many).unwrap_err().0.contains("at most 50"));
        let m = map(&[("refs/heads/master", "refs/heads/main")]);
        assert_eq!(RefMap::from_json(&m.to_json()), m);
    }
}
