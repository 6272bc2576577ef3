//! One page of a list and which rows it covers: what every paged list shares, whatever it
//! lists.

/// Which rows of a list to give: `limit` items from the `offset`th.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// At most this many.
    pub limit: u64,
    /// Skipping this many.
    pub offset: u64,
}

impl Window {
    /// The page number this window is, from 1.
    #[must_use]
    pub fn page_number(self) -> u64 {
        self.offset / self.limit.max(1) + 1
    }

    /// This window's rows of a list already read whole.
    #[must_use]
    pub fn of<T>(self, all: Vec<T>) -> Page<T> {
        let total = all.len() as u64;
        let skip = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(self.limit).unwrap_or(usize::MAX);
        Page {
            items: all.into_iter().skip(skip).take(take).collect(),
            total,
        }
    }
}

/// One page of a list, with how many items there are in all pages.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items on this page, in the list's order.
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: u64,
}

impl<T> Page<T> {
    /// The same page with each item turned into another shape.
    #[must_use]
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_of_a_whole_list() {
        let window = Window {
            limit: 2,
            offset: 2,
        };
        let page = window.of(vec![1, 2, 3, 4, 5]);
        assert_eq!(page.items, vec![3, 4]);
        assert_eq!(page.total, 5);
        assert_eq!(window.page_number(), 2);
        let past = Window {
            limit: 2,
            offset: 10,
        }
        .of(vec![1, 2, 3]);
        assert!(past.items.is_empty());
        assert_eq!(past.total, 3);
    }
}
