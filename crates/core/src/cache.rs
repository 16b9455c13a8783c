//! The answer cache: the AI's *generation* (its reply: code, explanation, chart hint) and what it
//! cost, never result rows. A hit's code is validated and run again on today's data, so a cached
//! answer is never stale. Kept in the app database so it survives restarts.
//!
//! A key is the normalised question, its **slots** (what makes two wordings ask different things:
//! measure, groupings, filter values, the resolved time window, numbers, negations, names — see
//! [`crate::planner::Planner::slots`]), the data source's schema fingerprint, the provider/model
//! and the prompt template's version. Two layers:
//! - **exact**: SHA-256 of the whole key, one indexed row;
//! - **semantic**: the question's embedding compared (cosine) with the entries of its **bucket** —
//!   the same slots, fingerprint, model, prompt version and embedder, found through an index —
//!   so a hit never crosses a region, month, number, measure or schema, and the scan covers only
//!   questions that could be hits at all.
//!
//! Entries expire after their TTL, are evicted least-recently-used beyond a size bound (and beyond
//! [`BUCKET_LIMIT`] wordings of one request), and can be invalidated by model, source, age or all
//! at once.

pub mod embed;

use std::time::Duration;

use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::history::{AppDb, HistoryError};

/// Wordings kept per bucket (one request with equal slots): bounds every semantic lookup.
pub const BUCKET_LIMIT: i64 = 256;

/// Environment defaults (see `.env.example`).
pub const TTL_ENV: &str = "CACHE_DEFAULT_TTL";
pub const THRESHOLD_ENV: &str = "SEMANTIC_CACHE_THRESHOLD";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CacheConfig {
    /// How long a new entry lives.
    pub ttl: Duration,
    /// Least cosine similarity for a semantic hit.
    pub threshold: f32,
    /// Entries kept; the least recently used go first.
    pub max_entries: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            threshold: 0.8,
            max_entries: 10_000,
        }
    }
}

/// Everything a cached generation depends on.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheKey {
    /// The question's normalised words, space-separated (what the local embedder reads).
    pub question: String,
    /// The question as typed: lowercase, single spaces, no end punctuation.
    pub asked: String,
    pub slots: Vec<String>,
    pub fingerprint: String,
    /// `provider/model`.
    pub model: String,
    pub prompt_version: String,
    /// The data source (its path or address), for invalidation by source.
    pub source: String,
}

fn sha(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl CacheKey {
    pub fn new(
        question: &str,
        slots: Vec<String>,
        fingerprint: &str,
        model: &str,
        prompt_version: &str,
        source: &str,
    ) -> Self {
        let asked = question
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            question: embed::normalised_words(question).join(" "),
            asked: asked.trim_end_matches(['?', '!', '.', ' ']).to_string(),
            slots,
            fingerprint: fingerprint.into(),
            model: model.into(),
            prompt_version: prompt_version.into(),
            source: source.into(),
        }
    }

    /// Everything but the wording: entries of one bucket differ only in how they were asked.
    fn bucket(&self, embedder: &str) -> String {
        sha(&[
            &self.slots.join("\u{1}"),
            &self.fingerprint,
            &self.model,
            &self.prompt_version,
            embedder,
        ])
    }

    /// The exact layer keys on the question as typed (lowercase, spacing and end punctuation
    /// ignored): dropping words is the semantic layer's business, bounded by the slots.
    fn exact(&self) -> String {
        sha(&[
            &self.asked,
            &self.slots.join("\u{1}"),
            &self.fingerprint,
            &self.model,
            &self.prompt_version,
        ])
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HitKind {
    Exact,
    Semantic { similarity: f32 },
}

impl HitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Semantic { .. } => "semantic",
        }
    }
}

/// A cached generation found for a question.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub kind: HitKind,
    /// The AI's reply as it was received.
    pub reply: String,
    /// What the AI cost when this was generated, in nano-dollars: what this hit saves.
    pub cost_nanos: i64,
    /// The wording it was first asked in.
    pub question: String,
}

/// A generation to keep.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub key: &'a CacheKey,
    pub embedding: &'a [f32],
    /// [`embed::Embedder::id`] of the embedder that made `embedding`.
    pub embedder: &'a str,
    /// The AI's reply as it was received.
    pub reply: &'a str,
    /// What the question cost the first time, in nano-dollars.
    pub cost_nanos: i64,
}

/// What is in the cache and how well it works.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CacheStats {
    pub entries: i64,
    pub lookups: i64,
    pub exact_hits: i64,
    pub semantic_hits: i64,
    /// What the hits saved, in nano-dollars.
    pub saved_nanos: i64,
    pub avg_lookup_micros: f64,
}

impl CacheStats {
    /// What the hits saved, in dollars, for display.
    pub fn saved_usd(&self) -> f64 {
        crate::money::dollars(self.saved_nanos)
    }
}

/// What to forget.
#[derive(Debug, Clone, PartialEq)]
pub enum Invalidate {
    All,
    /// Generations of one `provider/model` (or of every model of a provider, given `provider/`).
    Model(String),
    /// Generations for one data source.
    Source(String),
    /// Entries created more than this long ago.
    OlderThan(Duration),
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl AppDb {
    /// The exact entry for `key`, if one is alive at `now` (unix seconds).
    pub fn cache_exact(&self, key: &CacheKey, now: i64) -> Result<Option<Hit>, HistoryError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, reply, cost_nanos, question FROM llm_cache WHERE exact = ?1 AND expires_at > ?2",
                params![key.exact(), now],
                |r| Ok(Hit { id: r.get(0)?, kind: HitKind::Exact, reply: r.get(1)?, cost_nanos: r.get(2)?, question: r.get(3)? }),
            )
            .optional()?)
    }

    /// The most similar live entry of `key`'s bucket at or above `threshold`.
    pub fn cache_semantic(
        &self,
        key: &CacheKey,
        embedding: &[f32],
        embedder: &str,
        threshold: f32,
        now: i64,
    ) -> Result<Option<Hit>, HistoryError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id, embedding, reply, cost_nanos, question FROM llm_cache WHERE bucket = ?1 AND expires_at > ?2")?;
        let mut rows = stmt.query(params![key.bucket(embedder), now])?;
        let mut best: Option<Hit> = None;
        while let Some(r) = rows.next()? {
            let similarity = embed::cosine(embedding, &from_blob(&r.get::<_, Vec<u8>>(1)?));
            let better = best.as_ref().is_none_or(
                |b| matches!(b.kind, HitKind::Semantic { similarity: s } if similarity > s),
            );
            if similarity >= threshold && better {
                best = Some(Hit {
                    id: r.get(0)?,
                    kind: HitKind::Semantic { similarity },
                    reply: r.get(2)?,
                    cost_nanos: r.get(3)?,
                    question: r.get(4)?,
                });
            }
        }
        Ok(best)
    }

    /// Keeps a generation; replaces an entry with the same exact key; evicts the least recently
    /// used beyond `config.max_entries`.
    pub fn cache_store(
        &self,
        entry: &Entry<'_>,
        config: &CacheConfig,
        now: i64,
    ) -> Result<(), HistoryError> {
        let Entry {
            key,
            embedding,
            embedder,
            reply,
            cost_nanos,
        } = *entry;
        // A reply may quote a key back: what is kept has passed the redaction wall.
        let reply = crate::redact::redact(reply);
        self.conn().execute(
            "INSERT INTO llm_cache(exact, bucket, question, slots, source, model, embedder, embedding, reply, cost_nanos, created_at, expires_at, last_used_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11)
             ON CONFLICT(exact) DO UPDATE SET bucket = excluded.bucket, source = excluded.source, embedding = excluded.embedding, embedder = excluded.embedder,
               reply = excluded.reply, cost_nanos = excluded.cost_nanos, created_at = excluded.created_at,
               expires_at = excluded.expires_at, last_used_at = excluded.last_used_at",
            params![
                key.exact(),
                key.bucket(embedder),
                crate::redact::redact(&key.question),
                key.slots.join(" "),
                key.source,
                key.model,
                embedder,
                to_blob(embedding),
                reply,
                cost_nanos,
                now,
                now.saturating_add(secs(config.ttl)),
            ],
        )?;
        // One request keeps at most BUCKET_LIMIT wordings (the least recently used go), so a
        // semantic lookup compares at most that many vectors however large the cache grows.
        self.conn().execute(
            "DELETE FROM llm_cache WHERE id IN
               (SELECT id FROM llm_cache WHERE bucket = ?1 ORDER BY last_used_at DESC, id DESC LIMIT -1 OFFSET ?2)",
            params![key.bucket(embedder), BUCKET_LIMIT],
        )?;
        // The count is kept by triggers, so a store under the bound costs no scan.
        let max = i64::try_from(config.max_entries).unwrap_or(i64::MAX);
        let stored: i64 =
            self.conn()
                .query_row("SELECT stored FROM cache_stats WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
        if stored > max {
            self.conn().execute(
                "DELETE FROM llm_cache WHERE id IN (SELECT id FROM llm_cache ORDER BY last_used_at, id LIMIT ?1)",
                [stored - max],
            )?;
        }
        Ok(())
    }

    /// Counts a lookup: a hit (and what it saved) or a miss, and how long it took.
    pub fn cache_count(
        &self,
        hit: Option<&Hit>,
        micros: u64,
        now: i64,
    ) -> Result<(), HistoryError> {
        let (exact, semantic, saved) = match hit.map(|h| (h.kind, h.cost_nanos)) {
            Some((HitKind::Exact, nanos)) => (1, 0, nanos),
            Some((HitKind::Semantic { .. }, nanos)) => (0, 1, nanos),
            None => (0, 0, 0),
        };
        self.conn().execute(
            "UPDATE cache_stats SET lookups = lookups + 1, exact_hits = exact_hits + ?1, semantic_hits = semantic_hits + ?2,
               saved_nanos = saved_nanos + ?3, lookup_micros = lookup_micros + ?4 WHERE id = 1",
            params![exact, semantic, saved, i64::try_from(micros).unwrap_or(i64::MAX)],
        )?;
        if let Some(h) = hit {
            self.conn().execute(
                "UPDATE llm_cache SET last_used_at = ?2, hits = hits + 1 WHERE id = ?1",
                params![h.id, now],
            )?;
        }
        Ok(())
    }

    /// Forgets one entry (its code no longer runs on this data).
    pub fn cache_forget(&self, id: i64) -> Result<(), HistoryError> {
        self.conn()
            .execute("DELETE FROM llm_cache WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Forgets entries; returns how many.
    pub fn cache_invalidate(&self, what: &Invalidate, now: i64) -> Result<usize, HistoryError> {
        let n = match what {
            Invalidate::All => self.conn().execute("DELETE FROM llm_cache", [])?,
            Invalidate::Model(m) if m.ends_with('/') => self.conn().execute(
                "DELETE FROM llm_cache WHERE substr(model, 1, length(?1)) = ?1",
                [m],
            )?,
            Invalidate::Model(m) => self
                .conn()
                .execute("DELETE FROM llm_cache WHERE model = ?1", [m])?,
            Invalidate::Source(s) => self
                .conn()
                .execute("DELETE FROM llm_cache WHERE source = ?1", [s])?,
            Invalidate::OlderThan(age) => self.conn().execute(
                "DELETE FROM llm_cache WHERE created_at < ?1",
                [now.saturating_sub(secs(*age))],
            )?,
        };
        Ok(n)
    }

    pub fn cache_stats(&self, now: i64) -> Result<CacheStats, HistoryError> {
        let entries: i64 = self.conn().query_row(
            "SELECT count(*) FROM llm_cache WHERE expires_at > ?1",
            [now],
            |r| r.get(0),
        )?;
        let mut s = self.conn().query_row(
            "SELECT lookups, exact_hits, semantic_hits, saved_nanos, lookup_micros FROM cache_stats WHERE id = 1",
            [],
            |r| {
                let lookups: i64 = r.get(0)?;
                let micros: i64 = r.get(4)?;
                Ok(CacheStats {
                    entries: 0,
                    lookups,
                    exact_hits: r.get(1)?,
                    semantic_hits: r.get(2)?,
                    saved_nanos: r.get(3)?,
                    avg_lookup_micros: if lookups > 0 { micros as f64 / lookups as f64 } else { 0.0 },
                })
            },
        )?;
        s.entries = entries;
        Ok(s)
    }
}

#[cfg(test)]
mod tests;
