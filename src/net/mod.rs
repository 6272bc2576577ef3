//! The way out to remotes: which URLs a mirror may use ([`url_policy`]); a remote parsed once
//! by the transfer that uses it ([`git_remote`]: an HTTP URL, [`remote_url`], or an SSH
//! address, [`ssh_url`]) and carried by reference to the connection; why a URL is refused,
//! typed ([`error`]); the HTTP ([`remote_http`]) and SSH ([`remote_ssh`]) connection of each
//! transfer, to checked addresses only; and the SSH host keys a repository pins
//! ([`ssh_host_key`]), also by hand from a pasted fingerprint or `known_hosts` line
//! ([`known_hosts`]).

pub mod error;
pub mod git_remote;
pub mod known_hosts;
pub mod remote_http;
pub mod remote_ssh;
pub mod remote_url;
pub mod ssh_host_key;
pub mod ssh_url;
pub mod url_policy;
