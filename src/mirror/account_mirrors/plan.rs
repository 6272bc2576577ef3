//! What a discovery would change here, decided from the source's listing and the mirrors this
//! account mirror already made: the preview's `add`, `gone` and `skipped`, and the renames to
//! follow. Pure: applying the plan is the reconciler's.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::providers::SourceRepo;
use crate::{git::wildmatch::wildmatch, names};

/// Most patterns in `include` or `exclude`.
pub const MAX_PATTERNS: usize = 50;

/// Which of an account's repositories are mirrored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    /// Name globs (`*`, `?`) a repository must match one of (empty: every name).
    pub include: Vec<String>,
    /// Name globs that leave a repository out.
    pub exclude: Vec<String>,
    /// Whether forks are mirrored.
    pub forks: bool,
    /// Whether archived repositories are mirrored.
    pub archived: bool,
}

impl Filters {
    /// Why `repo` is left out, or `None` when it is mirrored.
    #[must_use]
    pub fn leaves_out(&self, repo: &SourceRepo) -> Option<&'static str> {
        let name = repo.name.to_ascii_lowercase();
        let matches = |p: &String| wildmatch(p.to_ascii_lowercase().as_bytes(), name.as_bytes());
        if !self.include.is_empty() && !self.include.iter().any(matches) {
            Some("not included")
        } else if self.exclude.iter().any(matches) {
            Some("excluded")
        } else if repo.fork && !self.forks {
            Some("a fork")
        } else if repo.archived && !self.archived {
            Some("archived")
        } else {
            None
        }
    }
}

/// Checks one list of patterns; the message names what is wrong.
///
/// # Errors
/// Too many patterns, or one empty, too long or with characters no name has.
pub fn check_patterns(patterns: &[String]) -> Result<(), String> {
    if patterns.len() > MAX_PATTERNS {
        return Err(format!("at most {MAX_PATTERNS} patterns"));
    }
    for (i, p) in patterns.iter().enumerate() {
        let ok = !p.is_empty()
            && p.len() <= 100
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*' | '?'));
        if !ok {
            return Err(format!(
                "pattern {} must be 1–100 of letters, digits, '.', '_', '-', '*' and '?'",
                i + 1
            ));
        }
    }
    Ok(())
}

/// A mirror this account mirror made, as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// The repository here.
    pub repository_id: i64,
    /// Its name here.
    pub name: String,
    /// The source's id for it.
    pub source_id: String,
    /// The URL it pulls from.
    pub upstream_url: String,
    /// Already marked gone from the source.
    pub gone: bool,
}

/// A repository to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ToAdd {
    /// Its name here (and at the source).
    pub name: String,
    /// Where it is cloned from.
    pub clone_url: String,
    /// The source's id.
    #[serde(skip)]
    pub source_id: String,
    /// Private at the source (and so here).
    #[serde(skip)]
    pub private: bool,
}

/// A repository of the account that is not mirrored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    /// Its name at the source.
    pub name: String,
    /// `name taken`, `excluded`, `not included`, `a fork`, `archived`, `invalid name`.
    pub reason: String,
}

/// A mirror whose source moved (a rename or a new URL): it keeps pulling, from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The repository here.
    pub repository_id: i64,
    /// The URL it pulls from now.
    pub clone_url: String,
}

/// What a discovery changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// New repositories to mirror.
    pub add: Vec<ToAdd>,
    /// Mirrors whose repository is gone from the account, or newly left out: (id, name).
    pub gone: Vec<(i64, String)>,
    /// Mirrors marked gone that are back.
    pub back: Vec<i64>,
    /// Mirrors to point at a moved source.
    pub moved: Vec<Moved>,
    /// What is not mirrored, and why.
    pub skipped: Vec<Skipped>,
}

/// The plan for `listing` given the mirrors `made` by this account mirror, the repository
/// names `taken` here by anything else in the owner (lowercase), and `filters`.
#[must_use]
pub fn plan(
    listing: &[SourceRepo],
    made: &[Made],
    taken: &HashSet<String>,
    filters: &Filters,
) -> Plan {
    let by_source: HashMap<&str, &Made> = made.iter().map(|m| (m.source_id.as_str(), m)).collect();
    let mut plan = Plan::default();
    let mut still_there: HashSet<&str> = HashSet::new();
    let mut claimed: HashSet<String> = made.iter().map(|m| m.name.to_ascii_lowercase()).collect();
    for repo in listing {
        let skip = |reason: &str| Skipped {
            name: repo.name.clone(),
            reason: reason.to_owned(),
        };
        if let Some(reason) = filters.leaves_out(repo) {
            plan.skipped.push(skip(reason));
            continue;
        }
        if let Some(existing) = by_source.get(repo.id.as_str()) {
            still_there.insert(existing.source_id.as_str());
            if existing.gone {
                plan.back.push(existing.repository_id);
            }
            if existing.upstream_url != repo.clone_url {
                plan.moved.push(Moved {
                    repository_id: existing.repository_id,
                    clone_url: repo.clone_url.clone(),
                });
            }
            continue;
        }
        if names::check_repo_name(&repo.name).is_err() {
            plan.skipped.push(skip("invalid name"));
            continue;
        }
        let lower = repo.name.to_ascii_lowercase();
        if taken.contains(&lower) || claimed.contains(&lower) {
            plan.skipped.push(skip("name taken"));
            continue;
        }
        claimed.insert(lower);
        plan.add.push(ToAdd {
            name: repo.name.clone(),
            clone_url: repo.clone_url.clone(),
            source_id: repo.id.clone(),
            private: repo.private,
        });
    }
    plan.gone = made
        .iter()
        .filter(|m| !m.gone && !still_there.contains(m.source_id.as_str()))
        .map(|m| (m.repository_id, m.name.clone()))
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str, name: &str) -> SourceRepo {
        SourceRepo {
            id: id.into(),
            name: name.into(),
            clone_url: format!("https://h/o/{name}.git"),
            private: false,
            fork: false,
            archived: false,
        }
    }

    fn made(repository_id: i64, id: &str, name: &str) -> Made {
        Made {
            repository_id,
            name: name.into(),
            source_id: id.into(),
            upstream_url: format!("https://h/o/{name}.git"),
            gone: false,
        }
    }

    fn all() -> Filters {
        Filters {
            include: vec![],
            exclude: vec![],
            forks: false,
            archived: true,
        }
    }

    #[test]
    fn new_renamed_vanished_taken_and_filtered() {
        let mut fork = source("5", "forked");
        fork.fork = true;
        let listing = [
            source("1", "kept"),
            source("2", "renamed-now"),
            source("3", "new"),
            source("4", "Taken"),
            fork,
            source("6", "tool-archived"),
            source("7", "bad name"),
        ];
        let existing = [
            made(10, "1", "kept"),
            made(11, "2", "renamed"),
            made(12, "9", "vanished"),
        ];
        let taken: HashSet<String> = ["taken".to_owned()].into();
        let filters = Filters {
            exclude: vec!["*-archived".into()],
            ..all()
        };
        let p = plan(&listing, &existing, &taken, &filters);
        assert_eq!(
            p.add.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
            ["new"]
        );
        assert_eq!(
            p.moved,
            [Moved {
                repository_id: 11,
                clone_url: "https://h/o/renamed-now.git".into()
            }]
        );
        assert_eq!(p.gone, [(12, "vanished".to_owned())]);
        let skipped: Vec<(&str, &str)> = p
            .skipped
            .iter()
            .map(|s| (s.name.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("Taken", "name taken"),
                ("forked", "a fork"),
                ("tool-archived", "excluded"),
                ("bad name", "invalid name")
            ]
        );
    }

    #[test]
    fn an_include_list_and_a_mirror_coming_back() {
        let listing = [source("1", "api-server"), source("2", "web")];
        let mut back = made(10, "1", "api-server");
        back.gone = true;
        let filters = Filters {
            include: vec!["api-*".into()],
            ..all()
        };
        let p = plan(&listing, &[back], &HashSet::new(), &filters);
        assert_eq!(p.back, [10]);
        assert!(p.add.is_empty() && p.gone.is_empty());
        assert_eq!(p.skipped[0].reason, "not included");
        // Newly excluded: the mirror it made is gone (paused), not kept.
        let excluded = Filters {
            exclude: vec!["api-*".into()],
            ..all()
        };
        let p = plan(
            &listing[..1],
            &[made(10, "1", "api-server")],
            &HashSet::new(),
            &excluded,
        );
        assert_eq!(p.gone, [(10, "api-server".to_owned())]);
    }

    #[test]
    fn patterns_are_checked() {
        assert!(check_patterns(&["*".into(), "api-?".into()]).is_ok());
        assert!(
            check_patterns(&["a/b".into()])
                .unwrap_err()
                .contains("pattern 1")
        );
        assert!(check_patterns(&vec!["x".to_owned(); 51]).is_err());
    }
}
