//! Linear-time replacements for SQLite's quadratic string built-ins.
//!
//! One SQL function call is one step of SQLite's virtual machine, so neither the progress handler
//! nor an interrupt can stop it part-way. SQLite's own `instr`, `replace`, `trim`/`ltrim`/`rtrim`,
//! `LIKE` and `GLOB` take time proportional to the product of their arguments' lengths: a query of
//! 90 characters could keep one call busy for minutes. These overrides (registered on every
//! connection that runs generated SQL, see [`install`]) give the same answers in time linear in
//! their inputs:
//! - `instr` and `replace` search with `memchr::memmem` (two-way search), and `replace` measures its
//!   result before building it, so a result over the length limit is refused without allocating;
//! - `trim` and friends look each character up in a set;
//! - `LIKE` and `GLOB` compile their pattern once per statement into a `regex` automaton (linear in
//!   the text), refusing patterns longer than the LIKE pattern limit as SQLite does.
//!
//! Semantics follow SQLite's documentation: NULL in, NULL out; `LIKE` folds ASCII letters only and
//! takes an optional one-character ESCAPE; `GLOB` is case-sensitive with `*`, `?` and `[...]`
//! classes (`[^...]` negated, ranges, `]` first is literal); `instr` counts characters in text and
//! bytes when both arguments are blobs.

use std::collections::HashSet;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use rusqlite::ffi;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error, Result};

/// Registers the overrides on `conn`. `max_length` is the connection's `SQLITE_LIMIT_LENGTH` and
/// `max_pattern` its `SQLITE_LIMIT_LIKE_PATTERN_LENGTH` (SQLite's built-ins read them from the
/// connection; ours are told).
pub fn install(conn: &Connection, max_length: usize, max_pattern: usize) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("instr", 2, flags, |ctx| instr(ctx))?;
    conn.create_scalar_function("replace", 3, flags, move |ctx| replace(ctx, max_length))?;
    for (name, ends) in [
        ("trim", Ends::Both),
        ("ltrim", Ends::Left),
        ("rtrim", Ends::Right),
    ] {
        conn.create_scalar_function(name, 1, flags, move |ctx| trim(ctx, ends))?;
        conn.create_scalar_function(name, 2, flags, move |ctx| trim(ctx, ends))?;
    }
    for n_arg in [2, 3] {
        conn.create_scalar_function("like", n_arg, flags, move |ctx| {
            pattern_match(ctx, Syntax::Like, max_pattern)
        })?;
    }
    conn.create_scalar_function("glob", 2, flags, move |ctx| {
        pattern_match(ctx, Syntax::Glob, max_pattern)
    })?;
    Ok(())
}

fn too_big() -> Error {
    // No message: `sqlite3_result_error` would turn the code back into a plain SQLITE_ERROR.
    Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_TOOBIG), None)
}

fn failure(message: &str) -> Error {
    Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_ERROR),
        Some(message.to_string()),
    )
}

/// An argument as SQLite would read it as text (numbers are printed; NULL is None).
fn text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{f:.1}")),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

fn instr(ctx: &Context<'_>) -> Result<Option<i64>> {
    let (haystack, needle) = (ctx.get_raw(0), ctx.get_raw(1));
    if let (ValueRef::Blob(h), ValueRef::Blob(n)) = (haystack, needle) {
        return Ok(Some(memchr::memmem::find(h, n).map_or(0, |i| i as i64 + 1)));
    }
    let (Some(h), Some(n)) = (text(haystack), text(needle)) else {
        return Ok(None);
    };
    Ok(Some(
        memchr::memmem::find(h.as_bytes(), n.as_bytes())
            .map_or(0, |at| h[..at].chars().count() as i64 + 1),
    ))
}

fn replace(ctx: &Context<'_>, max_length: usize) -> Result<Option<String>> {
    let (Some(x), Some(from), Some(to)) = (
        text(ctx.get_raw(0)),
        text(ctx.get_raw(1)),
        text(ctx.get_raw(2)),
    ) else {
        return Ok(None);
    };
    if from.is_empty() {
        return Ok(Some(x));
    }
    let hits = memchr::memmem::find_iter(x.as_bytes(), from.as_bytes()).count();
    // Measured before it is built: `replace(4 MB of 'a', 'a', 4 MB)` must not allocate 16 TB.
    let size = (x.len() - hits * from.len())
        .checked_add(hits.checked_mul(to.len()).ok_or_else(too_big)?)
        .ok_or_else(too_big)?;
    if size > max_length {
        return Err(too_big());
    }
    let mut out = String::with_capacity(size);
    let mut last = 0;
    for at in memchr::memmem::find_iter(x.as_bytes(), from.as_bytes()) {
        // Two-way search reports non-overlapping matches left to right, as `str::replace` does.
        if at < last {
            continue;
        }
        out.push_str(&x[last..at]);
        out.push_str(&to);
        last = at + from.len();
    }
    out.push_str(&x[last..]);
    Ok(Some(out))
}

#[derive(Debug, Clone, Copy)]
enum Ends {
    Both,
    Left,
    Right,
}

fn trim(ctx: &Context<'_>, ends: Ends) -> Result<Option<String>> {
    let Some(x) = text(ctx.get_raw(0)) else {
        return Ok(None);
    };
    let set: HashSet<char> = if ctx.len() == 2 {
        let Some(chars) = text(ctx.get_raw(1)) else {
            return Ok(None);
        };
        chars.chars().collect()
    } else {
        HashSet::from([' '])
    };
    let strip = |c: char| set.contains(&c);
    Ok(Some(
        match ends {
            Ends::Both => x.trim_matches(strip),
            Ends::Left => x.trim_start_matches(strip),
            Ends::Right => x.trim_end_matches(strip),
        }
        .to_string(),
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Like,
    Glob,
}

/// `like(pattern, text[, escape])` and `glob(pattern, text)`: the pattern is argument 0.
fn pattern_match(ctx: &Context<'_>, syntax: Syntax, max_pattern: usize) -> Result<Option<bool>> {
    if (0..ctx.len()).any(|i| matches!(ctx.get_raw(i), ValueRef::Null)) {
        return Ok(None);
    }
    let escape = if ctx.len() == 3 {
        let e = text(ctx.get_raw(2)).unwrap_or_default();
        let mut chars = e.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => return Err(failure("ESCAPE expression must be a single character")),
        }
    } else {
        None
    };
    let Some(text_value) = text(ctx.get_raw(1)) else {
        return Ok(None);
    };
    let pattern_len = match ctx.get_raw(0) {
        ValueRef::Text(t) | ValueRef::Blob(t) => t.len(),
        other => text(other).map_or(0, |s| s.len()),
    };
    if pattern_len > max_pattern {
        return Err(failure("LIKE or GLOB pattern too complex"));
    }
    // Compiled once per statement while the pattern is a constant (SQLite keeps it as aux data).
    let compiled: Arc<Option<Regex>> = if escape.is_none() {
        ctx.get_or_create_aux(0, |v| -> Result<Option<Regex>, Error> {
            compile(&text(v).unwrap_or_default(), syntax, None)
        })?
    } else {
        Arc::new(compile(
            &text(ctx.get_raw(0)).unwrap_or_default(),
            syntax,
            escape,
        )?)
    };
    Ok(Some(
        compiled
            .as_ref()
            .as_ref()
            .is_some_and(|re| re.is_match(&text_value)),
    ))
}

/// The pattern as an anchored regular expression; None for a pattern that matches nothing
/// (an unclosed `[` in GLOB).
fn compile(pattern: &str, syntax: Syntax, escape: Option<char>) -> Result<Option<Regex>> {
    let mut re = String::from(r"(?s)\A");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match (syntax, c) {
            (Syntax::Like, c) if Some(c) == escape => match chars.next() {
                Some(next) => push_literal(&mut re, next, true),
                // SQLite: an escape at the end of the pattern matches nothing.
                None => return Ok(None),
            },
            (Syntax::Like, '%') | (Syntax::Glob, '*') => re.push_str(".*"),
            (Syntax::Like, '_') | (Syntax::Glob, '?') => re.push('.'),
            (Syntax::Glob, '[') => {
                let negated = chars.peek() == Some(&'^');
                if negated {
                    chars.next();
                }
                let mut members = Vec::new();
                let mut closed = false;
                for m in chars.by_ref() {
                    if m == ']' && !members.is_empty() {
                        closed = true;
                        break;
                    }
                    members.push(m);
                }
                if !closed {
                    return Ok(None);
                }
                re.push('[');
                if negated {
                    re.push('^');
                }
                let mut i = 0;
                while i < members.len() {
                    if i + 2 < members.len() && members[i + 1] == '-' {
                        let (lo, hi) = (members[i], members[i + 2]);
                        // SQLite: a reversed range matches nothing.
                        if lo <= hi {
                            re.push_str(&format!("{}-{}", class_char(lo), class_char(hi)));
                        }
                        i += 3;
                    } else {
                        re.push_str(&class_char(members[i]));
                        i += 1;
                    }
                }
                // An empty class after dropping reversed ranges: `[^]` is invalid, so say so.
                if re.ends_with('[') || re.ends_with("[^") {
                    re.push_str(r"\x{10FFFF}&&[^\x{10FFFF}]");
                }
                re.push(']');
            }
            (Syntax::Like, c) => push_literal(&mut re, c, true),
            (Syntax::Glob, c) => push_literal(&mut re, c, false),
        }
    }
    re.push_str(r"\z");
    RegexBuilder::new(&re)
        .unicode(true)
        .size_limit(8 << 20)
        .dfa_size_limit(8 << 20)
        .build()
        .map(Some)
        .map_err(|_| failure("LIKE or GLOB pattern too complex"))
}

/// One literal character; for LIKE, an ASCII letter matches either case (SQLite folds ASCII only).
fn push_literal(re: &mut String, c: char, fold_ascii: bool) {
    if fold_ascii && c.is_ascii_alphabetic() {
        re.push_str(&format!(
            "[{}{}]",
            c.to_ascii_lowercase(),
            c.to_ascii_uppercase()
        ));
    } else {
        re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
    }
}

fn class_char(c: char) -> String {
    if c.is_alphanumeric() {
        c.to_string()
    } else {
        format!(r"\x{{{:X}}}", c as u32)
    }
}

/// The value of one expression on a connection with the overrides (for tests and the corpus).
#[cfg(test)]
fn eval(conn: &Connection, expr: &str) -> Result<rusqlite::types::Value> {
    conn.query_row(&format!("SELECT {expr}"), [], |r| r.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expression has the same value with SQLite's built-ins and with the overrides.
    #[test]
    fn the_overrides_agree_with_sqlite() {
        let builtin = Connection::open_in_memory().unwrap();
        let ours = Connection::open_in_memory().unwrap();
        install(&ours, 1_000_000, 50_000).unwrap();
        let cases = [
            "instr('hello world', 'o')",
            "instr('héllo wörld', 'w')",
            "instr('abc', '')",
            "instr('abc', 'z')",
            "instr(NULL, 'a')",
            "instr(x'00010203', x'0203')",
            "instr(12345, 34)",
            "replace('banana', 'an', 'AN')",
            "replace('aaaa', 'aa', 'b')",
            "replace('abc', '', 'x')",
            "replace('abc', NULL, 'x')",
            "replace('ééé', 'é', 'e')",
            "trim('  hi  ')",
            "ltrim('  hi  ')",
            "rtrim('  hi  ')",
            "trim('xxhixx', 'x')",
            "trim('abchicba', 'abc')",
            "rtrim('2.500', '0')",
            "trim(NULL)",
            "'Hello' LIKE 'h%'",
            "'Hello' LIKE 'H_llo'",
            "'Hello' LIKE 'hello'",
            "'Héllo' LIKE 'HÉLLO'",
            "'Héllo' LIKE 'h_llo'",
            "'a%b' LIKE 'a\\%b' ESCAPE '\\'",
            "'axb' LIKE 'a\\%b' ESCAPE '\\'",
            "'100%' LIKE '100!%' ESCAPE '!'",
            "'abc' LIKE 'abc!' ESCAPE '!'",
            "'line1\nline2' LIKE 'line1%2'",
            "'a.b' LIKE 'a.b'",
            "'axb' LIKE 'a.b'",
            "NULL LIKE 'a'",
            "'a' LIKE NULL",
            "'' LIKE ''",
            "'' LIKE '%'",
            "'(x)' LIKE '(%)'",
            "'Hello' GLOB 'H*'",
            "'Hello' GLOB 'h*'",
            "'Hello' GLOB 'H?llo'",
            "'Hello' GLOB 'H[a-f]llo'",
            "'Hello' GLOB 'H[^a-f]llo'",
            "'H]llo' GLOB 'H[]]llo'",
            "'H-llo' GLOB 'H[-x]llo'",
            "'Hello' GLOB 'H[e'",
            "'Hello' GLOB 'H[z-a]llo'",
            "'a*b' GLOB 'a[*]b'",
            "'a.b' GLOB 'a.b'",
            "'2024-03-01' GLOB '2024-0[1-3]-*'",
            "like('h%', 'Hello')",
            "glob('H*', 'Hello')",
            "like('a%', 'ABC', '\\')",
        ];
        for case in cases {
            assert_eq!(eval(&ours, case).ok(), eval(&builtin, case).ok(), "{case}");
        }
    }

    #[test]
    fn quadratic_inputs_finish_quickly() {
        // At the limits generated queries run with: 1 MB values, 1,000-character patterns.
        let ours = Connection::open_in_memory().unwrap();
        install(&ours, 1_000_000, super::super::MAX_LIKE_PATTERN).unwrap();
        let mut slowest = (std::time::Duration::ZERO, "");
        for case in [
            "instr(printf('%.*c', 990000, 'a') || 'b', printf('%.*c', 500000, 'a') || 'b')",
            "length(replace(printf('%.*c', 990000, 'a'), printf('%.*c', 1000, 'a') || 'b', 'x'))",
            "length(trim(printf('%.*c', 990000, 'a'), printf('%.*c', 500000, 'b')))",
            "printf('%.*c', 990000, 'a') LIKE printf('%%%.*c', 990, 'a') || 'b'",
            "printf('%.*c', 990000, 'a') LIKE printf('%.*c', 495, '_') || printf('%.*c', 495, '%')  || 'b'",
            "printf('%.*c', 990000, 'a') LIKE replace(printf('%.*c', 495, 'x'), 'x', '%a') || 'b'",
            "printf('%.*c', 990000, 'a') GLOB replace(printf('%.*c', 495, 'x'), 'x', '*a') || 'b'",
            "printf('%.*c', 990000, 'a') GLOB printf('*%.*c', 990, 'a') || 'b'",
        ] {
            let started = std::time::Instant::now();
            eval(&ours, case).unwrap();
            slowest = slowest.max((started.elapsed(), case));
        }
        // Not a speed target: SQLite's built-ins take minutes on these; linear code takes well
        // under a second each, so half a minute means the quadratic code is back.
        assert!(
            slowest.0 < std::time::Duration::from_secs(30),
            "{slowest:?}"
        );
    }

    #[test]
    fn a_replacement_too_big_for_the_limit_is_refused_before_it_is_built() {
        let ours = Connection::open_in_memory().unwrap();
        install(&ours, 1_000_000, 1_000).unwrap();
        let err = eval(
            &ours,
            "replace(printf('%.*c', 900000, 'a'), 'a', printf('%.*c', 900000, 'b'))",
        )
        .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::TooBig),
            "{err:?}"
        );
        let err = eval(&ours, &format!("'a' LIKE '{}'", "%".repeat(2_000))).unwrap_err();
        assert!(err.to_string().contains("pattern too complex"), "{err}");
    }
}
