//! `?limit=&page=` of list routes: checked ranges, so an offset never overflows.

use serde::Deserialize;

use crate::error::Error;

/// Largest `limit` accepted.
pub const MAX_LIMIT: u64 = 100;
/// Largest `page` accepted.
pub const MAX_PAGE: u64 = 100_000;

/// The paging parameters as given; [`Paging::window`] checks them.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page (default 20).
    pub limit: Option<u64>,
    /// Page number, from 1.
    pub page: Option<u64>,
}

impl Paging {
    /// `(limit, offset)`.
    ///
    /// # Errors
    /// 400 naming the parameter that is out of range.
    pub fn window(self) -> Result<(u64, u64), Error> {
        self.window_within(20, MAX_LIMIT)
    }

    /// `(limit, offset)` with `limit` `default_limit` when not given and at most `max_limit`
    /// (the Gitea-shaped listings take 30 and 50).
    ///
    /// # Errors
    /// 400 naming the parameter that is out of range.
    pub fn window_within(self, default_limit: u64, max_limit: u64) -> Result<(u64, u64), Error> {
        let limit = self.limit.unwrap_or(default_limit);
        let page = self.page.unwrap_or(1);
        if !(1..=max_limit).contains(&limit) {
            return Err(Error::BadRequest(format!(
                "limit must be between 1 and {max_limit}"
            )));
        }
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(Error::BadRequest(format!(
                "page must be between 1 and {MAX_PAGE}"
            )));
        }
        Ok((limit, (page - 1) * limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_refusals() {
        let paging = |limit, page| Paging { limit, page }.window();
        assert_eq!(paging(None, None).ok(), Some((20, 0)));
        assert_eq!(
            paging(Some(100), Some(MAX_PAGE)).ok(),
            Some((100, 9_999_900))
        );
        assert!(paging(Some(0), None).is_err());
        assert!(paging(Some(101), None).is_err());
        assert!(paging(None, Some(0)).is_err());
        assert!(paging(None, Some(u64::MAX)).is_err());
    }
}
