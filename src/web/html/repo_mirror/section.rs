//! The sections of the mirror settings page, one URL each: which one a page shows, where it
//! lives, and the section navigation that links them (plain links, so it works without
//! JavaScript).

/// One section of the mirror settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Enable, direction, upstream and downstream, LFS (the default, at `/settings/mirror`).
    Pull,
    /// The push mirrors and "Add push mirror".
    Push,
    /// The sync interval and the cron schedule.
    Schedule,
    /// The webhook, the notify URL and the notification key.
    Events,
    /// The SSH key and the known host keys.
    Ssh,
    /// The chart and the run history.
    History,
}

impl Section {
    /// Every section, in the order the navigation lists them.
    pub const ALL: [Self; 6] = [
        Self::Pull,
        Self::Push,
        Self::Schedule,
        Self::Events,
        Self::Ssh,
        Self::History,
    ];

    /// The last part of the section's path (`""` for the default one).
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Self::Pull => "",
            Self::Push => "push",
            Self::Schedule => "schedule",
            Self::Events => "events",
            Self::Ssh => "ssh",
            Self::History => "history",
        }
    }

    /// The section's name in the navigation and the page title.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Pull => "Pull & push",
            Self::Push => "Push mirrors",
            Self::Schedule => "Schedule",
            Self::Events => "Events",
            Self::Ssh => "SSH",
            Self::History => "History",
        }
    }

    /// The section's page of `owner/name`.
    #[must_use]
    pub fn path(self, owner: &str, name: &str) -> String {
        match self.slug() {
            "" => format!("/{owner}/{name}/settings/mirror"),
            slug => format!("/{owner}/{name}/settings/mirror/{slug}"),
        }
    }
}

/// One link of the section navigation.
pub struct NavLink {
    /// Where it goes.
    pub href: String,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the page shown (`aria-current="page"`).
    pub current: bool,
}

/// The section navigation of `owner/name`, `current` marked.
#[must_use]
pub fn nav(owner: &str, name: &str, current: Section) -> Vec<NavLink> {
    Section::ALL
        .iter()
        .map(|&section| NavLink {
            href: section.path(owner, name),
            label: section.label(),
            current: section == current,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_section_has_its_own_url_and_one_is_current() {
        let links = nav("alice", "app", Section::Schedule);
        let hrefs: Vec<&str> = links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(
            hrefs,
            [
                "/alice/app/settings/mirror",
                "/alice/app/settings/mirror/push",
                "/alice/app/settings/mirror/schedule",
                "/alice/app/settings/mirror/events",
                "/alice/app/settings/mirror/ssh",
                "/alice/app/settings/mirror/history",
            ]
        );
        let current: Vec<&str> = links
            .iter()
            .filter(|l| l.current)
            .map(|l| l.label)
            .collect();
        assert_eq!(current, ["Schedule"]);
    }
}
