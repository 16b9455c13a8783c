use super::embed::{Embedder, LocalEmbedder};
use super::*;
use crate::planner::Planner;

fn today() -> chrono::NaiveDate {
    "2026-11-26".parse().unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    planner: Planner,
    fingerprint: String,
    db: AppDb,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    crate::sample::write_sample_db(&path, today(), 500).unwrap();
    let source = crate::source::SqliteSource::new(&path);
    let schema = crate::source::DataSource::schema(&source).unwrap();
    Fixture {
        planner: Planner::new(&schema, crate::source::Dialect::Sqlite),
        fingerprint: crate::source::schema_fingerprint(&schema),
        db: AppDb::open_in_memory().unwrap(),
        _dir: dir,
    }
}

impl Fixture {
    fn key(&self, q: &str, day: chrono::NaiveDate) -> CacheKey {
        CacheKey::new(q, self.planner.slots(q, day), &self.fingerprint, "perplexity/sonar", "v1", "shop.sqlite")
    }

    fn store(&self, q: &str, now: i64) {
        let e = LocalEmbedder.embed(q).unwrap();
        let config = CacheConfig::default();
        let key = self.key(q, today());
        let reply = format!("reply for {q}");
        let entry = Entry { key: &key, embedding: &e, embedder: &LocalEmbedder.id(), reply: &reply, cost_usd: 0.006 };
        self.db.cache_store(&entry, &config, now).unwrap();
    }

    /// `exact`, `semantic` or `miss` for `q` asked on `day` at `now`.
    fn lookup_on(&self, q: &str, day: chrono::NaiveDate, now: i64) -> (&'static str, Option<String>) {
        let key = self.key(q, day);
        if let Some(h) = self.db.cache_exact(&key, now).unwrap() {
            return ("exact", Some(h.reply));
        }
        let e = LocalEmbedder.embed(q).unwrap();
        match self.db.cache_semantic(&key, &e, &LocalEmbedder.id(), 0.8, now).unwrap() {
            Some(h) => ("semantic", Some(h.reply)),
            None => ("miss", None),
        }
    }

    fn lookup(&self, q: &str) -> &'static str {
        self.lookup_on(q, today(), NOW).0
    }
}

const NOW: i64 = 1_795_000_000;

#[test]
fn paraphrases_hit_and_near_misses_never_do() {
    let f = fixture();
    let cached = [
        "show me last month's sales by region",
        "sales in the West last month",
        "top 5 products by revenue",
        "which products were bought together most often?",
        "revenue from online orders",
        "sales by region in March 2026",
    ];
    for q in cached {
        f.store(q, NOW);
    }
    let cases: &[(&str, &str)] = &[
        // Paraphrases: same question, other words.
        ("show me last month's sales by region", "exact"),
        ("Show me last month's sales by region!", "exact"),
        ("last month's revenue per region", "exact"),
        ("revenue by region last month", "semantic"),
        ("how much revenue did each region make last month", "semantic"),
        ("top 5 products by sales", "exact"),
        ("the 5 top products by turnover", "semantic"),
        ("which products are most often bought together", "semantic"),
        ("what were the sales by region in march 2026", "exact"),
        ("sales per region, March 2026", "exact"),
        // Near-misses: something that changes the answer differs.
        ("sales in the East last month", "miss"),
        ("sales by region this month", "miss"),
        ("sales by region in April 2026", "miss"),
        ("profit by region last month", "miss"),
        ("top 10 products by revenue", "miss"),
        ("revenue from orders that were not online", "miss"),
        ("sales by category last month", "miss"),
        ("which products were bought together least often?", "miss"),
        ("number of customers by signup month", "miss"),
    ];
    let mut wrong = Vec::new();
    for (q, expected) in cases {
        let got = f.lookup(q);
        if got != *expected {
            wrong.push(format!("{q:?}: expected {expected}, got {got} (slots {:?})", f.planner.slots(q, today())));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn last_month_asked_in_another_month_is_another_question() {
    let f = fixture();
    f.store("sales by region last month", NOW);
    let december: chrono::NaiveDate = "2026-12-03".parse().unwrap();
    assert_eq!(f.lookup_on("sales by region last month", december, NOW).0, "miss", "November's code hard-coded October");
    assert_eq!(f.lookup_on("sales by region last month", today(), NOW).0, "exact");
}

#[test]
fn entries_expire_are_invalidated_and_a_changed_schema_misses() {
    let f = fixture();
    f.store("top 5 products by revenue", NOW);
    assert_eq!(f.lookup_on("top 5 products by revenue", today(), NOW + 3599).0, "exact");
    assert_eq!(f.lookup_on("top 5 products by revenue", today(), NOW + 3600).0, "miss", "the TTL is one hour");
    assert_eq!(f.lookup_on("top 5 products by sales", today(), NOW + 3600).0, "miss");
    // Another schema (a column added) never reuses code written for the old one.
    let other = CacheKey { fingerprint: "another-schema".into(), ..f.key("top 5 products by revenue", today()) };
    assert!(f.db.cache_exact(&other, NOW).unwrap().is_none());
    assert!(f
        .db
        .cache_semantic(&other, &LocalEmbedder.embed("top 5 products by revenue").unwrap(), &LocalEmbedder.id(), 0.8, NOW)
        .unwrap()
        .is_none());
    // Invalidation by model, source, age and all.
    f.store("revenue by region", NOW);
    assert_eq!(f.db.cache_invalidate(&Invalidate::Model("openai/gpt-4o-mini".into()), NOW).unwrap(), 0);
    assert_eq!(f.db.cache_invalidate(&Invalidate::Model("perplexity/".into()), NOW).unwrap(), 2);
    f.store("revenue by region", NOW);
    assert_eq!(f.db.cache_invalidate(&Invalidate::Source("other.sqlite".into()), NOW).unwrap(), 0);
    assert_eq!(f.db.cache_invalidate(&Invalidate::OlderThan(Duration::from_secs(60)), NOW + 30).unwrap(), 0);
    assert_eq!(f.db.cache_invalidate(&Invalidate::OlderThan(Duration::from_secs(60)), NOW + 61).unwrap(), 1);
    f.store("revenue by region", NOW);
    assert_eq!(f.db.cache_invalidate(&Invalidate::All, NOW).unwrap(), 1);
    assert_eq!(f.lookup("revenue by region"), "miss");
}

#[test]
fn the_least_recently_used_entries_go_first_and_stats_add_up() {
    let f = fixture();
    let config = CacheConfig { max_entries: 2, ..CacheConfig::default() };
    let e = LocalEmbedder.embed("x").unwrap();
    for (i, q) in ["revenue by region", "profit by region", "units by category"].iter().enumerate() {
        let now = NOW + 10 * i as i64;
        if i == 2 {
            // The first is used again before the third arrives, so the second is the oldest.
            let hit = f.db.cache_exact(&f.key("revenue by region", today()), now).unwrap().unwrap();
            f.db.cache_count(Some(&hit), 40, now).unwrap();
        }
        let key = f.key(q, today());
        let entry = Entry { key: &key, embedding: &e, embedder: &LocalEmbedder.id(), reply: "r", cost_usd: 0.01 };
        f.db.cache_store(&entry, &config, now).unwrap();
    }
    assert!(f.db.cache_exact(&f.key("revenue by region", today()), NOW).unwrap().is_some());
    assert!(f.db.cache_exact(&f.key("profit by region", today()), NOW).unwrap().is_none(), "evicted");
    f.db.cache_count(None, 60, NOW).unwrap();
    let s = f.db.cache_stats(NOW).unwrap();
    assert_eq!((s.entries, s.lookups, s.exact_hits, s.semantic_hits), (2, 2, 1, 0));
    assert!((s.saved_usd - 0.01).abs() < 1e-12 && (s.avg_lookup_micros - 50.0).abs() < 1e-9, "{s:?}");
}
