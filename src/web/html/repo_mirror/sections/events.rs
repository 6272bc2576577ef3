//! The events section of the mirror settings page: the webhook a forge calls on every push
//! (its URL, whether a secret is set, the secret itself right after it was made), the notify
//! URL this server announces failures and recoveries to, and the key that signs them.

use askama::Template;

use crate::net::url_policy::is_blocked;
use crate::web::html::page::FormErrors;

/// The webhook and the notification key, ready to be put into the page.
#[derive(Template)]
#[template(path = "mirror/partials/events.html")]
pub struct EventsSection {
    /// Owner's username.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// Whether a webhook secret is set.
    pub webhook_set: bool,
    /// Where a forge sends the webhook.
    pub webhook_url: String,
    /// A secret just made, shown this once.
    pub webhook_secret: Option<String>,
    /// The notify URL, stored or typed.
    pub notify_url: String,
    /// Inline messages of the notify URL form.
    pub errors: FormErrors,
    /// Whether a notification key is set.
    pub notify_key_set: bool,
    /// A notification key just made, shown this once.
    pub notify_key: Option<String>,
}

impl EventsSection {
    /// The webhook URL's host when it is one only this machine or its local network reaches
    /// (a loopback or private address, `localhost`): a forge elsewhere cannot call it.
    #[must_use]
    pub fn local_host(&self) -> Option<String> {
        let url = url::Url::parse(&self.webhook_url).ok()?;
        let local = match url.host()? {
            url::Host::Ipv4(ip) => is_blocked(ip.into()),
            url::Host::Ipv6(ip) => is_blocked(ip.into()),
            url::Host::Domain(name) => {
                let name = name.to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost")
            }
        };
        local.then(|| url.host_str().unwrap_or_default().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::EventsSection;

    fn at(webhook_url: &str) -> Option<String> {
        EventsSection {
            owner: "o".into(),
            name: "r".into(),
            csrf_token: String::new(),
            webhook_set: false,
            webhook_url: webhook_url.into(),
            webhook_secret: None,
            notify_url: String::new(),
            errors: crate::web::html::page::FormErrors::default(),
            notify_key_set: false,
            notify_key: None,
        }
        .local_host()
    }

    #[test]
    fn loopback_private_and_localhost_urls_are_local() {
        let path = "/api/v1/repos/o/r/mirror/webhook";
        assert_eq!(
            at(&format!("http://127.0.0.1:3000{path}")).as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            at(&format!("http://10.1.2.3{path}")).as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(
            at(&format!("http://[::1]:3000{path}")).as_deref(),
            Some("[::1]")
        );
        assert_eq!(
            at(&format!("http://LocalHost:3000{path}")).as_deref(),
            Some("localhost")
        );
        assert_eq!(at(&format!("https://git.example.com{path}")), None);
        assert_eq!(at(&format!("https://93.184.216.34{path}")), None);
    }
}
