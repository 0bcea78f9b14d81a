//! The conformance runner: runs the JSON case files of `tests/conformance/` (format in
//! `docs/conformance.md`) against the engine. Used by the `tijdreg-conformance` binary and by
//! `cargo test`; the bindings have runners of their own over the same files.

pub mod oracle;
pub mod synth;

use serde_json::Value;
use std::path::{Path, PathBuf};
use tijdreg::ledger::query;
use tijdreg::ledger::{Envelope, Ledger};
use tijdreg::qr::Keyring;

/// The outcome of one case file.
#[derive(Debug)]
pub struct CaseResult {
    /// File name.
    pub file: String,
    /// The case's name.
    pub name: String,
    /// What went wrong (empty when it passed).
    pub failures: Vec<String>,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The one line the runners print per case.
    pub fn line(&self) -> String {
        if self.passed() {
            format!("ok   {} — {}", self.file, self.name)
        } else {
            format!("FAIL {} — {}: {}", self.file, self.name, self.failures.join(" | "))
        }
    }
}

/// Whether `actual` holds everything `expected` states: objects by subset (an expected `null`
/// also matches a missing key), arrays by length and position, numbers and numeric strings by
/// decimal value, instants by the moment they denote.
pub fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        // An expected null also matches a missing key (optional fields are left out).
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| match a.get(k) {
            Some(av) => matches(v, av),
            None => v.is_null(),
        }),
        (Value::Array(e), Value::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches(x, y)),
        (Value::String(_) | Value::Number(_), Value::String(_) | Value::Number(_)) => {
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let (x, y) = (text(expected), text(actual));
            x == y
                || matches!((x.parse::<rust_decimal::Decimal>(), y.parse::<rust_decimal::Decimal>()), (Ok(a), Ok(b)) if a == b)
                || matches!((x.parse::<chrono::DateTime<chrono::Utc>>(), y.parse::<chrono::DateTime<chrono::Utc>>()), (Ok(a), Ok(b)) if a == b)
        }
        _ => expected == actual,
    }
}

/// Replaces `$qr:KEY:PROJECT:PERSON` (and `$qr-altered:…`, `$qr-truncated:…`) strings by
/// tokens issued with the case's keys.
pub fn expand_tokens(v: &mut Value, keys: &Keyring) -> Result<(), String> {
    match v {
        Value::String(s) if s.starts_with("$qr") => {
            let (kind, rest) = s.split_once(':').ok_or("bad $qr template")?;
            let parts: Vec<&str> = rest.splitn(3, ':').collect();
            let [key, project, person] = parts[..] else {
                return Err(format!("bad $qr template {s}"));
            };
            let t = keys
                .issue(
                    key,
                    &tijdreg::ids::ProjectId::new(project),
                    &tijdreg::ids::PersonId::new(person),
                )
                .map_err(|e| e.to_string())?;
            *s = match kind {
                "$qr" => t,
                "$qr-truncated" => t[..t.len() - 5].to_owned(),
                "$qr-altered" => {
                    // Change one character in the middle of the signature.
                    let mut b = t.into_bytes();
                    let i = b.len() - 10;
                    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
                    String::from_utf8(b).map_err(|e| e.to_string())?
                }
                other => return Err(format!("unknown template {other}")),
            };
            Ok(())
        }
        Value::Array(a) => a.iter_mut().try_for_each(|x| expand_tokens(x, keys)),
        Value::Object(o) => o.values_mut().try_for_each(|x| expand_tokens(x, keys)),
        _ => Ok(()),
    }
}

fn error_json(e: &tijdreg::Error) -> Value {
    serde_json::json!({"code": e.code(), "rule": e.rule(), "message": e.message_nl(), "message_en": e.message_en()})
}

fn check_rejection(expect: &Value, e: &tijdreg::Error) -> Option<String> {
    let actual = error_json(e);
    let mut want = expect.clone();
    let contains = want.as_object_mut().and_then(|o| o.remove("message_contains"));
    if !matches(&want, &actual) {
        return Some(format!("expected rejection {want}, got {actual}"));
    }
    if let Some(Value::String(c)) = contains
        && !e.message_en().contains(&c)
        && !e.message_nl().contains(&c)
    {
        return Some(format!("message {:?} does not contain {c:?}", e.message_en()));
    }
    None
}

/// Runs one step; returns a failure text.
fn run_step(ledger: &mut Ledger, step: &Value, default_id: String, must_accept: bool) -> Option<String> {
    let mut env = step.clone();
    let Some(obj) = env.as_object_mut() else {
        return Some("a step must be an object".into());
    };
    let expect = obj.remove("expect");
    let label = obj.remove("label");
    obj.entry("command_id").or_insert(Value::String(default_id.clone()));
    if let Some(id) = obj.remove("id") {
        obj.insert("command_id".into(), id);
    }
    let label = label.and_then(|l| l.as_str().map(str::to_owned)).unwrap_or(default_id);
    if let Err(e) = expand_tokens(&mut env, ledger.keys()) {
        return Some(format!("{label}: {e}"));
    }
    let before = (
        ledger.snapshot_json(),
        serde_json::to_string(ledger.state()).unwrap_or_default(),
    );
    // A step that does not decode is refused like any other command (invalid_input).
    let result = Envelope::from_value(env).and_then(|env| ledger.apply(&env));
    let expect = match (expect, must_accept) {
        (Some(x), _) => x,
        (None, true) => Value::String("accepted".into()),
        (None, false) => return Some(format!("{label}: a step needs an expect")),
    };
    match (result, expect) {
        (Ok(_), Value::String(s)) if s == "accepted" => None,
        (Ok(out), Value::Object(o)) if o.contains_key("accepted") => {
            let want = &o["accepted"];
            if let Some(r) = want.get("replayed")
                && r.as_bool() != Some(out.replayed)
            {
                return Some(format!("{label}: replayed = {}, expected {r}", out.replayed));
            }
            if let Some(Value::Array(evs)) = want.get("events") {
                let got: Vec<Value> = out
                    .events
                    .iter()
                    .map(|r| serde_json::to_value(&r.event).unwrap_or_default())
                    .collect();
                let kinds: Vec<&str> = got
                    .iter()
                    .filter_map(|g| g.get("type").and_then(Value::as_str))
                    .collect();
                let ok = evs.len() == got.len()
                    && evs.iter().zip(&got).all(|(e, g)| match e {
                        Value::String(t) => g.get("type").and_then(Value::as_str) == Some(t),
                        other => matches(other, g),
                    });
                if !ok {
                    return Some(format!(
                        "{label}: events {kinds:?} do not match {}",
                        Value::Array(evs.clone())
                    ));
                }
            }
            None
        }
        (Ok(out), want) => Some(format!(
            "{label}: accepted ({:?}) but expected {want}",
            out.events.iter().map(|r| r.event.kind()).collect::<Vec<_>>()
        )),
        (Err(e), Value::Object(o)) if o.contains_key("rejected") => {
            if (
                ledger.snapshot_json(),
                serde_json::to_string(ledger.state()).unwrap_or_default(),
            ) != before
            {
                return Some(format!("{label}: a rejected command changed the state"));
            }
            check_rejection(&o["rejected"], &e).map(|f| format!("{label}: {f}"))
        }
        (Err(e), _) => Some(format!(
            "{label}: rejected {} ({}): {}",
            e.code(),
            e.rule(),
            e.message_en()
        )),
    }
}

fn run_query(ledger: &Ledger, q: &Value, i: usize) -> Option<String> {
    let label = q
        .get("label")
        .and_then(Value::as_str)
        .map_or_else(|| format!("query {i}"), str::to_owned);
    let env = serde_json::json!({"actor": q["actor"], "at": q["at"], "query": q["query"]});
    match (
        query::run_on_ledger(ledger, &env),
        q.get("expect"),
        q.get("expect_error"),
    ) {
        (Ok(v), Some(want), _) if matches(want, &v) => None,
        (Ok(v), Some(want), _) => Some(format!("{label}: expected {want}, got {v}")),
        (Err(e), _, Some(want)) => check_rejection(want, &e).map(|f| format!("{label}: {f}")),
        (Ok(v), None, _) => Some(format!("{label}: expected an error, got {v}")),
        (Err(e), _, _) => Some(format!(
            "{label}: error {} ({}): {}",
            e.code(),
            e.rule(),
            e.message_en()
        )),
    }
}

/// Runs one case file.
pub fn run_case(path: &Path) -> CaseResult {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut res = CaseResult {
        file: file.clone(),
        name: String::new(),
        failures: Vec::new(),
    };
    let case: Value = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            res.failures.push(format!("cannot read case: {e}"));
            return res;
        }
    };
    res.name = case.get("name").and_then(Value::as_str).unwrap_or(&file).to_owned();
    let mut keys = Keyring::default();
    if let Some(Value::Object(k)) = case.get("qr_keys") {
        for (id, secret) in k {
            if let Err(e) = keys.add(id, secret.as_str().unwrap_or_default().as_bytes().to_vec()) {
                res.failures.push(format!("qr key {id}: {e}"));
            }
        }
    }
    let mut ledger = Ledger::with_keys(keys);
    let stem = file.trim_end_matches(".json").to_owned();
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut setup: Vec<Value> = Vec::new();
    for fx in case.get("fixtures").and_then(Value::as_array).into_iter().flatten() {
        let name = fx.as_str().unwrap_or_default();
        let p = dir.join("fixtures").join(format!("{name}.json"));
        match std::fs::read_to_string(&p)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => setup.extend(v.get("steps").and_then(Value::as_array).cloned().unwrap_or_default()),
            Err(e) => res.failures.push(format!("fixture {name}: {e}")),
        }
    }
    setup.extend(case.get("setup").and_then(Value::as_array).cloned().unwrap_or_default());
    for (i, step) in setup.iter().enumerate() {
        if let Some(f) = run_step(&mut ledger, step, format!("{stem}-setup-{i}"), true) {
            res.failures.push(format!("setup: {f}"));
            return res;
        }
    }
    for (i, step) in case
        .get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(f) = run_step(&mut ledger, step, format!("{stem}-{i}"), false) {
            res.failures.push(f);
        }
    }
    for (i, q) in case
        .get("queries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(f) = run_query(&ledger, q, i) {
            res.failures.push(f);
        }
    }
    res
}

/// The case files (`*.json`) of a folder, sorted; fixtures live in its `fixtures/` folder.
pub fn case_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    v.sort();
    Ok(v)
}

/// Runs every case of a folder, printing one line per case and the `N passed, M failed`
/// line; returns the number of failures.
pub fn run_dir(dir: &Path, out: &mut dyn std::io::Write) -> std::io::Result<usize> {
    let files = case_files(dir)?;
    let (mut passed, mut failed) = (0, 0);
    for f in &files {
        let r = run_case(f);
        writeln!(out, "{}", r.line())?;
        if r.passed() { passed += 1 } else { failed += 1 }
    }
    writeln!(out, "{passed} passed, {failed} failed")?;
    Ok(failed)
}
