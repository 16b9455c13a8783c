//! `Secret`: an API key or password that never prints itself, and that [`crate::redact`] masks
//! wherever a provider or a server quotes it back.

use std::fmt;

/// A secret value. `Debug` and `Display` show `•••• 1234` (the last four characters, so a
/// person can tell keys apart), never the value; only [`Secret::expose`] gives it out, at the
/// one place it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`, and has [`crate::redact::redact`] mask it from now on in everything this
    /// process logs, stores or shows.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        crate::redact::remember(&value);
        Self(value)
    }

    /// The value itself: for the request header or connection that needs it, nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `•••• 1234`, or `••••` for short values.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 12 {
            "••••".to_string()
        } else {
            format!(
                "•••• {}",
                chars[chars.len() - 4..].iter().collect::<String>()
            )
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_prints_only_its_last_four_characters() {
        let key = Secret::new("pplx-0123456789abcdefWXYZ");
        assert_eq!(format!("{key}"), "•••• WXYZ");
        assert_eq!(format!("{key:?}"), "Secret(•••• WXYZ)");
        assert!(!format!("{key:?} {key}").contains("0123456789"));
        assert_eq!(
            Secret::new("short").masked(),
            "••••",
            "short values show nothing"
        );
        assert_eq!(key.expose(), "pplx-0123456789abcdefWXYZ");
    }
}
