//! The SSH section of the mirror settings page: the public half of the mirrors' SSH key and
//! the host keys they pinned.

use askama::Template;

use crate::net::ssh_host_key::HostKey;

/// The SSH key and the known host keys, ready to be put into the page.
#[derive(Template)]
#[template(path = "mirror/partials/ssh_key.html")]
pub struct SshSection {
    /// Owner's username.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The public half of the mirrors' SSH key, if one was made.
    pub ssh_public_key: Option<String>,
    /// The SSH host keys the mirrors trust, by host and key type.
    pub ssh_host_keys: Vec<HostKey>,
}
