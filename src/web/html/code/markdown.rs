//! A README's Markdown as HTML a page may embed: rendered by pulldown-cmark, then cleaned by
//! ammonia (no script, style, frame or form; no event handler; only `http`, `https` and
//! `mailto` links). Relative links and images are pointed at the repository: images (by their
//! extension) at the raw file, everything else at its page, from the README's directory.

use std::borrow::Cow;

use pulldown_cmark::{Options, Parser, html};

use super::links::{View, code_url};
use crate::git::browse::path::TreePath;

/// Where a README sits: the repository, the rev shown and its directory.
#[derive(Debug, Clone)]
pub struct Place {
    /// Owner's name.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// The rev shown (branch, tag or commit id).
    pub rev: String,
    /// The README's directory.
    pub dir: TreePath,
}

/// How many rendered READMEs are kept.
const RENDERED_KEPT: usize = 256;

/// READMEs rendered before, by blob id and place: a README is parsed and cleaned once, not
/// on every view of its directory (ammonia's HTML parser is the page's largest cost).
static RENDERED: std::sync::Mutex<Option<std::collections::HashMap<String, std::sync::Arc<str>>>> =
    std::sync::Mutex::new(None);

/// The blob `blob_id`'s `markdown` rendered for `place`, from the kept renderings when it was
/// rendered there before.
#[must_use]
pub fn render_kept(blob_id: &str, markdown: &str, place: &Place) -> std::sync::Arc<str> {
    let key = format!(
        "{blob_id}\0{}\0{}\0{}\0{}",
        place.owner, place.repo, place.rev, place.dir
    );
    if let Ok(kept) = RENDERED.lock()
        && let Some(html) = kept.as_ref().and_then(|k| k.get(&key))
    {
        return std::sync::Arc::clone(html);
    }
    let html: std::sync::Arc<str> = render(markdown, place).into();
    if let Ok(mut kept) = RENDERED.lock() {
        let kept = kept.get_or_insert_with(Default::default);
        if kept.len() >= RENDERED_KEPT {
            kept.clear();
        }
        kept.insert(key, std::sync::Arc::clone(&html));
    }
    html
}

/// `markdown` as sanitised HTML, its relative links resolved from `place`.
#[must_use]
pub fn render(markdown: &str, place: &Place) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .url_relative(ammonia::UrlRelative::Custom(Box::new(Resolver(
            place.clone(),
        ))))
        .clean(&unsafe_html)
        .to_string()
}

/// Points a README's relative URLs into the repository.
struct Resolver(Place);

impl<'a> ammonia::UrlRelativeEvaluate<'a> for Resolver {
    fn evaluate<'u>(&self, url: &'u str) -> Option<Cow<'u, str>> {
        resolve(&self.0, url)
    }
}

/// A relative `url` in a README at `place`, pointed at the repository's page or raw file.
fn resolve<'u>(place: &Place, url: &'u str) -> Option<Cow<'u, str>> {
    if url.starts_with('#') || url.starts_with("//") {
        return Some(Cow::Borrowed(url));
    }
    let split = url.find(['?', '#']).unwrap_or(url.len());
    let (path, suffix) = url.split_at(split);
    let mut segments: Vec<String> = if path.starts_with('/') {
        Vec::new()
    } else {
        place.dir.segments().to_vec()
    };
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            plain => segments.push(percent_decoded(plain)),
        }
    }
    let target = TreePath::parse(&segments.join("/")).unwrap_or_default();
    let view = if target.is_root() {
        View::Tree
    } else if is_image(target.name()) {
        View::Raw
    } else {
        View::Blob
    };
    let url = code_url(&place.owner, &place.repo, view, &place.rev, &target);
    Some(Cow::Owned(format!("{url}{suffix}")))
}

/// Whether a file name is an image a browser shows inline.
fn is_image(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".bmp", ".ico",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

/// `segment` with its `%XX` escapes decoded (left as is where they do not make UTF-8).
fn percent_decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_or_else(|_| segment.to_owned(), Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> Place {
        Place {
            owner: "alice".to_owned(),
            repo: "demo".to_owned(),
            rev: "main".to_owned(),
            dir: TreePath::parse("docs").unwrap(),
        }
    }

    #[test]
    fn script_handlers_and_javascript_links_are_removed() {
        let html = render(
            "# Hi\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3)) <a href=\"JaVaScRiPt:alert(4)\">b</a> <iframe src=\"https://e.test\"></iframe><style>body{}</style>",
            &place(),
        );
        assert!(html.contains("<h1>Hi</h1>"), "{html}");
        for bad in [
            "<script",
            "alert(1)",
            "onerror",
            "javascript:",
            "JaVaScRiPt",
            "<iframe",
            "<style",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }

    #[test]
    fn relative_links_and_images_point_into_the_repository() {
        let html = render(
            "[guide](guide.md) ![logo](../img/logo.png) [top](/README.md#x) [web](https://example.test/) [here](#usage)",
            &place(),
        );
        assert!(
            html.contains(r#"href="/alice/demo/blob/main/docs/guide.md""#),
            "{html}"
        );
        assert!(
            html.contains(r#"src="/alice/demo/raw/main/img/logo.png""#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="/alice/demo/blob/main/README.md#x""#),
            "{html}"
        );
        assert!(html.contains(r#"href="https://example.test/""#), "{html}");
        assert!(html.contains(r##"href="#usage""##), "{html}");
    }
}
