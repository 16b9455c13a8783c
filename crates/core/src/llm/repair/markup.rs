//! Markup around a reply: byte-order marks and line endings, reasoning blocks
//! (`<think>…</think>`), HTML error pages, fenced code blocks, and the language of a block.

use super::text::{collapse_ws, excerpt};
use super::CodeLanguage;

/// Removes reasoning blocks: `<think>…</think>`, `<thinking>…</thinking>` and
/// `<reasoning>…</reasoning>`, in any letter case.
///
/// An opening tag that is never closed hides the text up to the first `{` or code fence after it
/// (or to the end, when there is neither). A closing tag with no opening tag before it (some
/// servers drop the opening tag) hides everything before it.
pub fn strip_think(s: &str) -> String {
    ["think", "thinking", "reasoning"]
        .iter()
        .fold(s.to_string(), |acc, tag| strip_tag(&acc, tag))
}

/// When the whole text (ignoring surrounding whitespace) is one fenced code block, returns its
/// inside, trimmed; otherwise returns the text unchanged.
///
/// Fences are ```` ``` ```` or `~~~` (three or more), with or without a language tag; a one-line
/// ```` ```SELECT 1``` ```` also counts, and an unclosed fence runs to the end of the text.
pub fn strip_fences(s: &str) -> String {
    let t = s.trim();
    let blocks = fenced_blocks(t);
    match blocks.as_slice() {
        [only] if only.start == 0 && only.end == t.len() => only.body.clone(),
        _ => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Normalising and reasoning blocks

/// Drops a byte-order mark and turns CRLF / CR line endings into LF.
pub(super) fn normalize(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

/// Removes `<tag>…</tag>` blocks (ASCII case-insensitive) with the unclosed / orphan-close rules
/// of [`strip_think`].
fn strip_tag(s: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    // ASCII lower-casing keeps byte offsets, so positions in `lower` are positions in `s`.
    let lower = s.to_ascii_lowercase();
    let mut pos = 0;
    if let Some(c) = lower.find(&close) {
        if lower.find(&open).is_none_or(|o| c < o) {
            pos = c + close.len();
        }
    }
    let mut out = String::with_capacity(s.len());
    while let Some(rel) = lower[pos..].find(&open) {
        let at = pos + rel;
        out.push_str(&s[pos..at]);
        let after = at + open.len();
        pos = match lower[after..].find(&close) {
            Some(rc) => after + rc + close.len(),
            None => {
                let rest = &s[after..];
                [rest.find('{'), rest.find("```")]
                    .into_iter()
                    .flatten()
                    .min()
                    .map_or(s.len(), |cut| after + cut)
            }
        };
    }
    out.push_str(&s[pos..]);
    out
}

/// The title of an HTML page (or its first text) when `text` is an HTML document.
pub(super) fn html_error_page(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let is_html = ["<!doctype html", "<html", "<head", "<body"]
        .iter()
        .any(|p| lower.starts_with(p))
        || (lower.starts_with("<?xml") && lower.contains("<html"));
    if !is_html {
        return None;
    }
    let between = |open: &str, close: &str| -> Option<String> {
        let start = lower.find(open)?;
        let inner_start = start + lower[start..].find('>')? + 1;
        let end = inner_start + lower[inner_start..].find(close)?;
        let inner = strip_html_tags(&text[inner_start..end]);
        Some(inner).filter(|t| !t.is_empty())
    };
    let title = between("<title", "</title>")
        .or_else(|| between("<h1", "</h1>"))
        .unwrap_or_else(|| strip_html_tags(text));
    let title = if title.is_empty() {
        "no details".to_string()
    } else {
        title
    };
    Some(excerpt(&title, 120))
}

/// Text content of an HTML fragment: `<style>`/`<script>` bodies and tags removed, whitespace
/// collapsed. One pass forward (a hostile page of 100,000 `<script>` tags is as cheap as any
/// other page of its size).
pub(super) fn strip_html_tags(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut text = String::with_capacity(html.len());
    let mut pos = 0;
    while let Some(open) = lower[pos..].find('<').map(|i| pos + i) {
        let body_of = ["style", "script"]
            .into_iter()
            .find(|tag| lower[open + 1..].starts_with(tag));
        let Some(tag) = body_of else {
            text.push_str(&html[pos..=open]);
            pos = open + 1;
            continue;
        };
        text.push_str(&html[pos..open]);
        text.push(' ');
        let close = format!("</{tag}>");
        pos = lower[open..]
            .find(&close)
            .map_or(html.len(), |e| open + e + close.len());
    }
    text.push_str(&html[pos..]);
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    collapse_ws(&out)
}

// ---------------------------------------------------------------------------------------------
// Fenced code blocks

/// One fenced block: byte range of the whole block (fence lines included) in the text it was
/// found in, its lower-cased language tag, and its body (dedented, trimmed).
#[derive(Debug, Clone)]
pub(super) struct Fence {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) tag: String,
    pub(super) body: String,
}

/// Language tags under which a JSON object can still be the reply.
pub(super) fn is_json_tag(tag: &str) -> bool {
    matches!(
        tag,
        "" | "json" | "json5" | "jsonc" | "javascript" | "js" | "text" | "plaintext"
    )
}

/// A run of three or more backticks or tildes at the start of `s`: (character, length).
fn fence_run(s: &str) -> Option<(char, usize)> {
    let ch = s.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = s.chars().take_while(|c| *c == ch).count();
    (n >= 3).then_some((ch, n))
}

/// The first word of a fence info string, lower case, without `{}`/`.` decorations.
fn fence_tag(info: &str) -> String {
    info.split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| c == '{' || c == '}' || c == '.')
        .to_ascii_lowercase()
}

/// Every fenced block in `text`, in order. An unclosed fence runs to the end of the text; a
/// closing fence glued to the last code line (`SELECT 1;```) closes the block; a one-line
/// ```` ```code``` ```` is a block. Body lines are dedented by the opening fence's indentation.
pub(super) fn fenced_blocks(text: &str) -> Vec<Fence> {
    struct Open {
        start: usize,
        indent: usize,
        ch: char,
        len: usize,
        tag: String,
        lines: Vec<String>,
    }
    fn finish(open: Open, end: usize) -> Fence {
        Fence {
            start: open.start,
            end,
            tag: open.tag,
            body: open.lines.join("\n").trim().to_string(),
        }
    }
    let mut blocks = Vec::new();
    let mut open: Option<Open> = None;
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches('\n');
        let line_end = line_start + line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match open.take() {
            None => {
                let Some((ch, len)) = fence_run(trimmed) else {
                    continue;
                };
                let info = &trimmed[len..];
                let fence: String = std::iter::repeat_n(ch, 3).collect();
                if let Some(close) = info.find(&fence) {
                    // One-line block: ```SELECT 1``` or ```sql SELECT 1```.
                    let inner = info[..close].trim();
                    let (tag, body) = match inner.split_once(char::is_whitespace) {
                        Some((first, rest)) if language_from_name(first).is_some() => {
                            (first.to_ascii_lowercase(), rest.trim())
                        }
                        _ => (String::new(), inner),
                    };
                    blocks.push(Fence {
                        start: line_start + indent,
                        end: line_end,
                        tag,
                        body: body.to_string(),
                    });
                    continue;
                }
                open = Some(Open {
                    start: line_start + indent,
                    indent,
                    ch,
                    len,
                    tag: fence_tag(info),
                    lines: Vec::new(),
                });
            }
            Some(mut cur) => {
                if fence_run(trimmed).is_some_and(|(ch, len)| {
                    ch == cur.ch && len >= cur.len && trimmed[len..].trim().is_empty()
                }) {
                    blocks.push(finish(cur, line_end));
                    continue;
                }
                let dedented = {
                    let strip = line
                        .chars()
                        .take(cur.indent)
                        .take_while(|c| *c == ' ')
                        .count();
                    &line[strip..]
                };
                let glued: String = std::iter::repeat_n(cur.ch, cur.len).collect();
                if let Some(code) = dedented.trim_end().strip_suffix(glued.as_str()) {
                    cur.lines.push(code.to_string());
                    blocks.push(finish(cur, line_end));
                    continue;
                }
                cur.lines.push(dedented.to_string());
                open = Some(cur);
            }
        }
    }
    if let Some(cur) = open {
        blocks.push(finish(cur, text.len()));
    }
    blocks
}

/// The text outside the given blocks, joined with newlines.
pub(super) fn outside_blocks(text: &str, blocks: &[Fence]) -> String {
    let mut out = String::new();
    let mut pos = 0;
    for b in blocks {
        out.push_str(&text[pos..b.start]);
        out.push('\n');
        pos = b.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// The code block to run, by the module's rule: first SQL block starting with SELECT/WITH, then
/// first SQL block, then first Python block. Returns (language, code, index).
pub(super) fn choose_block(blocks: &[Fence]) -> Option<(CodeLanguage, String, usize)> {
    let classified: Vec<(usize, CodeLanguage)> = blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.body.is_empty())
        .filter_map(|(i, b)| {
            let lang = language_from_name(&b.tag).or_else(|| {
                if is_sql_start(&b.body) {
                    Some(CodeLanguage::Sql)
                } else if looks_like_python(&b.body) {
                    Some(CodeLanguage::Python)
                } else {
                    None
                }
            })?;
            Some((i, lang))
        })
        .collect();
    let pick = classified
        .iter()
        .find(|(i, l)| *l == CodeLanguage::Sql && is_sql_start(&blocks[*i].body))
        .or_else(|| classified.iter().find(|(_, l)| *l == CodeLanguage::Sql))
        .or_else(|| classified.iter().find(|(_, l)| *l == CodeLanguage::Python))?;
    Some((pick.1, blocks[pick.0].body.clone(), pick.0))
}

// ---------------------------------------------------------------------------------------------
// Languages

/// SQL or Python from a language name or fence tag (`sql`, `SQLite`, `postgresql`, `py`,
/// `python3`, `pandas`, …).
pub(super) fn language_from_name(name: &str) -> Option<CodeLanguage> {
    let n = name.trim().to_ascii_lowercase();
    if n.contains("sql") || n == "postgres" {
        Some(CodeLanguage::Sql)
    } else if n.contains("python") || n == "py" || n == "py3" || n == "pandas" {
        Some(CodeLanguage::Python)
    } else {
        None
    }
}

/// Whether `s` starts with the word `kw` (ASCII case-insensitive, followed by a non-word char).
pub(super) fn starts_with_keyword(s: &str, kw: &str) -> bool {
    s.get(..kw.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(kw))
        && !s[kw.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// `code` without leading whitespace, `--` line comments and `/* */` block comments.
fn skip_sql_comments(code: &str) -> &str {
    let mut s = code.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.find('\n').map_or("", |n| &rest[n + 1..]).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.find("*/").map_or("", |n| &rest[n + 2..]).trim_start();
        } else {
            return s;
        }
    }
}

/// SQL if the code starts with SELECT or WITH after comments.
fn is_sql_start(code: &str) -> bool {
    let s = skip_sql_comments(code);
    starts_with_keyword(s, "select") || starts_with_keyword(s, "with")
}

/// Whether some line of `code` is typical Python: an import, a definition, a `print(`, a pandas
/// or numpy call, a block statement ending in `:`, or an assignment `name = …`.
fn looks_like_python(code: &str) -> bool {
    code.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| {
            let block_statement = ["for ", "if ", "with ", "while ", "try", "elif ", "else"]
                .iter()
                .any(|k| l.starts_with(k))
                && l.ends_with(':');
            l.starts_with("import ")
                || (l.starts_with("from ") && l.contains(" import "))
                || l.starts_with("def ")
                || l.starts_with("class ")
                || l.starts_with("print(")
                || ["pd.", "df.", "df[", "np.", "plt."]
                    .iter()
                    .any(|p| l.contains(p))
                || block_statement
                || is_python_assignment(l)
        })
}

/// `name = …`, `name[...] = …` or `a, b = …` (but not `==`).
fn is_python_assignment(line: &str) -> bool {
    let Some(eq) = line.find('=') else {
        return false;
    };
    let (target, rest) = (line[..eq].trim_end(), &line[eq + 1..]);
    if rest.starts_with('=') || target.is_empty() || target.ends_with(['!', '<', '>']) {
        return false;
    }
    let target = target.trim_end_matches(['+', '-', '*', '/']);
    let base = target.split('[').next().unwrap_or("");
    !base.is_empty()
        && base.split(',').all(|part| {
            let p = part.trim();
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        })
}

/// The language to assume for code without a label (see the module documentation).
pub(super) fn guess_language(code: &str) -> CodeLanguage {
    if is_sql_start(code) {
        CodeLanguage::Sql
    } else if looks_like_python(code) {
        CodeLanguage::Python
    } else {
        CodeLanguage::Sql
    }
}
