//! AUD-2: the event log is tamper-evident. A log (or snapshot) that is reordered, truncated at
//! the front, duplicated, gapped or altered is refused, naming the first bad event; the log
//! the engine wrote replays to the same state, as JSON lines and as a snapshot, and a
//! schema-1 snapshot still loads.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tijdreg::ledger::{Envelope, Ledger, Recorded};
use tijdreg::qr::Keyring;

fn ledger() -> Ledger {
    let text = include_str!("conformance/fixtures/base.json");
    let doc: Value = serde_json::from_str(text).expect("fixture");
    let mut l = Ledger::new();
    for (i, s) in doc["steps"].as_array().expect("steps").iter().enumerate() {
        let mut s = s.clone();
        s["command_id"] = json!(format!("base-{i}"));
        l.apply(&Envelope::from_value(s).expect("step")).expect("accepted");
    }
    l
}

fn refused(events: &[Recorded]) -> (String, String) {
    match Ledger::replay(events, Keyring::default()) {
        Err(e) => (e.code().to_owned(), e.message_en()),
        Ok(_) => ("accepted".into(), String::new()),
    }
}

#[test]
fn aud_2_damaged_logs_are_refused_naming_the_first_bad_event() {
    let l = ledger();
    let log = l.events();
    assert!(log.len() > 10);
    assert!(Ledger::replay(&log, Keyring::default()).is_ok());

    let mut reordered = log.clone();
    reordered.swap(3, 4);
    let (code, msg) = refused(&reordered);
    assert_eq!(code, "damaged_log");
    assert!(msg.contains("event 4"), "{msg}");

    let (code, msg) = refused(&log[1..]);
    assert_eq!(code, "damaged_log");
    assert!(msg.contains("event 1"), "truncated at the front: {msg}");

    let mut duplicated = log.clone();
    duplicated.insert(5, log[4].clone());
    let (code, msg) = refused(&duplicated);
    assert!(code == "damaged_log" && msg.contains("event 6"), "{msg}");

    let mut gapped = log.clone();
    gapped.remove(7);
    let (code, msg) = refused(&gapped);
    assert!(code == "damaged_log" && msg.contains("event 8"), "{msg}");

    // Renumbered after a removal: the sequence fits, the chain does not.
    let mut renumbered = log.clone();
    renumbered.remove(7);
    for (i, r) in renumbered.iter_mut().enumerate() {
        r.seq = i as u64 + 1;
    }
    let (code, msg) = refused(&renumbered);
    assert!(code == "damaged_log" && msg.contains("event 8"), "{msg}");

    let mut altered = log.clone();
    altered[9].at += chrono::Duration::seconds(1);
    let (code, msg) = refused(&altered);
    assert!(code == "damaged_log" && msg.contains("event 10"), "{msg}");

    // The same through JSON lines and snapshots.
    let text = l.events_jsonl();
    let tampered = text.replacen("\"p-olivia\"", "\"p-mallory\"", 1);
    let e = Ledger::replay_jsonl(tampered.as_bytes(), Keyring::default())
        .map(|_| ())
        .expect_err("altered");
    assert_eq!(e.code(), "damaged_log");
    let snap = l.snapshot_json();
    let e = Ledger::from_snapshot_json(&snap.replacen("\"p-olivia\"", "\"p-mallory\"", 1), Keyring::default())
        .map(|_| ())
        .expect_err("altered snapshot");
    assert_eq!(e.code(), "damaged_log");
    // A snapshot whose log lost its last event no longer ends at its head.
    let lines: Vec<&str> = text.lines().collect();
    let short = format!(
        "{{\"schema_version\":2,\"engine_version\":\"x\",\"events\":{},\"head\":\"{}\",\"log\":[{}]}}",
        lines.len(),
        l.log_head(),
        lines[..lines.len() - 1].join(",")
    );
    let e = Ledger::from_snapshot_json(&short, Keyring::default())
        .map(|_| ())
        .expect_err("truncated at the end");
    assert_eq!(e.code(), "damaged_log");
}

#[test]
fn aud_2_the_log_round_trips_and_old_snapshots_load() {
    let l = ledger();
    let again = Ledger::replay_jsonl(l.events_jsonl().as_bytes(), Keyring::default()).expect("replays");
    assert_eq!(again.state(), l.state());
    assert_eq!(again.log_head(), l.log_head());
    let loaded = Ledger::from_snapshot_json(&l.snapshot_json(), Keyring::default()).expect("loads");
    assert_eq!(loaded.state(), l.state());
    assert_eq!(loaded.events(), l.events());
    // Schema 1: the state with each command's events, without hashes.
    let mut applied = serde_json::Map::new();
    for r in l.events() {
        let mut v = serde_json::to_value(&r).expect("json");
        v.as_object_mut().expect("object").remove("hash");
        applied
            .entry(r.command_id.to_string())
            .or_insert_with(|| json!({"fingerprint": r.fingerprint, "events": []}))["events"]
            .as_array_mut()
            .expect("array")
            .push(v);
    }
    let v1 = json!({"schema_version": 1, "engine_version": "0.1.0", "state": {"applied": applied}});
    let old = Ledger::from_snapshot_json(&v1.to_string(), Keyring::default()).expect("schema 1 loads");
    assert_eq!(old.state(), l.state());
    assert_eq!(old.log_head(), l.log_head(), "chained anew, the same chain");
    // The list of events as JSON is written from the lines: the text of serialising them.
    assert_eq!(l.events_json(), serde_json::to_string(&l.events()).expect("json"));
    assert_eq!(again.events_json(), l.events_json());
    // Every line carries its hash; a retry is answered from the log.
    assert!(l.events().iter().all(|r| r.hash.len() == 64));
    let e = Ledger::from_snapshot_json(r#"{"schema_version": 7}"#, Keyring::default())
        .map(|_| ())
        .expect_err("v7");
    assert_eq!(e.code(), "unsupported_schema_version");
}

/// AUD-2, AUD-3: a snapshot that is not a JSON object is refused by saying what was expected,
/// never by echoing what was given.
#[test]
fn aud_2_a_snapshot_that_is_not_an_object_says_an_object_was_expected() {
    for (text, found) in [("[]", "a list"), ("42", "a number"), ("\"secret-42\"", "text")] {
        let e = Ledger::from_snapshot_json(text, Keyring::default())
            .map(|_| ())
            .expect_err("not a snapshot");
        assert_eq!(e.code(), "invalid_input");
        assert_eq!(
            e.message_en(),
            format!("invalid input: snapshot: {found} where an object was expected")
        );
        assert!(!e.message_en().contains("secret"));
    }
}

#[test]
fn aud_2_a_reformatted_log_is_checked_on_its_values() {
    // A log or snapshot that went through another JSON tool (keys in another order, spaces,
    // pretty-printed) still loads: the chain is checked on the values, and the loaded ledger
    // holds the canonical lines again. An altered value is refused either way.
    let l = ledger();
    let reordered: String = l
        .events_jsonl()
        .lines()
        .map(|line| {
            // serde_json's map without `preserve_order` sorts the keys: "seq" comes last.
            let v: Value = serde_json::from_str(line).expect("line");
            format!("{}\n", serde_json::to_string(&v).expect("json"))
        })
        .collect();
    assert_ne!(reordered, l.events_jsonl());
    let again = Ledger::replay_jsonl(reordered.as_bytes(), Keyring::default()).expect("replays");
    assert_eq!(again.state(), l.state());
    assert_eq!(again.log_head(), l.log_head());
    assert_eq!(again.events_jsonl(), l.events_jsonl(), "canonical lines again");

    let snap: Value = serde_json::from_str(&l.snapshot_json()).expect("snapshot");
    let pretty = serde_json::to_string_pretty(&snap).expect("pretty");
    let loaded = Ledger::from_snapshot_json(&pretty, Keyring::default()).expect("loads");
    assert_eq!(loaded.state(), l.state());
    assert_eq!(loaded.events_jsonl(), l.events_jsonl());

    let e = Ledger::replay_jsonl(
        reordered.replacen("\"p-olivia\"", "\"p-mallory\"", 1).as_bytes(),
        Keyring::default(),
    )
    .map(|_| ())
    .expect_err("altered");
    assert_eq!(e.code(), "damaged_log");
    let e = Ledger::from_snapshot_json(&pretty.replacen("\"p-olivia\"", "\"p-mallory\"", 1), Keyring::default())
        .map(|_| ())
        .expect_err("altered");
    assert_eq!(e.code(), "damaged_log");
}

#[test]
fn aud_2_a_log_line_above_the_size_limit_is_refused_before_it_is_read() {
    // Limits (docs/limits.md): a line of the event log is at most MAX_COMMAND_BYTES, even
    // when it would parse.
    let l = ledger();
    let text = l.events_jsonl();
    let first = text.lines().next().expect("a line");
    let v: Value = serde_json::from_str(first).expect("line");
    let fp = v["fingerprint"].as_str().expect("fingerprint");
    let huge = first.replacen(fp, &"f".repeat(tijdreg::decode::MAX_COMMAND_BYTES + 1), 1);
    let e = Ledger::replay_jsonl(huge.as_bytes(), Keyring::default())
        .map(|_| ())
        .expect_err("too large");
    assert_eq!(e.code(), "invalid_input", "{}", e.message_en());
    assert!(e.message_en().contains("log line 1"), "{}", e.message_en());
}

#[test]
fn el_2_the_state_records_who_decided_an_entry() {
    // The supervisor who approved or rejected an entry is part of the state folded from the
    // log (four eyes, EL-2), not only of the log.
    let mut l = ledger();
    let case: Value = serde_json::from_str(include_str!("conformance/el-3-reject-correct-approve.json")).expect("case");
    let steps = case["setup"]
        .as_array()
        .expect("setup")
        .iter()
        .chain(case["steps"].as_array().expect("steps"));
    let entry = |l: &Ledger| {
        l.state()
            .entries
            .get(&tijdreg::ids::EntryId::new("E-1"))
            .cloned()
            .expect("E-1")
    };
    for (i, s) in steps.enumerate() {
        let env = json!({"command_id": format!("el-{i}"), "actor": s["actor"], "at": s["at"], "command": s["command"]});
        let _ = l.apply(&Envelope::from_value(env).expect("step"));
        if s["command"]["type"] == "reject_elearning_entry" {
            assert_eq!(entry(&l).decided_by, Some(tijdreg::ids::PersonId::new("p-sup")));
        }
    }
    let e = entry(&l);
    assert_eq!(e.status, tijdreg::subsidy::EntryStatus::Approved);
    assert_eq!(e.decided_by, Some(tijdreg::ids::PersonId::new("p-sup")));
    // Replayed from its lines, the state knows the decider too (the actor is read there).
    let again = Ledger::replay_jsonl(l.events_jsonl().as_bytes(), Keyring::default()).expect("replays");
    assert_eq!(entry(&again).decided_by, Some(tijdreg::ids::PersonId::new("p-sup")));
    assert_eq!(again.state(), l.state());
}

/// The log's lines, chained anew after `edit` changed their values: a log that anyone could
/// write (the chain is not a signature), so only the log's own rules can refuse it.
fn rechained(l: &Ledger, edit: impl Fn(usize, &mut Value)) -> String {
    let mut head = [0u8; 32];
    let mut out = String::new();
    for (i, line) in l.events_jsonl().lines().enumerate() {
        let mut v: Value = serde_json::from_str(line).expect("line");
        edit(i, &mut v);
        v.as_object_mut().expect("object").remove("hash");
        let r: Recorded = serde_json::from_value(v).expect("event");
        // The canonical body, as the engine writes it: the event without its hash.
        let full = serde_json::to_string(&r).expect("json");
        let body = format!("{}}}", full.split(",\"hash\":").next().expect("body"));
        let hash: [u8; 32] = Sha256::new()
            .chain_update(head)
            .chain_update(body.as_bytes())
            .finalize()
            .into();
        head = hash;
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        out.push_str(&format!(
            "{},\"hash\":\"{hex}\"}}\n",
            body.strip_suffix('}').expect("brace")
        ));
    }
    out
}

#[test]
fn aud_2_log_lines_are_checked_as_the_events_are() {
    // Lines are read without copying what replay does not keep; the verdicts are those of
    // the typed replay, for JSON lines and snapshots alike, naming the same event.
    let l = ledger();
    let log = l.events();
    let text = l.events_jsonl();
    let lines: Vec<&str> = text.lines().collect();
    let typed = |events: &[Recorded]| refused(events);
    let as_lines = |ls: &[&str]| {
        let jsonl = ls.iter().map(|x| format!("{x}\n")).collect::<String>();
        let snap = format!(
            "{{\"schema_version\":2,\"engine_version\":\"x\",\"events\":{},\"head\":\"{}\",\"log\":[{}]}}",
            ls.len(),
            l.log_head(),
            ls.join(",")
        );
        let r = Ledger::replay_jsonl(jsonl.as_bytes(), Keyring::default());
        let s = Ledger::from_snapshot_json(&snap, Keyring::default());
        let verdict = |x: Result<Ledger, tijdreg::Error>| match x {
            Err(e) => (e.code().to_owned(), e.message_en()),
            Ok(_) => ("accepted".into(), String::new()),
        };
        (verdict(r), verdict(s))
    };
    let mut cases: Vec<(&str, Vec<Recorded>, Vec<&str>)> = Vec::new();
    let (mut a, mut b) = (log.clone(), lines.clone());
    a.swap(3, 4);
    b.swap(3, 4);
    cases.push(("reordered", a, b));
    cases.push(("truncated at the front", log[1..].to_vec(), lines[1..].to_vec()));
    let (mut a, mut b) = (log.clone(), lines.clone());
    a.insert(5, log[4].clone());
    b.insert(5, lines[4]);
    cases.push(("duplicated", a, b));
    let (mut a, mut b) = (log.clone(), lines.clone());
    a.remove(7);
    b.remove(7);
    cases.push(("gapped", a, b));
    for (what, events, ls) in &cases {
        let want = typed(events);
        assert_eq!(want.0, "damaged_log", "{what}");
        let (r, s) = as_lines(ls);
        assert_eq!(r, want, "{what}: JSON lines");
        if *what != "truncated at the front" {
            // A snapshot's head is the whole log's; the first bad event is named all the same.
            assert_eq!(s, want, "{what}: snapshot");
        }
    }

    // A command id reused by a later command, in a log chained anew: refused at that event,
    // whichever way it is read.
    let first_of_last = lines.len() - 1;
    let reused = rechained(&l, |i, v| {
        if i == first_of_last {
            v["command_id"] = json!("base-0");
        }
    });
    let e = Ledger::replay_jsonl(reused.as_bytes(), Keyring::default())
        .map(|_| ())
        .expect_err("reused id");
    assert_eq!(e.code(), "damaged_log");
    let msg = e.message_en();
    assert!(
        msg.contains(&format!("event {}", lines.len())) && msg.contains("command id"),
        "{msg}"
    );
    // The same log chained anew without a change is the engine's own.
    let same = rechained(&l, |_, _| ());
    assert_eq!(same, text);
}

#[test]
fn aud_2_lines_with_escapes_and_spelled_otherwise_replay() {
    // Texts with quotes, backslashes and letters beyond ASCII (quotes and backslashes escaped
    // in the canonical line), and a line whose type and keys are spelled with escapes (not
    // canonical: checked on its values), replay to the same state.
    let mut l = ledger();
    let env = json!({
        "command_id": "org-quoted", "actor": "system", "at": "2026-03-02T08:00:00Z",
        "command": {"type": "create_organisation", "organisation": "O-Q",
                    "name": "Vorming \"De Brug\" \\ Gent \u{e9}\u{2014}"}
    });
    l.apply(&Envelope::from_value(env).expect("command")).expect("accepted");
    let text = l.events_jsonl();
    assert!(text.contains("\\\"De Brug\\\""), "escaped in the line");
    let again = Ledger::replay_jsonl(text.as_bytes(), Keyring::default()).expect("replays");
    assert_eq!(again.state(), l.state());
    let loaded = Ledger::from_snapshot_json(&l.snapshot_json(), Keyring::default()).expect("loads");
    assert_eq!(loaded.state(), l.state());

    let last = text.lines().last().expect("line");
    let spelled = last.replacen(
        "\"type\":\"organisation_created\"",
        "\"typ\\u0065\":\"organisation\\u005fcreated\"",
        1,
    );
    assert_ne!(spelled, last);
    let relined = text.replacen(last, &spelled, 1);
    let again = Ledger::replay_jsonl(relined.as_bytes(), Keyring::default()).expect("replays");
    assert_eq!(again.state(), l.state());
    assert_eq!(again.events_jsonl(), text, "canonical lines again");
    assert_eq!(again.events_json(), serde_json::to_string(&l.events()).expect("json"));
}

#[test]
fn att_3_apply_quiet_records_what_apply_records() {
    // The same commands — accepted, refused, retried, an id reused — through `apply` and
    // through `apply_quiet`: the same answers (counts, retries, error codes), the same log
    // byte for byte and the same state.
    let plan = plan_s1();
    let commands = vec![
        env("plan", "p-olivia", "2026-02-02T09:00:00+01:00", plan),
        env(
            "start",
            "p-tom",
            "2026-03-02T08:40:00+01:00",
            json!({"type": "start_session", "session": "S-1"}),
        ),
        env(
            "in-ann",
            "p-tom",
            "2026-03-02T08:55:00+01:00",
            check("check_in", "p-ann"),
        ),
        env(
            "in-bart",
            "p-tom",
            "2026-03-02T09:05:00+01:00",
            check("check_in", "p-bart"),
        ),
        env(
            "in-ann",
            "p-tom",
            "2026-03-02T08:55:00+01:00",
            check("check_in", "p-ann"),
        ),
        env(
            "in-ann",
            "p-tom",
            "2026-03-02T08:56:00+01:00",
            check("check_in", "p-cas"),
        ),
        env(
            "in-nobody",
            "p-tom",
            "2026-03-02T09:06:00+01:00",
            check("check_in", "p-olivia"),
        ),
        env(
            "in-ann-2",
            "p-tom",
            "2026-03-02T09:07:00+01:00",
            check("check_in", "p-ann"),
        ),
        env(
            "out-ann",
            "p-tom",
            "2026-03-02T11:50:00+01:00",
            check("check_out", "p-ann"),
        ),
        env(
            "out-bart",
            "p-tom",
            "2026-03-02T12:00:00+01:00",
            check("check_out", "p-bart"),
        ),
        env(
            "close",
            "p-tom",
            "2026-03-02T12:05:00+01:00",
            json!({"type": "close_session", "session": "S-1"}),
        ),
    ];
    let (mut full, mut quiet) = (ledger(), ledger());
    let mut answers = Vec::new();
    for e in &commands {
        let a = full
            .apply(e)
            .map(|o| (o.events.len(), o.replayed))
            .map_err(|e| e.code().to_owned());
        let q = quiet
            .apply_quiet(e)
            .map(|o| (o.events, o.replayed))
            .map_err(|e| e.code().to_owned());
        assert_eq!(a, q, "{}", e.command_id);
        answers.push(a);
    }
    assert_eq!(answers.iter().filter(|a| a.is_err()).count(), 3, "{answers:?}");
    assert!(answers.contains(&Ok((1, true))), "a retry answered from the log");
    assert_eq!(quiet.events_jsonl(), full.events_jsonl());
    assert_eq!(quiet.log_head(), full.log_head());
    assert_eq!(quiet.state(), full.state());
    let again = Ledger::replay_jsonl(quiet.events_jsonl().as_bytes(), Keyring::default()).expect("replays");
    assert_eq!(again.state(), full.state());
}

/// A command envelope.
fn env(id: &str, actor: &str, at: &str, command: Value) -> Envelope {
    Envelope::from_value(json!({"command_id": id, "actor": actor, "at": at, "command": command})).expect("envelope")
}

/// Planning session S-1 (trainer p-tom; p-ann, p-bart and p-cas take part).
fn plan_s1() -> Value {
    json!({"type": "plan_session", "session": "S-1", "training": "T-1", "date": "2026-03-02",
           "start": "09:00", "end": "12:00", "trainers": ["p-tom"],
           "participants": ["p-ann", "p-bart", "p-cas"]})
}

/// A check-in or check-out (`kind`) of `person` in S-1.
fn check(kind: &str, person: &str) -> Value {
    json!({"type": kind, "session": "S-1", "person": person})
}

/// A ledger whose log mixes check-ins and check-outs (read where they lie in a snapshot) with
/// other events (read by serde).
fn ledger_with_scans() -> Ledger {
    let mut l = ledger();
    let plan = plan_s1();
    let start = json!({"type": "start_session", "session": "S-1"});
    let steps = [
        env("plan", "p-olivia", "2026-02-02T09:00:00+01:00", plan),
        env("start", "p-tom", "2026-03-02T08:40:00+01:00", start),
        env(
            "in-ann",
            "p-tom",
            "2026-03-02T08:55:00+01:00",
            check("check_in", "p-ann"),
        ),
        env(
            "in-bart",
            "p-tom",
            "2026-03-02T09:05:00+01:00",
            check("check_in", "p-bart"),
        ),
        env(
            "out-ann",
            "p-tom",
            "2026-03-02T11:50:00+01:00",
            check("check_out", "p-ann"),
        ),
        env(
            "in-cas",
            "p-tom",
            "2026-03-02T11:51:00+01:00",
            check("check_in", "p-cas"),
        ),
        env(
            "out-bart",
            "p-tom",
            "2026-03-02T12:00:00+01:00",
            check("check_out", "p-bart"),
        ),
        env(
            "close",
            "p-tom",
            "2026-03-02T12:05:00+01:00",
            json!({"type": "close_session", "session": "S-1"}),
        ),
    ];
    for e in &steps {
        l.apply(e).unwrap_or_else(|err| panic!("{}: {err}", e.command_id));
    }
    l
}

#[test]
fn aud_2_a_snapshot_as_the_engine_writes_it_and_written_otherwise_get_one_verdict() {
    // A snapshot exactly as the engine writes it is read line by line where it lies; the same
    // snapshot with white space between its lines goes through serde. Whole, damaged, cut
    // short or followed by something else, both readings give the same verdict, naming the
    // same event.
    let l = ledger_with_scans();
    let text = l.events_jsonl();
    let lines: Vec<&str> = text.lines().collect();
    let scans = lines.iter().filter(|x| x.contains("\"type\":\"checked_")).count();
    assert!(scans >= 5 && scans < lines.len(), "{scans} of {}", lines.len());
    let head = l.log_head();
    let snap = |ls: &[&str], sep: &str, events: usize, head: &str, tail: &str| {
        format!(
            "{{\"schema_version\":2,\"engine_version\":\"x\",\"events\":{events},\"head\":\"{head}\",\"log\":[{}]}}{tail}",
            ls.join(sep)
        )
    };
    let verdict = |text: &str| match Ledger::from_snapshot_json(text, Keyring::default()) {
        Err(e) => (e.code().to_owned(), e.message_en()),
        Ok(loaded) => {
            assert_eq!(loaded.state(), l.state());
            assert_eq!(loaded.events_jsonl(), text_of(&loaded));
            ("accepted".into(), loaded.log_head())
        }
    };
    fn text_of(l: &Ledger) -> String {
        l.events_jsonl()
    }
    let n = lines.len();
    let scan_at = lines
        .iter()
        .position(|x| x.contains("\"command_id\":\"out-bart\""))
        .expect("a check-out");
    let altered: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, x)| {
            if i == scan_at {
                x.replacen("\"person\":\"p-bart\"", "\"person\":\"p-cas\"", 1)
            } else {
                (*x).to_owned()
            }
        })
        .collect();
    let altered: Vec<&str> = altered.iter().map(String::as_str).collect();
    let mut swapped = lines.clone();
    swapped.swap(n - 3, n - 2);
    let mut duplicated = lines.clone();
    duplicated.insert(n - 2, lines[n - 3]);
    let cases: Vec<(&str, Vec<&str>, usize, String, &str)> = vec![
        ("whole", lines.clone(), n, head.clone(), ""),
        ("whole, a new line after", lines.clone(), n, head.clone(), "\n"),
        ("a check-out altered", altered, n, head.clone(), ""),
        ("two check-ins swapped", swapped, n, head.clone(), ""),
        ("a check-in twice", duplicated, n + 1, head.clone(), ""),
        ("the last line lost", lines[..n - 1].to_vec(), n - 1, head.clone(), ""),
        ("another count", lines.clone(), n + 1, head.clone(), ""),
        ("another head", lines.clone(), n, "0".repeat(64), ""),
        ("something after", lines.clone(), n, head.clone(), "x"),
        ("no log", Vec::new(), 0, head.clone(), ""),
    ];
    for (what, ls, events, head, tail) in &cases {
        let direct = verdict(&snap(ls, ",", *events, head, tail));
        let general = verdict(&snap(ls, ", ", *events, head, tail));
        if direct.0 == "invalid_input" {
            // Where the text is unreadable is named by line and column, which the spaces move.
            assert_eq!(direct.0, general.0, "{what}");
            let (a, b) = (direct.1.split(" (line").next(), general.1.split(" (line").next());
            assert_eq!(a, b, "{what}");
        } else {
            assert_eq!(direct, general, "{what}");
        }
        let accepted = direct.0 == "accepted";
        assert_eq!(accepted, what.starts_with("whole"), "{what}: {direct:?}");
        if matches!(*what, "the last line lost" | "another count" | "another head") {
            // What the snapshot says of its end is checked after its last event: the position
            // named is the one after it.
            let after = format!("event {}", ls.len() + 1);
            assert!(
                direct.0 == "damaged_log" && direct.1.contains(&after),
                "{what}: {direct:?}"
            );
        }
    }
    // Cut inside a line: the same refusal either way.
    let whole = snap(&lines, ",", n, &head, "");
    let cut = verdict(&whole[..whole.len() - 40]);
    let spaced = snap(&lines, ", ", n, &head, "");
    let cut_spaced = verdict(&spaced[..spaced.len() - 40]);
    assert_eq!(cut.0, "invalid_input", "{cut:?}");
    assert_eq!(cut.1.split(" (line").next(), cut_spaced.1.split(" (line").next());
}

/// `lines` joined as a log's text, a blank line before every fifth line (the first too), which
/// ends with `end`.
fn with_blanks<S: AsRef<str>>(lines: &[S], end: &str) -> String {
    let mut out = String::new();
    for (i, x) in lines.iter().enumerate() {
        if i % 5 == 0 {
            out.push('\n');
            out.push_str(x.as_ref());
            out.push_str(end);
        } else {
            out.push_str(x.as_ref());
            out.push('\n');
        }
    }
    out
}

/// AUD-2: the event log's JSON lines, replayed a few lines at a time (their command ids' index
/// slots read together), give the verdict their events give one by one: the same ledger from
/// the whole log, with blank lines and CRLF ends too; a line that is not JSON named by its line
/// number (blank lines counted) wherever it falls among the lines read together; a check-in or
/// check-out altered anywhere refused as the typed replay of the same events refuses it.
#[test]
fn aud_2_a_log_replayed_a_few_lines_at_a_time_gets_the_verdict_of_its_events() {
    let l = ledger_with_scans();
    let text = l.events_jsonl();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 16, "{} lines", lines.len());
    let spaced = with_blanks(&lines, "\r\n");
    for t in [&text, &spaced] {
        let r = Ledger::replay_jsonl(t.as_bytes(), Keyring::default()).expect("replays");
        assert_eq!(r.events_jsonl(), text);
        assert_eq!(r.state(), l.state());
    }
    // A blank line before every fifth line, the first too: line k of `lines` is physical line
    // k + 2 + ⌊k / 5⌋.
    let physical = |k: usize| k + 2 + k / 5;
    for k in 0..lines.len() {
        let mut cut: Vec<String> = lines.iter().map(|x| (*x).to_owned()).collect();
        cut[k] = lines[k][..lines[k].len() / 2].to_owned();
        let t = with_blanks(&cut, "\n");
        let e = Ledger::replay_jsonl(t.as_bytes(), Keyring::default())
            .map(|_| ())
            .expect_err("a cut line");
        assert_eq!(e.code(), "invalid_input", "line {k}: {}", e.message_en());
        let named = format!("log line {}", physical(k));
        let after = e.message_en().split_once(&named).map(|(_, rest)| rest.to_owned());
        assert!(
            after.is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit())),
            "line {k}: {}",
            e.message_en()
        );
    }
    let mut altered_scans = 0;
    for k in 0..lines.len() {
        if !lines[k].contains("\"checked_") {
            continue;
        }
        altered_scans += 1;
        let mut edited: Vec<String> = lines.iter().map(|x| (*x).to_owned()).collect();
        edited[k] = edited[k].replacen(":00Z\"", ":01Z\"", 1);
        assert_ne!(edited[k], lines[k]);
        let t = edited.join("\n");
        let e = Ledger::replay_jsonl(t.as_bytes(), Keyring::default())
            .map(|_| ())
            .expect_err("altered");
        let events: Vec<Recorded> = edited
            .iter()
            .map(|x| serde_json::from_str(x).expect("still an event"))
            .collect();
        assert_eq!((e.code().to_owned(), e.message_en()), refused(&events), "line {k}");
        assert!(
            e.message_en().contains(&format!("event {}", k + 1)),
            "{}",
            e.message_en()
        );
    }
    assert!(altered_scans >= 5, "{altered_scans}");
}
