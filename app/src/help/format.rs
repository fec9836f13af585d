//! The simple formatting of help answers: paragraphs separated by a blank line, lists of lines
//! starting with "- ", **bold**, and links written [text](/path) to the shop's own pages only.
//! Parsed into blocks and rendered as elements (never as raw HTML), so an answer cannot inject
//! markup, and read as plain text for the search index.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(String),
    Bold(String),
    /// A link to a page of the shop (`href` starts with a single "/").
    Link {
        text: String,
        href: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    List(Vec<Vec<Inline>>),
}

/// Whether `href` is a path on this site (not `//host`, not a scheme).
fn internal(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !href.contains('\\')
        && href.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// Inline formatting of one line or paragraph.
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    let flush = |plain: &mut String, out: &mut Vec<Inline>| {
        if !plain.is_empty() {
            out.push(Inline::Text(std::mem::take(plain)));
        }
    };
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
            && end > 0
        {
            flush(&mut plain, &mut out);
            out.push(Inline::Bold(after[..end].to_owned()));
            rest = &after[end + 2..];
            continue;
        }
        if c == '['
            && let Some(close) = rest.find("](")
            && let Some(end) = rest[close + 2..].find(')')
        {
            let label = &rest[1..close];
            let href = &rest[close + 2..close + 2 + end];
            if !label.is_empty() && !label.contains('[') && internal(href) {
                flush(&mut plain, &mut out);
                out.push(Inline::Link {
                    text: label.to_owned(),
                    href: href.to_owned(),
                });
                rest = &rest[close + 3 + end..];
                continue;
            }
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut plain, &mut out);
    out
}

/// The blocks of an answer.
pub fn blocks(answer: &str) -> Vec<Block> {
    let normalised = answer.replace("\r\n", "\n");
    let mut out = Vec::new();
    for chunk in normalised.split("\n\n") {
        let lines: Vec<&str> = chunk.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        let mut paragraph: Vec<&str> = Vec::new();
        let mut list: Vec<Vec<Inline>> = Vec::new();
        for line in lines {
            if let Some(item) = line.trim_start().strip_prefix("- ") {
                if !paragraph.is_empty() {
                    out.push(Block::Paragraph(inlines(&paragraph.join(" "))));
                    paragraph.clear();
                }
                list.push(inlines(item.trim()));
            } else {
                if !list.is_empty() {
                    out.push(Block::List(std::mem::take(&mut list)));
                }
                paragraph.push(line.trim());
            }
        }
        if !paragraph.is_empty() {
            out.push(Block::Paragraph(inlines(&paragraph.join(" "))));
        }
        if !list.is_empty() {
            out.push(Block::List(list));
        }
    }
    out
}

/// The answer as the words a reader sees, for the search index and snippets.
pub fn plain_text(answer: &str) -> String {
    let words = |inlines: &[Inline]| {
        inlines
            .iter()
            .map(|i| match i {
                Inline::Text(t) | Inline::Bold(t) => t.as_str(),
                Inline::Link { text, .. } => text.as_str(),
            })
            .collect::<String>()
    };
    blocks(answer)
        .iter()
        .map(|b| match b {
            Block::Paragraph(p) => words(p),
            Block::List(items) => items
                .iter()
                .map(|i| words(i))
                .collect::<Vec<_>>()
                .join(". "),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn inline_view(inline: Inline) -> AnyView {
    match inline {
        Inline::Text(t) => t.into_any(),
        Inline::Bold(t) => view! { <strong>{t}</strong> }.into_any(),
        Inline::Link { text, href } => view! { <a href=href>{text}</a> }.into_any(),
    }
}

/// An answer rendered as paragraphs and lists.
#[component]
pub fn Answer(text: String) -> impl IntoView {
    blocks(&text)
        .into_iter()
        .map(|block| match block {
            Block::Paragraph(p) => {
                view! { <p>{p.into_iter().map(inline_view).collect_view()}</p> }.into_any()
            }
            Block::List(items) => view! {
                <ul>
                    {items.into_iter().map(|i| view! { <li>{i.into_iter().map(inline_view).collect_view()}</li> }).collect_view()}
                </ul>
            }
            .into_any(),
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_lists_bold_and_links() {
        let blocks = blocks(
            "Most bikes ship in **10 working days**.\n\n- Steel: 8 days\n- Titanium: see [the bike](/products/bicycle)\nAsk us.",
        );
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph(vec![
                    Inline::Text("Most bikes ship in ".into()),
                    Inline::Bold("10 working days".into()),
                    Inline::Text(".".into()),
                ]),
                Block::List(vec![
                    vec![Inline::Text("Steel: 8 days".into())],
                    vec![
                        Inline::Text("Titanium: see ".into()),
                        Inline::Link {
                            text: "the bike".into(),
                            href: "/products/bicycle".into()
                        }
                    ],
                ]),
                Block::Paragraph(vec![Inline::Text("Ask us.".into())]),
            ]
        );
    }

    #[test]
    fn only_links_to_the_shop_become_links() {
        for text in [
            "[x](https://evil.example)",
            "[x](//evil.example/a)",
            "[x](javascript:alert(1))",
            "[x](/a b)",
        ] {
            assert!(
                inlines(text).iter().all(|i| matches!(i, Inline::Text(_))),
                "{text}"
            );
        }
        assert_eq!(inlines("<script>"), vec![Inline::Text("<script>".into())]);
    }

    #[test]
    fn unbalanced_markers_stay_text_and_nothing_panics() {
        for text in [
            "**",
            "** x",
            "[",
            "[a](",
            "é**ü",
            "- ",
            "\n\n\n",
            "[ü](/ß)**ñ**",
        ] {
            let _ = blocks(text);
            let _ = plain_text(text);
        }
        assert_eq!(plain_text("A **b** [c](/d)\n\n- e\n- f"), "A b c\ne. f");
    }
}
