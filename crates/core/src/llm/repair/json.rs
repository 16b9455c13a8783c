//! JSON recovery: the first JSON object in a reply, parsed strictly or, failing that, by a
//! lenient parser that accepts single and smart quotes, comments, trailing commas, unquoted keys,
//! Python literals and truncation. See [`recover_json`].

use serde_json::{Map, Value};

/// How many `{` positions [`recover_json`] tries before giving up (bounds the work on long text).
const MAX_OBJECT_STARTS: usize = 64;
/// Deepest nesting the lenient JSON parser follows.
const MAX_DEPTH: usize = 64;

/// Finds the first JSON object in `s` and parses it, repairing it when strict parsing fails.
///
/// Prose before and after is ignored, and so is a ```` ```json ```` fence around it. The object
/// runs from a `{` to its balanced `}` (braces inside strings do not count). If that text is not
/// strict JSON, a lenient parser accepts: trailing or missing commas, `//` and `/* */` comments
/// outside strings, single-quoted and “smart-quoted” strings and keys, unquoted keys and bare-word
/// values, Python's `True`/`False`/`None`, raw newlines and tabs inside strings, unescaped double
/// quotes inside a string when the quote is clearly not the end of it, and a truncated object (an
/// unfinished string, array or object is closed; an unfinished key is dropped). Returns `None` when
/// no `{` starts something object-like. Reasoning blocks are not removed here (see
/// [`strip_think`]).
pub fn recover_json(s: &str) -> Option<Value> {
    recover_objects(s)
        .into_iter()
        .next()
        .map(|found| Value::Object(found.map))
}

pub(super) struct FoundObject {
    pub(super) map: Map<String, Value>,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Every object recoverable from `s`, in order (objects inside a recovered one are not listed
/// again).
pub(super) fn recover_objects(s: &str) -> Vec<FoundObject> {
    let chars: Vec<char> = s.chars().collect();
    let byte_at: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let mut found = Vec::new();
    let mut k = 0;
    let mut tries = 0;
    while k < chars.len() && tries < MAX_OBJECT_STARTS {
        if chars[k] != '{' {
            k += 1;
            continue;
        }
        tries += 1;
        match parse_object_at(&chars, k) {
            Some((map, end)) => {
                found.push(FoundObject {
                    map,
                    start: byte_at[k],
                    end: byte_at[end],
                });
                k = end.max(k + 1);
            }
            None => k += 1,
        }
    }
    found
}

/// The object starting at `chars[start] == '{'`: strict JSON over the balanced braces first, the
/// lenient parser otherwise. Returns the object and the index just after it.
fn parse_object_at(chars: &[char], start: usize) -> Option<(Map<String, Value>, usize)> {
    if let Some(end) = balanced_end(chars, start) {
        let slice: String = chars[start..end].iter().collect();
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&slice) {
            return Some((map, end));
        }
    }
    let mut p = Lenient { c: chars, i: start };
    let map = p.object(0)?;
    Some((map, p.i))
}

/// Index just after the `}` matching `chars[start]`, counting braces outside double-quoted
/// strings.
fn balanced_end(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate().skip(start) {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where a string being read sits, which decides what may follow its closing quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Key,
    ObjectValue,
    ArrayValue,
}

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}'
    )
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '-'
}

/// A forgiving JSON reader over characters. Methods return `None` when the text is not
/// object-like at all, and close whatever is open when the text ends.
struct Lenient<'a> {
    c: &'a [char],
    i: usize,
}

impl Lenient<'_> {
    fn at(&self, k: usize) -> Option<char> {
        self.c.get(k).copied()
    }

    fn peek(&self) -> Option<char> {
        self.at(self.i)
    }

    /// Index of the first character at or after `k` that is not whitespace or a comment.
    fn skip_ws_from(&self, mut k: usize) -> usize {
        loop {
            match self.at(k) {
                Some(c) if c.is_whitespace() => k += 1,
                Some('/') if self.at(k + 1) == Some('/') => {
                    while self.at(k).is_some_and(|c| c != '\n') {
                        k += 1;
                    }
                }
                Some('/') if self.at(k + 1) == Some('*') => {
                    k += 2;
                    while self.at(k).is_some()
                        && !(self.at(k) == Some('*') && self.at(k + 1) == Some('/'))
                    {
                        k += 1;
                    }
                    k = (k + 2).min(self.c.len());
                }
                _ => return k,
            }
        }
    }

    fn skip_ws(&mut self) {
        self.i = self.skip_ws_from(self.i);
    }

    fn object(&mut self, depth: usize) -> Option<Map<String, Value>> {
        if depth > MAX_DEPTH || self.peek() != Some('{') {
            return None;
        }
        self.i += 1;
        let mut map = Map::new();
        loop {
            self.skip_ws();
            let key = match self.peek() {
                None => return Some(map),
                Some('}') => {
                    self.i += 1;
                    return Some(map);
                }
                Some(',') => {
                    self.i += 1;
                    continue;
                }
                Some(q) if is_quote(q) => self.string(Ctx::Key),
                Some(c) if is_ident_char(c) => {
                    let start = self.i;
                    while self.peek().is_some_and(is_ident_char) {
                        self.i += 1;
                    }
                    self.c[start..self.i].iter().collect()
                }
                Some(_) => return None,
            };
            self.skip_ws();
            match self.peek() {
                None => return Some(map),
                Some(':') => self.i += 1,
                Some(_) => return None,
            }
            self.skip_ws();
            if self.peek().is_none() {
                return Some(map);
            }
            let value = self.value(Ctx::ObjectValue, depth)?;
            map.insert(key, value);
        }
    }

    fn array(&mut self, depth: usize) -> Option<Vec<Value>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Some(items),
                Some(']') => {
                    self.i += 1;
                    return Some(items);
                }
                // `["a", "b"}`: the array was never closed; let the object take its brace.
                Some('}') => return Some(items),
                Some(',') => self.i += 1,
                Some(_) => items.push(self.value(Ctx::ArrayValue, depth)?),
            }
        }
    }

    fn value(&mut self, ctx: Ctx, depth: usize) -> Option<Value> {
        match self.peek()? {
            '{' => self.object(depth + 1).map(Value::Object),
            '[' => self.array(depth + 1).map(Value::Array),
            q if is_quote(q) => Some(Value::String(self.string(ctx))),
            c if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => self.number(),
            c if c.is_alphabetic() || c == '_' => Some(self.word(ctx)),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.i += 1;
        }
        let text: String = self.c[start..self.i].iter().collect();
        let text = text.trim_start_matches('+');
        serde_json::from_str::<serde_json::Number>(text)
            .ok()
            .or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
            })
            .map(Value::Number)
    }

    /// `true`/`True`, `false`/`False`, `null`/`None`/`undefined`/`NaN`/`Infinity`, or a bare word
    /// value read up to the next `,`, closing bracket or line end.
    fn word(&mut self, ctx: Ctx) -> Value {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.i += 1;
        }
        let word: String = self.c[start..self.i].iter().collect();
        match word.as_str() {
            "true" | "True" | "TRUE" => return Value::Bool(true),
            "false" | "False" | "FALSE" => return Value::Bool(false),
            "null" | "None" | "NULL" | "undefined" | "nil" | "NaN" | "Infinity" => {
                return Value::Null
            }
            _ => {}
        }
        let stop = |c: char| {
            c == ','
                || c == '\n'
                || (ctx == Ctx::ObjectValue && c == '}')
                || (ctx == Ctx::ArrayValue && c == ']')
        };
        while self.peek().is_some_and(|c| !stop(c)) {
            self.i += 1;
        }
        Value::String(
            self.c[start..self.i]
                .iter()
                .collect::<String>()
                .trim()
                .to_string(),
        )
    }

    /// A string opened by the quote at `self.i`. A closing quote only ends it when what follows
    /// fits `ctx` (see [`Lenient::ends_string`]); otherwise the quote is part of the text.
    fn string(&mut self, ctx: Ctx) -> String {
        let open = self.c[self.i];
        self.i += 1;
        let closers: &[char] = match open {
            '"' => &['"'],
            '\'' => &['\''],
            '\u{2018}' | '\u{2019}' => &['\u{2019}', '\u{2018}'],
            _ => &['\u{201d}', '\u{201c}', '"'],
        };
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            if c == '\\' {
                self.escape(&mut out);
            } else if closers.contains(&c) && self.ends_string(self.i, ctx) {
                return out;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Decodes the escape after a backslash (already consumed) into `out`.
    fn escape(&mut self, out: &mut String) {
        let Some(c) = self.peek() else { return };
        self.i += 1;
        match c {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            '"' | '\\' | '/' | '\'' => out.push(c),
            'u' => match self.hex4(self.i) {
                Some(hi) => {
                    self.i += 4;
                    let is_high = (0xD800..0xDC00).contains(&hi);
                    let low = (is_high
                        && self.at(self.i) == Some('\\')
                        && self.at(self.i + 1) == Some('u'))
                    .then(|| self.hex4(self.i + 2))
                    .flatten()
                    .filter(|lo| (0xDC00..0xE000).contains(lo));
                    let code = match low {
                        Some(lo) => {
                            self.i += 6;
                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                        }
                        None => hi,
                    };
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                None => out.push_str("\\u"),
            },
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }

    fn hex4(&self, k: usize) -> Option<u32> {
        let digits: String = self.c.get(k..k + 4)?.iter().collect();
        u32::from_str_radix(&digits, 16).ok()
    }

    /// Whether a quote just before index `k` really closes a string in `ctx`: what follows must
    /// be the end of the text, `:` after a key, the closing bracket, or a comma (or a missing
    /// comma) followed by the next key or value.
    fn ends_string(&self, k: usize, ctx: Ctx) -> bool {
        let k = self.skip_ws_from(k);
        match (self.at(k), ctx) {
            (None, _) => true,
            (Some(':'), Ctx::Key) => true,
            // `}` after an array item: the model forgot the `]` (`{"a": ["x", "y"}`).
            (Some('}'), Ctx::ObjectValue | Ctx::ArrayValue) | (Some(']'), Ctx::ArrayValue) => true,
            (Some(','), Ctx::ObjectValue) => self.key_follows(k + 1),
            (Some(','), Ctx::ArrayValue) => self.value_follows(k + 1),
            (Some(q), Ctx::ObjectValue) if is_quote(q) => self.key_follows(k),
            _ => false,
        }
    }

    /// Whether a key (quoted or bare, followed by `:`), a `}` or the end comes at or after `k`
    /// (a key cut off by the end of the text counts).
    fn key_follows(&self, k: usize) -> bool {
        let k = self.skip_ws_from(k);
        let after_key = match self.at(k) {
            None | Some('}') => return true,
            Some(q) if is_quote(q) => {
                let mut j = k + 1;
                while self.at(j).is_some_and(|c| !is_quote(c) && c != '\n') {
                    j += 1;
                }
                match self.at(j) {
                    // The text stops inside the next key: it was truncated there.
                    None => return true,
                    Some(c) if is_quote(c) => j + 1,
                    Some(_) => return false,
                }
            }
            Some(c) if is_ident_char(c) => {
                let mut j = k;
                while self.at(j).is_some_and(is_ident_char) {
                    j += 1;
                }
                j
            }
            Some(_) => return false,
        };
        matches!(self.at(self.skip_ws_from(after_key)), None | Some(':'))
    }

    /// Whether a value, a `]` or the end comes at or after `k`.
    fn value_follows(&self, k: usize) -> bool {
        match self.at(self.skip_ws_from(k)) {
            None => true,
            Some(c) => {
                c == ']' || c == '{' || c == '[' || c == '-' || is_quote(c) || c.is_alphanumeric()
            }
        }
    }
}
