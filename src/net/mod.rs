//! The way out to remotes: which URLs a mirror may use ([`url_policy`]), a remote URL parsed
//! once and carried to the connection ([`remote_url`]), and the egress every transfer goes
//! through ([`egress`]).

pub mod egress;
pub mod remote_url;
pub mod url_policy;
