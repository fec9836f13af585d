//! Light Markdown/HTML to plain text, so that neither the index nor the snippets contain markup
//! (`**`, `<del>`, link targets) — a snippet is a substring of the text this returns.

/// The readable text of `src`: links keep their text, HTML tags and emphasis marks go, the
/// common entities are decoded, runs of whitespace become one space.
pub fn plain_text(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut at_line_start = true;
    while i < bytes.len() {
        let rest = &src[i..];
        let c = rest.chars().next().unwrap_or(' ');
        // `<tag …>` or `</tag>` within one line: dropped. A lone `<` (as in "a < b") stays.
        if c == '<' {
            let next = rest[1..].chars().next().unwrap_or(' ');
            if (next.is_ascii_alphabetic() || next == '/' || next == '!')
                && let Some(close) = head(rest, 300).find('>')
                && !rest[..close].contains('\n')
            {
                push_space(&mut out);
                i += close + 1;
                continue;
            }
        }
        // `](url)` after a link's text: the target is not text.
        if rest.starts_with("](")
            && let Some(close) = head(rest, 500).find(')')
        {
            i += close + 1;
            continue;
        }
        if c == '&' {
            let entity = [
                ("&amp;", '&'),
                ("&lt;", '<'),
                ("&gt;", '>'),
                ("&quot;", '"'),
                ("&#39;", '\''),
                ("&nbsp;", ' '),
            ]
            .into_iter()
            .find(|(e, _)| rest.starts_with(e));
            if let Some((e, ch)) = entity {
                out.push(ch);
                i += e.len();
                at_line_start = false;
                continue;
            }
        }
        match c {
            '*' | '`' | '~' | '[' | ']' => push_space(&mut out),
            '#' | '>' if at_line_start => {}
            '\n' => {
                push_space(&mut out);
                at_line_start = true;
                i += 1;
                continue;
            }
            c if c.is_whitespace() => push_space(&mut out),
            c => out.push(c),
        }
        if !c.is_whitespace() && c != '#' && c != '>' {
            at_line_start = false;
        }
        i += c.len_utf8();
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// At most the first `n` bytes of `s`, cut on a char boundary.
fn head(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn push_space(out: &mut String) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn markup_is_removed_and_text_kept() {
        assert_eq!(
            plain_text("Use ~~tildes around the words~~."),
            "Use tildes around the words ."
        );
        assert_eq!(
            plain_text("See [the guide](https://x.example/a) <del>old</del> &amp; **bold**"),
            "See the guide old & bold"
        );
        assert_eq!(plain_text("# Title\n> quoted\na < b"), "Title quoted a < b");
    }

    #[test]
    fn hostile_markup_never_panics() {
        for s in [
            "<",
            "](",
            "&",
            "<a",
            "]((((",
            "é<é>",
            "#\n#\n",
            "<\n>",
            "🚲](🚲",
        ] {
            let _ = plain_text(s);
        }
        // The look-ahead for a closing `>` or `)` is bounded in bytes: it must stop on a char
        // boundary however long the non-ASCII text after the opener is.
        let _ = plain_text(&format!("<a{}", "é".repeat(400)));
        let _ = plain_text(&format!("]({}", "ß".repeat(400)));
    }
}
