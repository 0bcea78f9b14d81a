//! Writes the seed corpora of the fuzz targets from the conformance cases (`make fuzz-seed`):
//! their commands, the records, snapshots and event logs of the ledgers they build, national
//! numbers and QR tokens.

#[path = "common.rs"]
#[allow(dead_code)]
mod common;

use serde_json::{Value, json};
use std::fs;
use std::path::Path;
use tijdreg::ledger::{Actor, Envelope, Ledger};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("tests/fuzz/corpus").join(target);
    fs::create_dir_all(&dir).expect("corpus folder");
    fs::write(dir.join(name), bytes).expect("seed");
}

fn main() {
    let mut cases: Vec<_> = fs::read_dir("tests/conformance")
        .expect("run from the repository root")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    cases.sort();
    for (n, path) in cases.iter().enumerate() {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("case").to_owned();
        let case: Value = serde_json::from_str(&fs::read_to_string(path).expect("case")).expect("json");
        let mut l = common::base();
        let mut lines = String::new();
        for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
            let Some(command) = step.get("command") else { continue };
            let env = json!({"command_id": format!("{name}-{i}"), "actor": step["actor"], "at": step["at"], "command": command});
            let text = env.to_string();
            if text.contains("$token") || text.contains('{') && text.contains("\"$") {
                continue;
            }
            lines.push_str(&text);
            lines.push('\n');
            if let Ok(e) = Envelope::from_json(&text) {
                let _ = l.apply(&e);
            }
            if i == 0 {
                let mut c = vec![0u8];
                c.extend_from_slice(text.as_bytes());
                write("c_api", &format!("{name}-apply"), &c);
            }
        }
        write("commands", &name, lines.as_bytes());
        if n % 4 == 0 {
            write("snapshot", &name, l.snapshot_json().as_bytes());
            write("replay", &name, l.events_jsonl().as_bytes());
            // The C API's replay (its call 8), from the same log.
            let mut c = vec![8u8];
            c.extend_from_slice(l.events_jsonl().as_bytes());
            write("c_api", &format!("{name}-replay"), &c);
        }
        let at = "2026-06-30T12:00:00Z".parse().expect("instant");
        for project in l.state().projects.keys() {
            if let Ok(r) = tijdreg::ledger::report::records(l.state(), &Actor::System, at, project) {
                let text = serde_json::to_string(&r).expect("records");
                write("records", &format!("{name}-{project}"), text.as_bytes());
                if n % 8 == 0 {
                    let mut c = vec![4u8];
                    c.extend_from_slice(text.as_bytes());
                    write("c_api", &format!("{name}-records"), &c);
                }
            }
        }
        for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
            if let Some(q) = step.get("query") {
                let text = json!({"actor": step["actor"], "at": step["at"], "query": q}).to_string();
                let mut c = vec![2u8];
                c.extend_from_slice(text.as_bytes());
                write("c_api", &format!("{name}-query-{i}"), &c);
            }
        }
    }
    for (i, n) in ["85073003328", "17073003384", "00012556777", "98472899765", "00200100112", "12345678901", "85133000105", "85.07.30-033.28", "85-07-30-033-28", "17.07.30-033.84"].iter().enumerate() {
        write("insz", &format!("vector-{i}"), n.as_bytes());
    }
    let mut keys = tijdreg::qr::Keyring::default();
    keys.add("k1", b"fuzz secret one, thirty-two bytes".to_vec()).expect("key");
    for (i, (p, who)) in [("P-1", "p-ann"), ("P-2", "p-bart"), ("project", "person")].iter().enumerate() {
        let t = keys.issue("k1", &(*p).into(), &(*who).into()).expect("token");
        write("qr", &format!("token-{i}"), t.as_bytes());
        write("qr", &format!("ids-{i}"), format!("{p}{who}").as_bytes());
    }
    let _ = Ledger::new();
}
