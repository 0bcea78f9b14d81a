//! The conformance runner: runs the JSON case files of `tests/conformance/` (format in
//! `docs/conformance.md`) against the engine. Used by the `tijdreg-conformance` binary and by
//! `cargo test`; the bindings have runners of their own over the same files.

pub mod oracle;
pub mod synth;

use serde_json::Value;
use std::collections::BTreeMap;
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
/// also matches a missing key), arrays by length and position — or, written
/// `{"$unordered": [...]}`, by length and a one-to-one pairing in any order — numbers and
/// numeric strings by decimal value, instants by the moment they denote.
pub fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Array(a)) if e.len() == 1 && e.contains_key("$unordered") => {
            let Some(Value::Array(want)) = e.get("$unordered") else {
                return false;
            };
            want.len() == a.len() && pair(want, a, &mut vec![false; a.len()])
        }
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

/// Pairs each expected element with a distinct actual one (backtracking; arrays are small).
fn pair(want: &[Value], actual: &[Value], used: &mut Vec<bool>) -> bool {
    let Some((first, rest)) = want.split_first() else {
        return true;
    };
    for (i, a) in actual.iter().enumerate() {
        if !used[i] && matches(first, a) {
            used[i] = true;
            if pair(rest, actual, used) {
                return true;
            }
            used[i] = false;
        }
    }
    false
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

/// The fields each kind of entry may have; a field the runner does not know fails the case
/// (a runner that ignored it would pass cases it does not check).
const CASE_FIELDS: &[&str] = &[
    "name",
    "rules",
    "description",
    "fixtures",
    "qr_keys",
    "setup",
    "steps",
    "queries",
];
const COMMAND_FIELDS: &[&str] = &[
    "id",
    "label",
    "actor",
    "at",
    "command",
    "expect",
    "same_as",
    "must_not_contain",
];
const QUERY_FIELDS: &[&str] = &[
    "label",
    "actor",
    "at",
    "query",
    "command_id",
    "expect",
    "expect_error",
    "same_as",
    "must_not_contain",
];
const KEYS_FIELDS: &[&str] = &["label", "qr_keys"];
const RELOAD_FIELDS: &[&str] = &["label", "reload"];

fn unknown_fields(v: &Value, known: &[&str]) -> Option<String> {
    let o = v.as_object()?;
    let bad: Vec<&String> = o.keys().filter(|k| !known.contains(&k.as_str())).collect();
    (!bad.is_empty()).then(|| format!("unknown field(s) {bad:?}"))
}

fn keyring(v: &Value) -> Result<Keyring, String> {
    let mut keys = Keyring::default();
    add_keys(&mut keys, v)?;
    Ok(keys)
}

fn add_keys(keys: &mut Keyring, v: &Value) -> Result<(), String> {
    if let Value::Object(k) = v {
        for (id, secret) in k {
            keys.add(id, secret.as_str().unwrap_or_default().as_bytes().to_vec())
                .map_err(|e| format!("qr key {id}: {e}"))?;
        }
    }
    Ok(())
}

/// A case being run: the ledger and the outcomes of labelled entries (for `same_as`).
struct Run {
    ledger: Ledger,
    outcomes: std::collections::HashMap<String, Value>,
    /// Every key the case has named: `$qr` templates are issued with these, so that a token
    /// of a retired key can still be written (and must then be refused).
    issuer: Keyring,
}

/// What an entry produced, as compared by `same_as` and searched by `must_not_contain`.
fn outcome_text(o: &Value) -> String {
    o.to_string()
}

impl Run {
    /// Runs one entry (command, query or key rotation) of `setup`, `steps` or `queries`.
    fn entry(&mut self, step: &Value, default_id: String, must_accept: bool) -> Option<String> {
        let Some(obj) = step.as_object() else {
            return Some("an entry must be an object".into());
        };
        let label = obj
            .get("label")
            .and_then(Value::as_str)
            .map_or_else(|| default_id.clone(), str::to_owned);
        let fail = |m: String| Some(format!("{label}: {m}"));
        if obj.contains_key("reload") && !obj.contains_key("command") && !obj.contains_key("query") {
            if let Some(u) = unknown_fields(step, RELOAD_FIELDS) {
                return fail(u);
            }
            return self.reload(&obj["reload"]).err().and_then(fail);
        }
        if obj.contains_key("qr_keys") && !obj.contains_key("command") && !obj.contains_key("query") {
            if let Some(u) = unknown_fields(step, KEYS_FIELDS) {
                return fail(u);
            }
            match keyring(&obj["qr_keys"]) {
                Ok(k) => {
                    if let Err(e) = add_keys(&mut self.issuer, &obj["qr_keys"]) {
                        return fail(e);
                    }
                    self.ledger.set_keys(k);
                }
                Err(e) => return fail(e),
            }
            return None;
        }
        let (outcome, failure) = if obj.contains_key("query") {
            if let Some(u) = unknown_fields(step, QUERY_FIELDS) {
                return fail(u);
            }
            self.query(step)
        } else {
            if let Some(u) = unknown_fields(step, COMMAND_FIELDS) {
                return fail(u);
            }
            self.command(step, &default_id, must_accept)
        };
        if let Some(f) = failure {
            return fail(f);
        }
        if let Some(Value::Array(words)) = obj.get("must_not_contain") {
            let text = outcome_text(&outcome);
            for w in words {
                let w = w.as_str().unwrap_or_default();
                if text.contains(w) {
                    return fail(format!("the outcome contains {w:?}: {text}"));
                }
            }
        }
        if let Some(Value::String(other)) = obj.get("same_as") {
            match self.outcomes.get(other) {
                Some(o) if *o == outcome => {}
                Some(o) => return fail(format!("expected the same outcome as {other}: {o}, got {outcome}")),
                None => return fail(format!("same_as names {other:?}, which is no earlier label")),
            }
        }
        self.outcomes.insert(label, outcome);
        None
    }

    /// AUD-2: the ledger replaced by one made again from its snapshot (`"snapshot"`) or from
    /// its event log (`"log"`), given the same QR keys (a snapshot holds no secret); the new
    /// one must be the same state with the same log, to its snapshot's last byte.
    fn reload(&mut self, how: &Value) -> Result<(), String> {
        let keys = self.ledger.keys().clone();
        let before = self.ledger.snapshot_json();
        let again = match how.as_str() {
            Some("snapshot") => Ledger::from_snapshot_json(&before, keys),
            Some("log") => Ledger::replay_jsonl(self.ledger.events_jsonl().as_bytes(), keys),
            _ => return Err(r#"reload must be "snapshot" or "log""#.into()),
        }
        .map_err(|e| format!("reload: error {} ({}): {}", e.code(), e.rule(), e.message_en()))?;
        if again.snapshot_json() != before {
            return Err("the reloaded ledger's snapshot differs from the original's".into());
        }
        if serde_json::to_value(again.state()).ok() != serde_json::to_value(self.ledger.state()).ok() {
            return Err("the reloaded state differs from the original".into());
        }
        self.ledger = again;
        Ok(())
    }

    fn command(&mut self, step: &Value, default_id: &str, must_accept: bool) -> (Value, Option<String>) {
        let mut env = step.clone();
        let Some(obj) = env.as_object_mut() else {
            return (Value::Null, Some("not an object".into()));
        };
        let expect = obj.remove("expect");
        for k in ["label", "same_as", "must_not_contain"] {
            obj.remove(k);
        }
        obj.entry("command_id").or_insert(Value::String(default_id.to_owned()));
        if let Some(id) = obj.remove("id") {
            obj.insert("command_id".into(), id);
        }
        if let Err(e) = expand_tokens(&mut env, &self.issuer) {
            return (Value::Null, Some(e));
        }
        let before = (
            self.ledger.snapshot_json(),
            serde_json::to_string(self.ledger.state()).unwrap_or_default(),
        );
        // A step that does not decode is refused like any other command (invalid_input).
        // Through JSON text, as every binding sends it.
        let result = Envelope::from_json(&env.to_string()).and_then(|env| self.ledger.apply(&env));
        let expect = match (expect, must_accept) {
            (Some(x), _) => x,
            (None, true) => Value::String("accepted".into()),
            (None, false) => return (Value::Null, Some("a step needs an expect".into())),
        };
        match (result, expect) {
            (Ok(out), want) => {
                let got: Vec<Value> = out
                    .events
                    .iter()
                    .map(|r| serde_json::to_value(&r.event).unwrap_or_default())
                    .collect();
                let outcome = serde_json::json!({"accepted": got});
                let kinds: Vec<&str> = got
                    .iter()
                    .filter_map(|g| g.get("type").and_then(Value::as_str))
                    .collect();
                let failure = match &want {
                    Value::String(s) if s == "accepted" => None,
                    Value::Object(o) if o.contains_key("accepted") => {
                        let w = &o["accepted"];
                        if let Some(r) = w.get("replayed")
                            && r.as_bool() != Some(out.replayed)
                        {
                            Some(format!("replayed = {}, expected {r}", out.replayed))
                        } else {
                            match w.get("events") {
                                Some(Value::Array(evs)) => {
                                    let ok = evs.len() == got.len()
                                        && evs.iter().zip(&got).all(|(e, g)| match e {
                                            Value::String(t) => g.get("type").and_then(Value::as_str) == Some(t),
                                            other => matches(other, g),
                                        });
                                    (!ok).then(|| {
                                        format!(
                                            "events {} do not match {}",
                                            Value::Array(got.clone()),
                                            Value::Array(evs.clone())
                                        )
                                    })
                                }
                                Some(other) if !matches(other, &Value::Array(got.clone())) => {
                                    Some(format!("events {kinds:?} do not match {other}"))
                                }
                                _ => None,
                            }
                        }
                    }
                    _ => Some(format!("accepted ({kinds:?}) but expected {want}")),
                };
                (outcome, failure)
            }
            (Err(e), Value::Object(o)) if o.contains_key("rejected") => {
                let outcome = serde_json::json!({"rejected": error_json(&e)});
                if (
                    self.ledger.snapshot_json(),
                    serde_json::to_string(self.ledger.state()).unwrap_or_default(),
                ) != before
                {
                    return (outcome, Some("a rejected command changed the state".into()));
                }
                let f = check_rejection(&o["rejected"], &e);
                (outcome, f)
            }
            (Err(e), _) => (
                serde_json::json!({"rejected": error_json(&e)}),
                Some(format!("rejected {} ({}): {}", e.code(), e.rule(), e.message_en())),
            ),
        }
    }

    fn query(&mut self, q: &Value) -> (Value, Option<String>) {
        let mut env = serde_json::json!({"actor": q["actor"], "at": q["at"], "query": q["query"]});
        if let Some(id) = q.get("command_id") {
            env["command_id"] = id.clone();
        }
        if let Err(e) = expand_tokens(&mut env, &self.issuer) {
            return (Value::Null, Some(e));
        }
        match (
            query::run_on_ledger(&self.ledger, &env),
            q.get("expect"),
            q.get("expect_error"),
        ) {
            (Ok(v), Some(want), _) => {
                let f = (!matches(want, &v)).then(|| format!("expected {want}, got {v}"));
                (serde_json::json!({"answer": v}), f)
            }
            (Ok(v), None, _) => (
                serde_json::json!({"answer": v.clone()}),
                Some(format!("expected an error, got {v}")),
            ),
            (Err(e), _, Some(want)) => (
                serde_json::json!({"rejected": error_json(&e)}),
                check_rejection(want, &e),
            ),
            (Err(e), _, None) => (
                serde_json::json!({"rejected": error_json(&e)}),
                Some(format!("error {} ({}): {}", e.code(), e.rule(), e.message_en())),
            ),
        }
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
    if let Some(u) = unknown_fields(&case, CASE_FIELDS) {
        res.failures.push(format!("case: {u}"));
        return res;
    }
    let keys = match case.get("qr_keys").map(keyring).transpose() {
        Ok(k) => k.unwrap_or_default(),
        Err(e) => {
            res.failures.push(e);
            return res;
        }
    };
    let mut run = Run {
        issuer: keys.clone(),
        ledger: Ledger::with_keys(keys),
        outcomes: std::collections::HashMap::new(),
    };
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
        if let Some(f) = run.entry(step, format!("{stem}-setup-{i}"), true) {
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
        if let Some(f) = run.entry(step, format!("{stem}-{i}"), false) {
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
        if !q.as_object().is_some_and(|o| o.contains_key("query")) {
            res.failures.push(format!("query {i}: a query entry needs a query"));
            continue;
        }
        if let Some(f) = run.entry(q, format!("query {i}"), false) {
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

/// Fills every offline-batch signature written `"$sign"` in a case (ATT-6): the batch, its
/// `$qr` templates expanded with the case's keys as a runner would, signed with the key of
/// the device's `register_device` step. Signatures are data in the case afterwards, so every
/// runner just sends them; write `"$sign"` again after changing a batch.
///
/// # Errors
/// A message naming what does not fit (no device key, a batch that does not decode).
pub fn sign_batches(case: &mut Value) -> Result<usize, String> {
    let mut issuer = case.get("qr_keys").map(keyring).transpose()?.unwrap_or_default();
    let mut devices: BTreeMap<String, tijdreg::offline::DeviceKey> = BTreeMap::new();
    let mut signed = 0;
    for step in case
        .get_mut("steps")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(k) = step.get("qr_keys").filter(|_| step.get("command").is_none()) {
            add_keys(&mut issuer, k)?;
        }
        let Some(command) = step.get_mut("command") else {
            continue;
        };
        match command.get("type").and_then(Value::as_str) {
            Some("register_device") => {
                let id = command["device"].as_str().unwrap_or_default().to_owned();
                let key = tijdreg::offline::DeviceKey::from_base64(command["device_key"].as_str().unwrap_or_default())
                    .map_err(|e| format!("device {id}: {e}"))?;
                devices.insert(id, key);
            }
            Some("submit_offline_batch") if command["batch"]["signature"] == "$sign" => {
                let mut expanded = command["batch"].clone();
                expand_tokens(&mut expanded, &issuer)?;
                let mut batch: tijdreg::offline::Batch =
                    serde_json::from_value(expanded).map_err(|e| format!("batch: {e}"))?;
                let key = devices
                    .get(batch.device.as_str())
                    .ok_or_else(|| format!("no register_device step for {}", batch.device))?;
                batch.sign(key);
                command["batch"]["signature"] = Value::String(batch.signature);
                signed += 1;
            }
            _ => {}
        }
    }
    Ok(signed)
}
