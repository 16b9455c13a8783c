//! The shape of the code, checked: no file imports another that (directly or through others)
//! imports it back, in any crate of the workspace, and every file of `plainsight-core` sits in a
//! layer and imports only from its own layer or below (see ARCHITECTURE.md, "Layers").
//!
//! An import is any `crate::a::b` or `super::x` path in a file's non-test source (comments and
//! everything after the file's `#[cfg(test)]` are left out; test files are not modules of the
//! product). A child module may use its ancestors' items; a parent's `mod child;` is a
//! declaration, not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Core's layers, bottom first. A new file must be placed here (the test says so).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "vocabulary",
        &[
            "crate",
            "dialect",
            "money",
            "secret",
            "redact",
            "clock",
            "datadir",
            "schema",
            "chart",
            "sample",
            "worker",
            "llm",
            "llm::repair",
            "llm::repair::json",
            "llm::repair::markup",
            "llm::repair::prose",
            "llm::repair::text",
            "planner::words",
            "planner::lexicon",
            "executor::functions",
            "import::infer",
            "import::infer::date",
            "import::text",
        ],
    ),
    (
        "logic",
        &[
            "guard",
            "router",
            "planner",
            "planner::model",
            "planner::extremes",
            "planner::conditions",
            "planner::sql",
            "planner::slots",
            "planner::read",
            "planner::filters",
            "planner::dims",
            "planner::measures",
            "planner::examples",
            "settings::screen",
            "planner::time",
            "planner::thesaurus",
            "llm::privacy",
            "llm::prompt",
        ],
    ),
    (
        "adapters",
        &[
            "http",
            "executor",
            "executor::process",
            "source",
            "source::postgres",
            "source::postgres::tls",
            "source::mysql",
            "source::duckdb",
            "sources",
            "schema::cache",
            "import",
            "history",
            "breaker",
            "budget",
            "glossary",
            "cache",
            "cache::embed",
            "llm::prices",
            "llm::provider",
            "python",
            "python::daytona",
            "secrets",
            "trace",
            "trace::langfuse",
            "logs",
            "settings",
        ],
    ),
    (
        "pipeline",
        &[
            "pipeline",
            "pipeline::ai",
            "pipeline::feedback",
            "pipeline::store",
            "export",
        ],
    ),
    ("setup", &["setup"]),
];

/// A crate's source files as module paths (`crate`, `planner::model`) and their non-test text.
fn modules(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if path.is_dir() {
                if name != "tests" {
                    walk(&path, root, out);
                }
                continue;
            }
            if !name.ends_with(".rs") || name == "tests.rs" {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .expect("under the root")
                .with_extension("");
            let parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let mut module = parts.join("::");
            if let Some(parent) = module.strip_suffix("::mod") {
                module = parent.to_string();
            }
            if module == "lib" || module == "main" {
                module = "crate".into();
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: String = text
                .lines()
                .map(|l| l.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(module, code);
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

/// Each module's imports of the crate's other modules.
fn imports(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in mods {
        let to = edges.entry(module.clone()).or_default();
        let parent = module
            .rsplit_once("::")
            .map_or("crate", |(p, _)| p)
            .to_string();
        for (prefix, base) in [
            ("crate::", String::new()),
            (
                "super::",
                if parent == "crate" {
                    String::new()
                } else {
                    format!("{parent}::")
                },
            ),
        ] {
            for (at, _) in code.match_indices(prefix) {
                // Not the tail of a longer path (`plainsight_core::crate::` cannot occur; `x::super::` can).
                if code[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                {
                    continue;
                }
                let path: String = code[at + prefix.len()..]
                    .chars()
                    .take_while(|&c| ident(c))
                    .collect();
                let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
                // The longest prefix of the path that is a module.
                let target = (1..=segments.len())
                    .rev()
                    .map(|k| format!("{base}{}", segments[..k].join("::")))
                    .find(|m| mods.contains_key(m))
                    .or_else(|| (prefix == "super::" && parent != "crate").then(|| parent.clone()));
                if let Some(target) = target {
                    // A child may use its ancestors; that is not an import cycle.
                    if &target != module && !module.starts_with(&format!("{target}::")) {
                        to.insert(target);
                    }
                }
            }
        }
    }
    edges
}

/// Groups of modules that import each other (Tarjan's strongly connected components, size > 1).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    group.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn no_crate_has_an_import_cycle() {
    let crates = [
        "crates/core/src",
        "crates/cli/src",
        "crates/ipc/src",
        "crates/pyworker/src",
        "crates/queryworker/src",
        "src-tauri/src",
        "ui/src",
    ];
    let mut found = Vec::new();
    for dir in crates {
        let mods = modules(&workspace().join(dir));
        assert!(!mods.is_empty(), "{dir} has source files");
        for group in cycles(&imports(&mods)) {
            found.push(format!("{dir}: {}", group.join(" ↔ ")));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn core_imports_only_from_its_own_layer_or_below() {
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, (_, ms))| ms.iter().map(move |m| (*m, i)))
        .collect();
    let mods = modules(&workspace().join("crates/core/src"));
    let unplaced: Vec<&String> = mods
        .keys()
        .filter(|m| !layer_of.contains_key(m.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "place these modules in a layer in tests/layers.rs (and ARCHITECTURE.md): {unplaced:?}"
    );
    let gone: Vec<&&str> = layer_of
        .keys()
        .filter(|m| !mods.contains_key(**m))
        .collect();
    assert!(gone.is_empty(), "these modules no longer exist: {gone:?}");
    let mut upward = Vec::new();
    for (module, targets) in imports(&mods) {
        for target in targets {
            let (from, to) = (layer_of[module.as_str()], layer_of[target.as_str()]);
            if to > from {
                upward.push(format!(
                    "{module} ({}) imports {target} ({})",
                    LAYERS[from].0, LAYERS[to].0
                ));
            }
        }
    }
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

/// The checker itself: a cycle and an upward import in made-up modules are found.
#[test]
fn the_checker_finds_a_cycle_and_ignores_comments_tests_and_ancestors() {
    let mods: BTreeMap<String, String> = [
        ("a", "use crate::b::Thing;"),
        ("b", "fn f() { crate::a::g() }"),
        ("c", "// crate::a is only mentioned\nuse crate::d;"),
        ("d", "use super::c::X; "),
        ("e", ""),
        ("e::f", "use super::Y; use crate::e::Z;"),
    ]
    .into_iter()
    .map(|(m, c)| {
        (
            m.to_string(),
            c.split("//").next().unwrap_or_default().to_string()
                + c.split_once('\n').map_or("", |(_, r)| r),
        )
    })
    .collect();
    let edges = imports(&mods);
    assert_eq!(
        cycles(&edges),
        [
            vec!["a".to_string(), "b".to_string()],
            vec!["c".to_string(), "d".to_string()]
        ]
    );
    assert!(
        edges["e::f"].is_empty(),
        "a child using its parent is not an import cycle"
    );
}
