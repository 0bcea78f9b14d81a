//! The rulebook (`docs/rules.md`) is complete and cross-checked (issue 14): every rule ID used
//! in the code, the conformance cases and the documentation has an anchor there; every rule
//! there is used; each rule's case list links exactly the cases that name it; nothing links
//! outside the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const FAMILIES: &[&str] = &[
    "ORG", "ID", "ACC", "SES", "QR", "ATT", "DL", "EL", "SUB", "MLP", "ARC", "AUD",
];

/// Every rule ID in a text: a family, a dash, digits, not inside a longer word.
fn rule_ids(text: &str) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    for fam in FAMILIES {
        let pat = format!("{fam}-");
        let mut from = 0;
        while let Some(i) = text[from..].find(&pat) {
            let start = from + i;
            from = start + pat.len();
            if start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_') {
                continue;
            }
            let digits: String = text[from..].chars().take_while(char::is_ascii_digit).collect();
            let after = text[from + digits.len()..].chars().next();
            if !digits.is_empty() && !after.is_some_and(|c| c.is_ascii_alphanumeric()) {
                out.insert(format!("{fam}-{digits}"));
            }
        }
    }
    out
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).expect("folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            if !p.ends_with("target") && !p.ends_with("fuzz") {
                files(&p, ext, out);
            }
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The anchors of docs/rules.md and, per rule, the case files its "Cases:" line links.
fn rulebook() -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let text = fs::read_to_string(root().join("docs/rules.md")).expect("docs/rules.md");
    let mut anchors = BTreeSet::new();
    let mut links: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("<a id=\"") {
            let id = rest.split('"').next().unwrap_or_default().to_owned();
            assert!(anchors.insert(id.clone()), "anchor {id} twice");
            current = Some(id);
        }
        if let (Some(id), Some(list)) = (&current, line.strip_prefix("Cases: ")) {
            let set = links.entry(id.clone()).or_default();
            for part in list.split("](").skip(1) {
                let target = part.split(')').next().unwrap_or_default();
                if let Some(case) = target.strip_prefix("../tests/conformance/") {
                    set.insert(case.to_owned());
                }
                assert!(
                    root().join("docs").join(target).exists(),
                    "{id} links {target}, which does not exist"
                );
            }
        }
    }
    (anchors, links)
}

#[test]
fn aud_3_every_rule_id_in_code_cases_and_docs_is_in_the_rulebook_and_back() {
    let (anchors, links) = rulebook();
    assert!(anchors.len() >= 55, "{} rules", anchors.len());
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut sources = Vec::new();
    for (dir, ext) in [
        ("core/src", "rs"),
        ("ffi/src", "rs"),
        ("python/src", "rs"),
        ("python/pysrc", "py"),
        ("tests/conformance", "json"),
        ("docs", "md"),
        ("examples", "rs"),
    ] {
        files(&root().join(dir), ext, &mut sources);
    }
    sources.push(root().join("README.md"));
    for p in &sources {
        let text = fs::read_to_string(p).expect("source");
        for id in rule_ids(&text) {
            used.entry(id)
                .or_default()
                .insert(p.strip_prefix(root()).unwrap_or(p).display().to_string());
        }
    }
    let missing: Vec<_> = used.iter().filter(|(id, _)| !anchors.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "rule IDs without an anchor in docs/rules.md: {missing:?}"
    );
    let unused: Vec<_> = anchors
        .iter()
        .filter(|id| {
            !used
                .iter()
                .any(|(u, where_)| u == *id && where_.iter().any(|w| !w.starts_with("docs/rules.md")))
        })
        .collect();
    assert!(
        unused.is_empty(),
        "rules no code, case or other document uses: {unused:?}"
    );

    // Each rule's case list is exactly the cases that name it.
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut cases = Vec::new();
    files(&root().join("tests/conformance"), "json", &mut cases);
    for p in cases
        .iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "fixtures"))
    {
        let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(p).expect("case")).expect("json");
        for r in v["rules"].as_array().into_iter().flatten() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            named
                .entry(r.as_str().unwrap_or_default().to_owned())
                .or_default()
                .insert(name);
        }
    }
    for id in &anchors {
        let want = named.get(id).cloned().unwrap_or_default();
        let have = links.get(id).cloned().unwrap_or_default();
        assert_eq!(
            have, want,
            "docs/rules.md {id}: its Cases line must link exactly the cases naming it"
        );
    }
    let without: Vec<_> = anchors.iter().filter(|id| !named.contains_key(*id)).collect();
    assert!(without.is_empty(), "rules without a conformance case: {without:?}");
}

#[test]
fn the_docs_link_nothing_outside_the_repository() {
    let mut docs = Vec::new();
    files(&root().join("docs"), "md", &mut docs);
    docs.push(root().join("README.md"));
    for p in docs {
        let text = fs::read_to_string(&p).expect("doc");
        assert!(
            !text.contains("../shared"),
            "{} links outside the repository",
            p.display()
        );
    }
}

#[test]
fn the_rule_id_scanner_finds_ids_and_only_ids() {
    let ids = rule_ids("SUB-1, (ACC-6) and DL-2. Not XSUB-1, not SUB-1a, not ID-.");
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["ACC-6", "DL-2", "SUB-1"]);
}
