//! The events section of the mirror settings page: the webhook a forge calls on every push
//! (its URL, whether a secret is set, the secret itself right after it was made), the notify
//! URL this server announces failures and recoveries to, and the key that signs them.

use askama::Template;

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
