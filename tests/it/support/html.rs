//! Just enough HTML reading for form tests: the hidden CSRF field and cookies.

/// The `value` of the `<input>` named `name` in `html`, if there is one.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let tag_and_more = &rest[start..];
        let end = tag_and_more.find('>')?;
        let tag = &tag_and_more[..end];
        if attribute(tag, "name").as_deref() == Some(name) {
            return attribute(tag, "value");
        }
        rest = &tag_and_more[end..];
    }
    None
}

/// The value of `attr="…"` (or `'…'`) inside one tag.
fn attribute(tag: &str, attr: &str) -> Option<String> {
    let mut search = tag;
    loop {
        let at = search.find(attr)?;
        let before_ok = at == 0
            || search[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace);
        let after = search[at + attr.len()..].trim_start();
        if before_ok && let Some(after) = after.strip_prefix('=') {
            let after = after.trim_start();
            let quote = after.chars().next()?;
            if quote == '"' || quote == '\'' {
                let value = &after[1..];
                return value.find(quote).map(|end| value[..end].to_owned());
            }
            return Some(
                after
                    .split(|c: char| c.is_whitespace() || c == '/')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        search = &search[at + attr.len()..];
    }
}

/// The `Set-Cookie` header that sets cookie `name`, if the answer has one.
pub fn set_cookie<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

#[test]
fn finds_the_hidden_field_whatever_the_attribute_order() {
    let html = r#"<form><input type="text" name="username"><input type="hidden" value='abc' name="csrf_token"/></form>"#;
    assert_eq!(input_value(html, "csrf_token").as_deref(), Some("abc"));
    let html = r#"<input name="csrf_token" type="hidden" value="x1">"#;
    assert_eq!(input_value(html, "csrf_token").as_deref(), Some("x1"));
    assert_eq!(input_value(html, "other"), None);
}
