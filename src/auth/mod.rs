//! Who is asking: passwords, tokens, sessions, CSRF, and the extractors that enforce them.

pub mod csrf;
pub mod extract;
pub mod password;
pub mod session_store;
pub mod throttle;
pub mod token;

/// Session key holding the logged-in user's id.
pub const SESSION_USER_ID: &str = "user_id";
