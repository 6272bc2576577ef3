//! The way out to remotes: which URLs a mirror may use ([`url_policy`]), a remote URL parsed
//! once and carried to the connection ([`remote_url`]), and the HTTP connection of each
//! transfer, to checked addresses only ([`remote_http`]), and the SSH host keys a repository
//! pins ([`ssh_host_key`]).

pub mod error;
pub mod git_remote;
pub mod remote_http;
pub mod remote_ssh;
pub mod remote_url;
pub mod ssh_host_key;
pub mod ssh_url;
pub mod url_policy;
