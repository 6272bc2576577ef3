//! Who is asking, underneath the web: password hashing, token hashing, the session store,
//! CSRF tokens and the throttle on wrong passwords (the extractors are in `web::extract`).

pub mod csrf;
pub mod password;
pub mod recent;
pub mod session_store;
pub mod throttle;
pub mod token;

/// Whether two secrets are equal, compared in constant time (their SHA-256 digests, so not
/// even the length shows).
#[must_use]
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

/// Session key holding the logged-in user's id.
pub const SESSION_USER_ID: &str = "user_id";

/// Session key of the stamp of the password the session was made with ([`session_stamp`]).
pub const SESSION_STAMP: &str = "password_stamp";

/// A stamp of `user`'s password hash (its SHA-256, cut short; the hash itself never goes into
/// a session): a session whose stamp is not the current one was made before the password
/// changed, and is over.
#[must_use]
pub fn session_stamp(user: &crate::entities::user::Model) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(user.password_hash.as_bytes());
    hex::encode(&digest[..12])
}

/// How long a logged-in session lives without being used.
pub const SESSION_LIFETIME: time::Duration = time::Duration::days(30);

/// How long a visitor's session lives without being used: it only holds the CSRF token of a
/// login or registration form, so a crawler's visits do not pile up for a month.
pub const VISITOR_SESSION_LIFETIME: time::Duration = time::Duration::days(1);
