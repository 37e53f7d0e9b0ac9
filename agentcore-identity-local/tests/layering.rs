//! Imports run one way: inside this crate no two source files import each other, directly or
//! round a circle (`crate::` and `super::` paths, and a `mod.rs`'s paths into its children).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/` (except `main.rs`, a crate of its own), by module path.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                walk(&p, &format!("{prefix}{name}::"), out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let module = match name.as_str() {
                    "lib" => "crate".to_string(),
                    "main" if prefix.is_empty() => continue,
                    "mod" => prefix.trim_end_matches("::").to_string(),
                    _ => format!("{prefix}{name}"),
                };
                let module = if module == "crate" {
                    module
                } else {
                    format!("crate::{module}")
                };
                out.insert(module, p);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, "", &mut out);
    out
}

/// The longest known module that `path` (`crate::a::b::Item`) lies in.
fn owner(path: &str, known: &BTreeMap<String, PathBuf>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| m != "crate" && known.contains_key(m))
}

/// The modules each file's code refers to (without comments).
fn edges(known: &BTreeMap<String, PathBuf>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (module, file) in known {
        let full = std::fs::read_to_string(file).unwrap();
        // Inline test modules (at the end of a file, by convention) import their own file.
        let code = full.split("#[cfg(test)]\nmod ").next().unwrap_or("");
        let text: String = code
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let is_mod_rs = file.ends_with("mod.rs") || file.ends_with("lib.rs");
        let parent = module.rsplit_once("::").map(|(p, _)| p.to_string());
        let mut deps = BTreeSet::new();
        // A path ends at the first character that cannot continue it; `{a, b}` groups are
        // expanded one level, which is all this crate uses.
        let tokens: Vec<String> = {
            let mut v = Vec::new();
            let bytes: Vec<char> = text.chars().collect();
            let mut i = 0;
            while i < bytes.len() {
                let c = bytes[i];
                if c.is_alphanumeric() || c == '_' || c == ':' {
                    let start = i;
                    while i < bytes.len()
                        && (bytes[i].is_alphanumeric() || bytes[i] == '_' || bytes[i] == ':')
                    {
                        i += 1;
                    }
                    let path: String = bytes[start..i].iter().collect();
                    if path.ends_with("::") && i < bytes.len() && bytes[i] == '{' {
                        let close = (i..bytes.len()).find(|&j| bytes[j] == '}').unwrap_or(i);
                        let inner: String = bytes[i + 1..close].iter().collect();
                        for item in inner.split(',') {
                            let item = item.trim().split(" as ").next().unwrap_or("").trim();
                            if !item.is_empty() && !item.contains('{') {
                                v.push(format!("{path}{item}"));
                            }
                        }
                        v.push(path.trim_end_matches("::").to_string());
                    } else {
                        v.push(path);
                    }
                } else {
                    i += 1;
                }
            }
            v
        };
        for t in tokens {
            let resolved = if let Some(rest) = t.strip_prefix("crate::") {
                format!("crate::{rest}")
            } else if let Some(rest) = t.strip_prefix("super::") {
                match &parent {
                    Some(p) if p != "crate" => format!("{p}::{rest}"),
                    _ => format!("crate::{rest}"),
                }
            } else if is_mod_rs && t.contains("::") {
                // a mod.rs (or lib.rs) reaches its children by their bare names
                let base = if module == "crate" {
                    "crate".to_string()
                } else {
                    module.clone()
                };
                format!("{base}::{t}")
            } else {
                continue;
            };
            let resolved = resolved.replace("::self", "");
            if let Some(m) = owner(&resolved, known)
                && &m != module
            {
                deps.insert(m);
            }
        }
        out.insert(module.clone(), deps);
    }
    out
}

#[test]
fn no_two_source_files_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known = modules(&src);
    assert!(known.contains_key("crate::http") && known.contains_key("crate::vault"));
    let graph = edges(&known);
    // Depth-first search for a cycle.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}\n{graph:#?}", cycle.join(" -> "));
        }
    }
    // The domain never reaches the HTTP layer.
    for domain in [
        "crate::vault",
        "crate::wat",
        "crate::idp",
        "crate::validate",
        "crate::store",
        "crate::state",
        "crate::error",
    ] {
        let deps = &graph[domain];
        assert!(
            !deps.iter().any(|d| d.starts_with("crate::http")),
            "{domain} imports the HTTP layer: {deps:?}"
        );
    }
}
