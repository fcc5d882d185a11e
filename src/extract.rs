//! HTML articles → plain text that [`crate::split`] can read.
//!
//! The page is parsed by a real HTML parser (html5ever, through `scraper`), so malformed markup,
//! entities and character references are handled the way a browser handles them. Every
//! block-level element (`p`, `li`, `blockquote`, `div` with text of its own, table cells...)
//! becomes one paragraph candidate; inline elements (`a`, `em`, `span`...) stay inside the
//! paragraph around them. Page chrome is skipped entirely: `nav`, `header`, `footer`, `aside`,
//! `script`, `style`, forms and their controls, hidden elements, ARIA navigation / banner /
//! footer / sidebar regions, and comment sections (an element whose `id` or `class` contains the
//! word `comment`, `comments` or `disqus`). Headings become Markdown headings (`# ...`), which the
//! splitter drops as headings.
//!
//! A single `<br>` is a soft break inside a paragraph; two in a row end it.
//!
//! The result is one candidate per line, with blank lines between candidates, so that the
//! splitter applies the same furniture rules to HTML as to text: nothing is filtered twice and no
//! rule lives in two places.

use ego_tree::NodeRef;
use scraper::{Html, Node};

/// Elements whose whole subtree is page chrome, not article text.
const SKIPPED: &[&str] = &[
    "head",
    "nav",
    "header",
    "footer",
    "aside",
    "script",
    "style",
    "noscript",
    "template",
    "form",
    "button",
    "select",
    "textarea",
    "input",
    "label",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "video",
    "audio",
    "map",
    "menu",
    "dialog",
    "figcaption",
];

/// ARIA roles of page chrome.
const SKIPPED_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "form",
    "dialog",
    "menu",
    "menubar",
];

/// Words in an `id` or `class` that mark a comment section.
const COMMENT_WORDS: &[&str] = &["comment", "comments", "disqus"];

/// Elements that start and end a paragraph candidate.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "body",
    "blockquote",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "address",
    "hr",
    "figure",
    "details",
    "summary",
    "center",
    "hgroup",
];

/// True when bytes or text look like an HTML document rather than plain text (used for standard
/// input, which has no file extension).
pub fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(15)
        .flat_map(char::to_lowercase)
        .collect();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// Extracts the article text of an HTML page: one paragraph candidate per line, candidates
/// separated by blank lines, headings marked with `# `.
///
/// The article is looked for in the page's only `<article>` element, else its first `<main>`,
/// else the whole `<body>`.
pub fn html_to_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let root = article_root(&doc);
    let mut text = TextBuilder::default();
    walk(root, &mut text);
    text.finish()
}

fn article_root(doc: &Html) -> NodeRef<'_, Node> {
    let elements = || {
        doc.tree
            .root()
            .descendants()
            .filter(|n| n.value().as_element().is_some())
    };
    let named = |name: &'static str| {
        elements().filter(move |n| n.value().as_element().is_some_and(|e| e.name() == name))
    };
    let mut articles = named("article").filter(|n| !skipped(*n));
    if let (Some(only), None) = (articles.next(), articles.next()) {
        return only;
    }
    named("main")
        .find(|n| !skipped(*n))
        .or_else(|| named("body").next())
        .unwrap_or_else(|| doc.tree.root())
}

fn skipped(node: NodeRef<'_, Node>) -> bool {
    let Some(e) = node.value().as_element() else {
        return false;
    };
    if SKIPPED.contains(&e.name()) || e.attr("hidden").is_some() {
        return true;
    }
    if e.attr("aria-hidden")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return true;
    }
    if e.attr("role").is_some_and(|r| {
        r.split_ascii_whitespace()
            .any(|r| SKIPPED_ROLES.iter().any(|s| s.eq_ignore_ascii_case(r)))
    }) {
        return true;
    }
    e.id()
        .into_iter()
        .chain(e.classes())
        .any(names_comment_section)
}

/// True when an `id` or class token contains one of [`COMMENT_WORDS`] as a whole word
/// (`comments`, `comment-list`, `disqus_thread`; not `commentary`).
fn names_comment_section(token: &str) -> bool {
    token
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| COMMENT_WORDS.iter().any(|c| c.eq_ignore_ascii_case(w)))
}

fn walk(node: NodeRef<'_, Node>, out: &mut TextBuilder) {
    match node.value() {
        Node::Text(t) => out.push_text(t),
        Node::Element(e) => {
            if skipped(node) {
                return;
            }
            let name = e.name();
            if name == "br" {
                out.line_break();
                return;
            }
            let block = BLOCKS.contains(&name);
            if block {
                out.end_block();
            }
            if matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
                out.heading = true;
            }
            for child in node.children() {
                walk(child, out);
            }
            if block {
                out.end_block();
            }
        }
        Node::Document | Node::Fragment => {
            for child in node.children() {
                walk(child, out);
            }
        }
        _ => {}
    }
}

/// Collects text with HTML whitespace rules: runs of white space are one space, blocks end lines.
#[derive(Default)]
struct TextBuilder {
    blocks: Vec<String>,
    current: String,
    /// The current block is a heading.
    heading: bool,
}

impl TextBuilder {
    fn push_text(&mut self, text: &str) {
        for (i, word) in text.split_ascii_whitespace().enumerate() {
            let starts_with_space = i > 0 || text.starts_with(|c: char| c.is_ascii_whitespace());
            if starts_with_space && !self.current.is_empty() && !self.current.ends_with('\n') {
                self.current.push(' ');
            }
            self.current.push_str(word);
        }
        if text.ends_with(|c: char| c.is_ascii_whitespace())
            && !self.current.is_empty()
            && !self.current.ends_with(['\n', ' '])
        {
            self.current.push(' ');
        }
    }

    /// `<br>`: a soft break inside the paragraph; two in a row end the paragraph (pages that
    /// separate paragraphs with `<br><br>`).
    fn line_break(&mut self) {
        let trimmed = self.current.trim_end_matches(' ').len();
        self.current.truncate(trimmed);
        if self.current.ends_with('\n') {
            self.end_block();
        } else if !self.current.is_empty() {
            self.current.push('\n');
        }
    }

    fn end_block(&mut self) {
        let text = self.current.trim();
        if !text.is_empty() {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            let mut block = lines.join(" ");
            if self.heading {
                block = format!("# {block}");
            }
            self.blocks.push(block);
        }
        self.current.clear();
        self.heading = false;
    }

    fn finish(mut self) -> String {
        self.end_block();
        let mut out = self.blocks.join("\n\n");
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html>
<html><head><title>Site | Opinion</title><style>p { color: red }</style>
<script>var x = "<p>not text</p>";</script></head>
<body>
<header><a href="/">Home</a> <a href="/opinion">Opinion</a></header>
<nav><ul><li>World</li><li>Pakistan</li></ul></nav>
<div class="page">
  <h1>Border diplomacy, again</h1>
  <p>Islamabad&rsquo;s decision to reopen <a href="/t">Torkham</a> was
     overdue &amp; welcome.</p>
  <p>Trade <em>binds</em> neighbours;<br>closures punish traders.</p>
  <div>Text directly in a div is a paragraph too.</div>
  <aside><p>Most read: something else.</p></aside>
  <div id="comments"><p>Great article!</p></div>
  <div class="commentary-body"><p>Commentary text stays.</p></div>
  <form><p>Your email</p></form>
  <p hidden>Hidden text.</p>
</div>
<footer><p>Copyright 2024</p></footer>
</body></html>"#;

    #[test]
    fn keeps_article_blocks_and_skips_page_chrome() {
        let text = html_to_text(PAGE);
        assert_eq!(
            text,
            "# Border diplomacy, again\n\n\
             Islamabad\u{2019}s decision to reopen Torkham was overdue & welcome.\n\n\
             Trade binds neighbours; closures punish traders.\n\n\
             Text directly in a div is a paragraph too.\n\n\
             Commentary text stays.\n"
        );
    }

    #[test]
    fn the_splitter_then_drops_headings() {
        let split = crate::split::split_text("d", &html_to_text(PAGE));
        let texts: Vec<&str> = split.paragraphs.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Islamabad\u{2019}s decision to reopen Torkham was overdue & welcome.",
                "Trade binds neighbours; closures punish traders.",
                "Text directly in a div is a paragraph too.",
                "Commentary text stays."
            ]
        );
        assert_eq!(split.dropped.len(), 1);
    }

    #[test]
    fn a_single_article_element_is_the_article() {
        let html = "<body><div class=related><p>Another story entirely.</p></div>\
                    <article><p>The article itself.</p></article></body>";
        assert_eq!(html_to_text(html), "The article itself.\n");
        let two = "<body><article><p>One.</p></article><article><p>Two.</p></article></body>";
        assert_eq!(html_to_text(two), "One.\n\nTwo.\n");
    }

    #[test]
    fn malformed_markup_and_numeric_entities() {
        let html = "<p>Unclosed &#8220;quote&#8221; <b>bold<p>Next &#x2014; para";
        assert_eq!(
            html_to_text(html),
            "Unclosed \u{201c}quote\u{201d} bold\n\nNext \u{2014} para\n"
        );
    }

    #[test]
    fn one_br_is_a_soft_break_and_two_end_the_paragraph() {
        let html = "<div>First line<br>same paragraph.<br> <br>Second paragraph.</div>";
        assert_eq!(
            html_to_text(html),
            "First line same paragraph.\n\nSecond paragraph.\n"
        );
    }

    #[test]
    fn comment_words_are_whole_words() {
        assert!(names_comment_section("comments"));
        assert!(names_comment_section("comment-list"));
        assert!(names_comment_section("disqus_thread"));
        assert!(!names_comment_section("commentary"));
        assert!(!names_comment_section("recommended"));
    }

    #[test]
    fn sniffs_html_documents() {
        assert!(looks_like_html("\u{feff}  <!DOCTYPE html><html>"));
        assert!(looks_like_html("<HTML lang=en>"));
        assert!(!looks_like_html("A paragraph about <b>tags</b>."));
    }
}
