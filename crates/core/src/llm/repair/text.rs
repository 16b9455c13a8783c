//! Text helpers shared by the other parts of repair: collapsing whitespace and shortening.

/// Whitespace runs collapsed to single spaces, trimmed.
pub(super) fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` cut to at most `max` characters, at a word boundary when one is near, with `…` appended.
pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(p) if p >= cut.len() / 2 => &cut[..p],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end().trim_end_matches([',', ';', ':']))
}

/// Model output quoted in an error message: whitespace collapsed, at most `max` characters.
pub(super) fn excerpt(s: &str, max: usize) -> String {
    shorten(&collapse_ws(s), max)
}
