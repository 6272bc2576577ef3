//! Tokens in the query string (`?access_token=`, `?token=`, as Gitea once took them) are
//! refused before any route runs: a URL is logged, cached and kept in histories, so a token
//! in one leaks. The header (`Authorization: token …`) is the way.

use axum::{
    extract::Request,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::error::{ApiError, Error};

/// Query keys that would carry a token.
const TOKEN_KEYS: [&str; 2] = ["access_token", "token"];

/// Answers 401 with a sentence when the query string carries a token; otherwise runs `next`.
pub async fn refuse(request: Request, next: Next) -> Response {
    if request.uri().query().is_some_and(carries_token) {
        return ApiError(Error::TokenInQuery).into_response();
    }
    next.run(request).await
}

/// Whether `query` has a token key (`token=…`, `access_token`, percent-encoded or not).
fn carries_token(query: &str) -> bool {
    query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(key, _)| key);
        let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
        TOKEN_KEYS
            .iter()
            .any(|token| key.eq_ignore_ascii_case(token))
    })
}

#[cfg(test)]
mod tests {
    use super::carries_token;

    #[test]
    fn token_keys_are_found_however_written() {
        assert!(carries_token("access_token=abc"));
        assert!(carries_token("page=2&token=abc"));
        assert!(carries_token("TOKEN=abc"));
        assert!(carries_token("access%5Ftoken=abc"));
        assert!(carries_token("token"));
        assert!(!carries_token("page=2&limit=5"));
        assert!(!carries_token("q=token"));
        assert!(!carries_token("tokens=1"));
    }
}
