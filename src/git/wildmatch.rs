//! Git's wildmatch with `WM_PATHNAME`, the glob of `.gitattributes` patterns: `*`, `?` and
//! `[…]` never match a `/`; `**/`, `/**/` and a trailing `/**` match across directories.

/// Whether `text` (a slash-separated path) matches `pattern` as git matches a path pattern.
/// An unterminated `[` matches nothing.
#[must_use]
pub fn wildmatch(pattern: &[u8], text: &[u8]) -> bool {
    let Some(tokens) = tokens(pattern) else {
        return false;
    };
    // The pattern as a small automaton run over the text once, all its states at a time: a
    // hostile pattern such as `*a*a*a*a*b` costs pattern length times text length, never more.
    let end = tokens.len();
    let mut states = vec![false; end + 1];
    states[0] = true;
    close(&tokens, &mut states);
    for &c in text {
        let mut next = vec![false; end + 1];
        for (i, token) in tokens.iter().enumerate().filter(|(i, _)| states[*i]) {
            match token {
                Token::Byte(b) => next[i + 1] |= c == *b,
                Token::Class(set) => next[i + 1] |= set[usize::from(c)],
                Token::Star => next[i] |= c != b'/',
                Token::Dirs => next[i + 1] |= c != b'/',
                Token::InDir => {
                    if c == b'/' {
                        next[i - 1] = true;
                    } else {
                        next[i] = true;
                    }
                }
                Token::Rest => next[i] = true,
            }
        }
        close(&tokens, &mut next);
        if !next.contains(&true) {
            return false;
        }
        states = next;
    }
    states[end]
}

/// One piece of a pattern.
enum Token {
    /// This byte.
    Byte(u8),
    /// One byte of this set (`?` and `[…]`; never `/`).
    Class(Box<[bool; 256]>),
    /// `*`: any run of bytes but `/`.
    Star,
    /// `**/` (at the start or after a `/`): nothing, or whole directories each with its `/`.
    /// Always followed by [`Token::InDir`]; here between two directories.
    Dirs,
    /// Inside a directory name that `**/` passes over, until its `/`.
    InDir,
    /// A trailing `**` (at the start or after a `/`): everything.
    Rest,
}

/// Adds to `states` every state reached from one of them without reading a byte (the empty
/// match of a star).
fn close(tokens: &[Token], states: &mut [bool]) {
    for (i, token) in tokens.iter().enumerate() {
        if states[i] {
            match token {
                Token::Star | Token::Rest => states[i + 1] = true,
                Token::Dirs => states[i + 2] = true,
                _ => {}
            }
        }
    }
}

/// `pattern` read into tokens; `None` when a bracket never closes.
fn tokens(pattern: &[u8]) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&p) = pattern.get(i) {
        match p {
            b'*' => {
                let mut end = i + 1;
                while pattern.get(end) == Some(&b'*') {
                    end += 1;
                }
                let after_slash = i == 0 || pattern[i - 1] == b'/';
                match pattern.get(end) {
                    None if end - i >= 2 && after_slash => tokens.push(Token::Rest),
                    Some(b'/') if end - i >= 2 && after_slash => {
                        tokens.extend([Token::Dirs, Token::InDir]);
                        end += 1;
                    }
                    _ => tokens.push(Token::Star),
                }
                i = end;
            }
            b'?' => {
                let mut set = Box::new([true; 256]);
                set[usize::from(b'/')] = false;
                tokens.push(Token::Class(set));
                i += 1;
            }
            b'[' => {
                let (set, next) = class(pattern, i)?;
                tokens.push(Token::Class(set));
                i = next;
            }
            b'\\' if i + 1 < pattern.len() => {
                tokens.push(Token::Byte(pattern[i + 1]));
                i += 2;
            }
            _ => {
                tokens.push(Token::Byte(p));
                i += 1;
            }
        }
    }
    Some(tokens)
}

/// The bracket expression opening at `pattern[open]`: the bytes it holds (never `/`) and where
/// the pattern goes on after it; `None` when it never closes.
fn class(pattern: &[u8], open: usize) -> Option<(Box<[bool; 256]>, usize)> {
    let mut set = Box::new([false; 256]);
    let mut i = open + 1;
    let negated = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut first = true;
    loop {
        let &p = pattern.get(i)?;
        if p == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        if p == b'[' && pattern.get(i + 1) == Some(&b':') {
            let names = &pattern[i + 2..];
            let close = names.windows(2).position(|w| w == b":]")?;
            for c in 0..=255u8 {
                set[usize::from(c)] |= in_named_class(&names[..close], c);
            }
            i += close + 4;
            continue;
        }
        let (low, next) = match (p, pattern.get(i + 1)) {
            (b'\\', Some(&escaped)) => (escaped, i + 2),
            _ => (p, i + 1),
        };
        i = next;
        let mut high = low;
        if pattern.get(i) == Some(&b'-') && pattern.get(i + 1).is_some_and(|&h| h != b']') {
            (high, i) = match (pattern[i + 1], pattern.get(i + 2)) {
                (b'\\', Some(&escaped)) => (escaped, i + 3),
                (h, _) => (h, i + 2),
            };
        }
        for c in low..=high {
            set[usize::from(c)] = true;
        }
    }
    if negated {
        for held in set.iter_mut() {
            *held = !*held;
        }
    }
    set[usize::from(b'/')] = false;
    Some((set, i))
}

/// Whether `c` is in the POSIX class `name` (`alpha`, `digit`, …); an unknown name holds nothing.
fn in_named_class(name: &[u8], c: u8) -> bool {
    match name {
        b"alnum" => c.is_ascii_alphanumeric(),
        b"alpha" => c.is_ascii_alphabetic(),
        b"blank" => c == b' ' || c == b'\t',
        b"cntrl" => c.is_ascii_control(),
        b"digit" => c.is_ascii_digit(),
        b"graph" => c.is_ascii_graphic(),
        b"lower" => c.is_ascii_lowercase(),
        b"print" => c.is_ascii_graphic() || c == b' ',
        b"punct" => c.is_ascii_punctuation(),
        b"space" => c.is_ascii_whitespace(),
        b"upper" => c.is_ascii_uppercase(),
        b"xdigit" => c.is_ascii_hexdigit(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::wildmatch;

    fn m(pattern: &str, text: &str) -> bool {
        wildmatch(pattern.as_bytes(), text.as_bytes())
    }

    #[test]
    fn stars_stop_at_slashes_and_double_stars_do_not() {
        assert!(m("*.bin", "a.bin"));
        assert!(!m("*.bin", "dir/a.bin"));
        assert!(m("dir/*.bin", "dir/a.bin"));
        assert!(!m("dir/*.bin", "dir/sub/a.bin"));
        assert!(m("**/a.bin", "a.bin"));
        assert!(m("**/a.bin", "x/y/a.bin"));
        assert!(m("dir/**", "dir/x/y.bin"));
        assert!(!m("dir/**", "other/x"));
        assert!(m("a/**/b", "a/b"));
        assert!(m("a/**/b", "a/x/y/b"));
        assert!(!m("a/**/b", "a/xb"));
        assert!(!m("**/a.bin", "xa.bin"));
        assert!(m("foo**bar", "foobazbar"));
        assert!(!m("foo**bar", "foo/bar"));
        assert!(m("*", "anything"));
        assert!(!m("*", "a/b"));
    }

    #[test]
    fn question_marks_brackets_and_escapes() {
        assert!(m("?.bin", "a.bin"));
        assert!(!m("?.bin", "ab.bin"));
        assert!(m("[ab].psd", "b.psd"));
        assert!(!m("[!ab].psd", "b.psd"));
        assert!(m("[^ab].psd", "c.psd"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[a-c]x", "dx"));
        assert!(m("[]]", "]"));
        assert!(m("[[:digit:]].bin", "7.bin"));
        assert!(!m("[[:digit:]].bin", "x.bin"));
        assert!(!m("a[/]b", "a/b"));
        assert!(m("\\*.bin", "*.bin"));
        assert!(!m("\\*.bin", "a.bin"));
        assert!(!m("[abc", "a"));
    }

    #[test]
    fn a_hostile_pattern_ends_quickly() {
        let pattern = "*a".repeat(1000) + "b";
        let text = "a".repeat(4000);
        assert!(!m(&pattern, &text));
    }
}
