//! Who is asking, underneath the web: password hashing, token hashing, the session store,
//! CSRF tokens and the throttle on wrong passwords (the extractors are in `web::extract`).

pub mod csrf;
pub mod password;
pub mod recent;
pub mod session_store;
pub mod throttle;
pub mod token;

/// Session key holding the logged-in user's id.
pub const SESSION_USER_ID: &str = "user_id";

/// How long a logged-in session lives without being used.
pub const SESSION_LIFETIME: time::Duration = time::Duration::days(30);

/// How long a visitor's session lives without being used: it only holds the CSRF token of a
/// login or registration form, so a crawler's visits do not pile up for a month.
pub const VISITOR_SESSION_LIFETIME: time::Duration = time::Duration::days(1);
