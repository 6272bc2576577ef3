//! The branch map as rows of a form (the pull's in the settings form, each push mirror's in
//! its form): `ref_map_from_N` and `ref_map_to_N`, "from" → "to", read back into rules (rows
//! left empty are left out) and shown with a few empty rows to fill (the markup is the
//! `rows` macro of `templates/mirror/ref_map_rows.html`), so a map is edited without
//! JavaScript.

use std::collections::BTreeMap;

use crate::git::fetch_push::ref_map::MapRule;

/// Empty rows the form offers below the stored rules.
pub const EMPTY_ROWS: usize = 3;

/// The "from" field of row `index`.
const FROM: &str = "ref_map_from_";
/// The "to" field of row `index`.
const TO: &str = "ref_map_to_";

/// The rules of the rows among a form's `fields`, in row order, each side trimmed and rows
/// with both sides empty left out; `None` when the form has no row at all (it does not edit
/// the map).
#[must_use]
pub fn rules_from(fields: &BTreeMap<String, String>) -> Option<Vec<MapRule>> {
    let mut rows: BTreeMap<usize, MapRule> = BTreeMap::new();
    for (key, value) in fields {
        let (index, is_from) = if let Some(n) = key.strip_prefix(FROM) {
            (n, true)
        } else if let Some(n) = key.strip_prefix(TO) {
            (n, false)
        } else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        let row = rows.entry(index).or_insert_with(|| MapRule {
            from: String::new(),
            to: String::new(),
        });
        let side = if is_from { &mut row.from } else { &mut row.to };
        value.trim().clone_into(side);
    }
    if rows.is_empty() {
        return None;
    }
    Some(
        rows.into_values()
            .filter(|r| !(r.from.is_empty() && r.to.is_empty()))
            .collect(),
    )
}

/// The rows the form shows: `rules`, then [`EMPTY_ROWS`] empty ones.
#[must_use]
pub fn rows(rules: &[MapRule]) -> Vec<MapRule> {
    let empty = MapRule {
        from: String::new(),
        to: String::new(),
    };
    rules
        .iter()
        .cloned()
        .chain(std::iter::repeat_n(empty, EMPTY_ROWS))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_in_order_and_empty_ones_left_out() {
        let fields: BTreeMap<String, String> = [
            ("ref_map_from_10", "refs/heads/*"),
            ("ref_map_to_10", " refs/heads/up/* "),
            ("ref_map_from_2", "refs/heads/master"),
            ("ref_map_to_2", "refs/heads/main"),
            ("ref_map_from_3", ""),
            ("ref_map_to_3", ""),
            ("ref_map_from_4", "refs/heads/x"),
            ("csrf_token", "t"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let rules = rules_from(&fields).unwrap();
        let pairs: Vec<(&str, &str)> = rules
            .iter()
            .map(|r| (r.from.as_str(), r.to.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("refs/heads/master", "refs/heads/main"),
                ("refs/heads/x", ""),
                ("refs/heads/*", "refs/heads/up/*"),
            ]
        );
        assert_eq!(rules_from(&BTreeMap::new()), None);
        assert_eq!(rows(&rules).len(), 3 + EMPTY_ROWS);
    }
}
