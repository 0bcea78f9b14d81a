//! Hostile and careless input (issue 12): no panic, no leak of a national number (ID-3), one
//! person per national number (ID-4), parameters and records checked alike (ORG-3), limits
//! at every boundary (docs/limits.md), CSV cells that cannot become formulas.

use serde_json::{Value, json};
use tijdreg::ledger::{Envelope, Ledger, query};

const INSZ: &str = "85073003328";
const INSZ_DIGITS: [&str; 3] = ["85073003328", "85.07.30-033.28", "033.28"];

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

fn step(actor: &str, at: &str, command: Value) -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = format!("h-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    json!({ "command_id": id, "actor": actor, "at": at, "command": command }).to_string()
}

fn system(command: Value) -> String {
    step("system", "2026-01-05T08:00:00+01:00", command)
}

/// Applies a command given as JSON text; the refusal's code, rule and English and Dutch text.
fn apply(l: &mut Ledger, text: &str) -> Result<(), (String, String, String)> {
    let env = Envelope::from_json(text).map_err(|e| (e.code().to_owned(), e.rule().to_owned(), messages(&e)))?;
    l.apply(&env)
        .map(|_| ())
        .map_err(|e| (e.code().to_owned(), e.rule().to_owned(), messages(&e)))
}

fn messages(e: &tijdreg::Error) -> String {
    format!("{} | {} | {e} | {e:?}", e.message_en(), e.message_nl())
}

fn refused(l: &mut Ledger, text: &str) -> (String, String, String) {
    match apply(l, text) {
        Err(r) => r,
        Ok(()) => panic!("accepted: {text}"),
    }
}

fn assert_no_insz(what: &str, text: &str) {
    for d in INSZ_DIGITS {
        assert!(!text.contains(d), "{what} shows the national number: {text}");
    }
}

fn with_session(l: &mut Ledger) {
    let plan = step(
        "p-olivia",
        "2026-01-05T08:00:00+01:00",
        json!({"type": "plan_session", "session": "S-1", "training": "T-1",
        "date": "2026-03-02", "start": "09:00", "end": "12:00", "trainers": ["p-tom"]}),
    );
    apply(l, &plan).expect("planned");
    apply(
        l,
        &step(
            "p-olivia",
            "2026-01-05T08:00:00+01:00",
            json!({"type": "add_participant", "session": "S-1", "person": "p-ann"}),
        ),
    )
    .expect("added");
    apply(
        l,
        &step(
            "p-tom",
            "2026-03-02T09:00:00+01:00",
            json!({"type": "start_session", "session": "S-1"}),
        ),
    )
    .expect("started");
    apply(
        l,
        &step(
            "p-tom",
            "2026-03-02T09:01:00+01:00",
            json!({"type": "check_in", "session": "S-1", "person": "p-ann", "time": "2026-03-02T09:01:00+01:00"}),
        ),
    )
    .expect("checked in");
}

#[test]
fn org_3_a_huge_unit_cost_is_refused_and_reports_never_panic() {
    let mut l = ledger();
    for (name, value) in [
        ("unit_cost_per_participant_hour", json!("7922816251426433759354395033")),
        ("unit_cost_per_participant_hour", json!("-1")),
        ("unit_cost_per_participant_hour", json!("100000.01")),
        ("unit_cost_per_participant_hour", json!("1.0000001")),
        ("project_subsidy_cap", json!("-5")),
        ("project_subsidy_cap", json!("1000000000000.01")),
        ("min_presence_ratio", json!("5")),
        ("max_participant_hours_per_day", json!("0")),
        ("max_participant_hours_per_day", json!("7922816251426433759354395033")),
        ("check_in_early_minutes", json!(100000)),
    ] {
        let (code, rule, msg) = refused(
            &mut l,
            &system(
                json!({"type": "set_parameter", "call": "call-472", "valid_from": "2026-01-01",
                "parameter": {"name": name, "value": value}}),
            ),
        );
        assert_eq!(
            (code.as_str(), rule.as_str()),
            ("invalid_parameter", "ORG-3"),
            "{name} {value}: {msg}"
        );
        assert!(msg.contains(name), "names the parameter: {msg}");
        assert!(msg.contains("..=") || msg.contains("(0, 24]"), "names the range: {msg}");
    }
    // The largest allowed values count without overflow.
    for (name, value) in [
        ("unit_cost_per_participant_hour", json!("100000")),
        ("max_participant_hours_per_day", json!("24")),
        ("min_presence_ratio", json!("1")),
    ] {
        apply(
            &mut l,
            &system(
                json!({"type": "set_parameter", "call": "call-472", "valid_from": "2026-01-01",
                "parameter": {"name": name, "value": value}}),
            ),
        )
        .expect("the top of the range is accepted");
    }
    with_session(&mut l);
    let report = query::run_on_ledger(
        &l,
        &json!({"actor": "system", "at": "2026-03-02T11:00:00+01:00", "query": {"type": "report", "project": "P-1"}}),
    )
    .expect("a report");
    assert!(report.to_string().contains("100000"), "{report}");
}

fn records(params: Value, sessions: Value) -> String {
    json!({"project": "P-1", "params": params, "sessions": sessions}).to_string()
}

fn session(start: &str, end: &str, intervals: Value) -> Value {
    json!([{"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": start, "end": end,
        "status": "Executed", "participants": [{"person": "p-ann", "intervals": intervals}]}])
}

fn ok_session() -> Value {
    session(
        "09:00",
        "12:00",
        json!([{"check_in": "2026-03-02T08:00:00Z", "check_out": "2026-03-02T11:00:00Z"}]),
    )
}

fn param(name: &str, value: Value) -> Value {
    json!({name: {"2026-01-01": {"name": name, "value": value}}})
}

fn records_refused(text: &str) -> (String, String, String) {
    let at = "2026-04-01T00:00:00Z".parse().expect("instant");
    match tijdreg::subsidy::report_json(text, at) {
        Err(e) => (e.code().to_owned(), e.rule().to_owned(), messages(&e)),
        Ok(r) => panic!("accepted records ({} lines): {text}", r.lines().len()),
    }
}

#[test]
fn org_3_records_are_checked_as_the_ledger_checks_commands() {
    let at = "2026-04-01T00:00:00Z".parse().expect("instant");
    let ok = records(param("unit_cost_per_participant_hour", json!("100000")), ok_session());
    let r = tijdreg::subsidy::report_json(&ok, at).expect("the top of the range counts");
    assert_eq!(r.amounts.total.to_string(), "300000.00");

    for (name, value) in [
        ("unit_cost_per_participant_hour", json!("7922816251426433759354395033")),
        ("unit_cost_per_participant_hour", json!("-1")),
        ("project_subsidy_cap", json!("-1")),
        ("min_presence_ratio", json!("5")),
        ("max_participant_hours_per_day", json!("7922816251426433759354395033")),
    ] {
        let (code, rule, msg) = records_refused(&records(param(name, value.clone()), ok_session()));
        assert_eq!(
            (code.as_str(), rule.as_str()),
            ("invalid_parameter", "ORG-3"),
            "{name} {value}: {msg}"
        );
        assert!(!msg.contains("79228162514264"), "no echo: {msg}");
    }
    // A parameter under an unknown name.
    let (code, _, msg) = records_refused(&records(param("unit_cost", json!("12")), ok_session()));
    assert_eq!(code, "invalid_input", "{msg}");
    assert!(msg.contains("params"), "names the field: {msg}");
    // A key that is not the parameter's name.
    let mixed = json!({"unit_cost_per_participant_hour": {"2026-01-01":
        {"name": "min_presence_ratio", "value": "0.5"}}});
    let (code, _, msg) = records_refused(&records(mixed, ok_session()));
    assert!(code == "invalid_parameter" || code == "invalid_input", "{code}: {msg}");

    // A session that ends before it starts; a check-out before its check-in.
    let (code, rule, msg) = records_refused(&records(json!({}), session("12:00", "09:00", json!([]))));
    assert_eq!((code.as_str(), rule.as_str()), ("invalid_record", "SES-1"), "{msg}");
    assert!(msg.contains("S-1"), "names the session: {msg}");
    let backwards = json!([{"check_in": "2026-03-02T10:00:00Z", "check_out": "2026-03-02T09:00:00Z"}]);
    let (code, _, msg) = records_refused(&records(json!({}), session("09:00", "12:00", backwards)));
    assert_eq!(code, "invalid_record", "{msg}");
    assert!(msg.contains("S-1") && msg.contains("p-ann"), "names the record: {msg}");
}

#[test]
fn id_3_a_national_number_never_comes_back_in_an_error() {
    let mut l = ledger();
    // A JSON number where the INSZ goes (what a spreadsheet import produces).
    let text = system(
        json!({"type": "register_person", "person": "p-x", "name": "X", "email": "x@example.be", "insz": 85073003328u64}),
    );
    let (code, _, msg) = refused(&mut l, &text);
    assert_eq!(code, "invalid_input");
    assert_no_insz("number insz", &msg);
    assert!(msg.contains("insz"), "names the field: {msg}");
    // Wrong check digits, in every formatting.
    for bad in ["85073003329", "85.07.30-033.29", "8507300332", "850730033289"] {
        let text = system(
            json!({"type": "register_person", "person": "p-x", "name": "X", "email": "x@example.be", "insz": bad}),
        );
        let (_, _, msg) = refused(&mut l, &text);
        assert_no_insz("bad insz", &msg.replace("85073003329", "<bad>"));
        assert!(!msg.contains("85073003329") && !msg.contains("033.29"), "{msg}");
    }
    // An INSZ as an opaque id is refused (ID-3), and not echoed.
    for id in [INSZ, "85.07.30-033.28", "85 07 30 033 28"] {
        let (code, rule, msg) = refused(
            &mut l,
            &system(json!({"type": "add_participant", "session": "S-1", "person": id})),
        );
        assert_eq!(code, "invalid_id", "{id}: {msg}");
        // A number with spaces already breaks the id alphabet (AUD-3).
        assert!(rule == "ID-3" || id.contains(' '), "{id}: {rule} {msg}");
        assert_no_insz("insz as id", &msg);
    }
    // Unknown variants and bad decimals are named, not echoed.
    let (code, _, msg) = refused(&mut l, &system(json!({"type": "register_person_85073003328"})));
    assert_eq!(code, "invalid_input");
    assert_no_insz("unknown variant", &msg);
    let (_, _, msg) = refused(
        &mut l,
        &system(
            json!({"type": "set_parameter", "call": "call-472", "valid_from": "2026-01-01",
            "parameter": {"name": "unit_cost_per_participant_hour", "value": "85073003328x"}}),
        ),
    );
    assert_no_insz("bad decimal", &msg);
}

#[test]
fn id_3_preview_what_if_and_queries_mask_the_national_number() {
    let mut l = ledger();
    let text = system(
        json!({"type": "register_person", "person": "p-new", "name": "Nieuw", "email": "n@example.be", "insz": "17073003384"}),
    );
    let env = Envelope::from_json(&text).expect("envelope");
    let preview = serde_json::to_string(&l.preview(&env).expect("preview")).expect("json");
    assert!(
        !preview.contains("17073003384") && !preview.contains("003.84"),
        "{preview}"
    );
    assert!(preview.contains("17.07.30-xxx.xx"), "masked form: {preview}");
    let what_if = query::run_on_ledger(
        &l,
        &json!({"actor": "system", "at": "2026-01-05T08:00:00+01:00", "query": {"type": "what_if", "command": serde_json::from_str::<Value>(&text).expect("json")["command"]}}),
    )
    .expect("what-if");
    let what_if = what_if.to_string();
    assert!(
        !what_if.contains("17073003384") && !what_if.contains("003.84"),
        "{what_if}"
    );
    // Storage keeps the number (ADR 06).
    l.apply(&env).expect("registered");
    assert!(l.events_jsonl().contains("17073003384"));
    // Every query answer about the person masks it.
    for q in [
        json!({"type": "mlp_completeness", "project": "P-1"}),
        json!({"type": "archive"}),
    ] {
        if let Ok(v) = query::run_on_ledger(
            &l,
            &json!({"actor": "system", "at": "2026-01-05T08:00:00+01:00", "query": q}),
        ) {
            assert_no_insz("query", &v.to_string());
        }
    }
}

#[test]
fn id_4_one_person_per_national_number() {
    let mut l = ledger();
    // p-ann holds 85.07.30-033.28 in the fixture; any formatting is the same number.
    for insz in [INSZ, "85.07.30-033.28"] {
        let text = system(
            json!({"type": "register_person", "person": "p-twin", "name": "Twin", "email": "t@example.be", "insz": insz}),
        );
        let (code, rule, msg) = refused(&mut l, &text);
        assert_eq!(
            (code.as_str(), rule.as_str()),
            ("duplicate_national_number", "ID-4"),
            "{msg}"
        );
        assert_no_insz("duplicate", &msg);
        assert!(msg.contains("p-ann"), "system may see the existing person: {msg}");
    }
    // A BIS number is its own number; registering it twice is refused as well.
    let bis = |p: &str| {
        system(
            json!({"type": "register_person", "person": p, "name": "Bis", "email": "b@example.be", "insz": "98472899765"}),
        )
    };
    apply(&mut l, &bis("p-bis")).expect("first BIS");
    let (code, _, _) = refused(&mut l, &bis("p-bis2"));
    assert_eq!(code, "duplicate_national_number");
    // The number is free again for nobody: the state still holds one person per number.
    let people: Vec<_> = l.state().persons.values().filter(|p| p.insz.is_some()).collect();
    let mut numbers: Vec<_> = people
        .iter()
        .filter_map(|p| p.insz.as_ref())
        .map(|i| i.reveal().to_owned())
        .collect();
    numbers.sort();
    let n = numbers.len();
    numbers.dedup();
    assert_eq!(n, numbers.len());
}

#[test]
fn limits_ids_names_and_dates() {
    let mut l = ledger();
    let long = "a".repeat(129);
    for bad in ["", " ", "p-x ", " p-x", "p\u{0}x", "p\u{202e}x", "p x", long.as_str()] {
        let text = system(json!({"type": "register_person", "person": bad, "name": "X", "email": "x@example.be"}));
        let (code, rule, msg) = refused(&mut l, &text);
        assert_eq!(
            (code.as_str(), rule.as_str()),
            ("invalid_id", "AUD-3"),
            "{bad:?}: {msg}"
        );
        assert!(msg.contains("command.person"), "names the field: {msg}");
    }
    let big = "x".repeat(10 * 1024 * 1024);
    for bad in ["", "   ", "Ann\u{0}", "Ann\u{202e}", big.as_str()] {
        let text = system(json!({"type": "register_person", "person": "p-x", "name": bad, "email": "x@example.be"}));
        let (code, _, msg) = refused(&mut l, &text);
        assert!(
            code == "invalid_name" || code == "invalid_input",
            "{code}: {}",
            &msg[..msg.len().min(200)]
        );
        assert!(msg.len() < 2000, "no echo of a 10 MB name");
    }
    // Dates within 2000..=2099; no leap second.
    for (date, start) in [
        ("0000-03-02", "09:00"),
        ("+99999-03-02", "09:00"),
        ("1999-12-31", "09:00"),
        ("2026-03-02", "23:59:60"),
    ] {
        let text = system(json!({"type": "plan_session", "session": "S-9", "training": "T-1",
            "date": date, "start": start, "end": "23:59", "trainers": ["p-tom"]}));
        let (code, _, msg) = refused(&mut l, &text);
        assert!(
            code == "invalid_input" || code == "invalid_session_times",
            "{date} {start}: {code} {msg}"
        );
    }
    let el = step(
        "p-lotte",
        "2026-03-02T18:00:00+01:00",
        json!({"type": "enter_elearning_hours", "entry": "E-9",
        "training": "T-2", "date": "0001-01-01", "minutes": 60}),
    );
    let (code, _, msg) = refused(&mut l, &el);
    assert!(code == "invalid_input" || code == "invalid_entry", "{code}: {msg}");
    // Instants outside the years are refused too.
    let at = step(
        "system",
        "+99999-01-05T08:00:00+01:00",
        json!({"type": "create_call", "call": "call-9", "name": "Negen"}),
    );
    let (code, _, msg) = refused(&mut l, &at);
    assert_eq!(code, "invalid_input", "{msg}");
}

#[test]
fn limits_collections() {
    let mut l = ledger();
    let trainers: Vec<String> = (0..101).map(|i| format!("p-t{i}")).collect();
    let text = system(json!({"type": "plan_session", "session": "S-9", "training": "T-1",
        "date": "2026-03-02", "start": "09:00", "end": "12:00", "trainers": trainers}));
    let (code, _, msg) = refused(&mut l, &text);
    assert_eq!(code, "invalid_input", "{msg}");
    assert!(
        msg.contains("trainers") && msg.contains("100"),
        "names the field and the limit: {msg}"
    );
    let breaks: Vec<Value> = (0..101).map(|_| json!({"start": "10:00", "end": "10:01"})).collect();
    let text = system(json!({"type": "plan_session", "session": "S-9", "training": "T-1",
        "date": "2026-03-02", "start": "09:00", "end": "12:00", "trainers": ["p-tom"], "breaks": breaks}));
    let (code, _, msg) = refused(&mut l, &text);
    assert_eq!(code, "invalid_input", "{msg}");
    assert!(msg.contains("breaks"), "{msg}");
}

#[test]
fn csv_cells_cannot_become_formulas() {
    // Ids cannot start with a formula character (their alphabet); names and texts can, so
    // the CSV export neutralises every cell that starts with =, +, -, @, tab or CR (OWASP).
    let mut l = ledger();
    with_session(&mut l);
    let report = tijdreg::ledger::report::report(
        l.state(),
        &tijdreg::ledger::Actor::System,
        "2026-03-02T11:00:00+01:00".parse().expect("instant"),
        &tijdreg::ids::ProjectId::parse("P-1").expect("id"),
    )
    .expect("report");
    let csv = report.to_csv();
    assert_eq!(csv, tijdreg_workspace::oracle::csv(&report));
    for line in csv.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_matches('"');
            assert!(!cell.starts_with(['=', '+', '@', '\t', '\r']), "{line}");
            if cell.starts_with('-') {
                assert!(cell.parse::<f64>().is_ok(), "only numbers may start with '-': {line}");
            }
        }
    }
    assert_eq!(
        tijdreg::subsidy::csv_cell("=HYPERLINK(\"x\")"),
        "\"'=HYPERLINK(\"\"x\"\")\""
    );
    assert_eq!(tijdreg::subsidy::csv_cell("+32 9 123"), "\"'+32 9 123\"");
    assert_eq!(tijdreg::subsidy::csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
    assert_eq!(tijdreg::subsidy::csv_cell("-1+1"), "\"'-1+1\"");
    assert_eq!(tijdreg::subsidy::csv_cell("\tx"), "\"'\tx\"");
    assert_eq!(tijdreg::subsidy::csv_cell("a,b"), "\"a,b\"");
    assert_eq!(tijdreg::subsidy::csv_cell("plain"), "plain");
}

mod insz_never_leaks {
    //! ID-3 as a property: random command streams with random national numbers, in random
    //! formatting, in every field where a string fits. No refusal (English, Dutch, Display,
    //! Debug), preview, what-if, query answer, report (JSON, CSV, explanation) or snapshot
    //! header holds the number in any formatting; the event log and the snapshot keep it.
    use super::*;
    use proptest::prelude::*;

    fn insz(seed: u64) -> String {
        let year = 1930 + (seed % 95) as u32;
        let month = 1 + (seed / 97 % 12) as u32;
        let day = 1 + (seed / 1201 % 28) as u32;
        let seq = 1 + (seed / 33_641 % 997) as u32;
        let first9 =
            u64::from(year % 100) * 10_000_000 + u64::from(month) * 100_000 + u64::from(day) * 1000 + u64::from(seq);
        let base = if year >= 2000 { 2_000_000_000 + first9 } else { first9 };
        format!("{first9:09}{:02}", 97 - base % 97)
    }

    fn shapes(n: &str) -> [String; 3] {
        let g = |a: usize, b: usize| &n[a..b];
        [
            n.to_owned(),
            format!("{}.{}.{}-{}.{}", g(0, 2), g(2, 4), g(4, 6), g(6, 9), g(9, 11)),
            format!("{} {} {} {} {}", g(0, 2), g(2, 4), g(4, 6), g(6, 9), g(9, 11)),
        ]
    }

    fn forbidden(n: &str) -> Vec<String> {
        let mut v = shapes(n).to_vec();
        v.push(n[6..].to_owned());
        v.push(format!("{}.{}", &n[6..9], &n[9..11]));
        v
    }

    fn command(kind: u8, x: &str) -> (&'static str, Value) {
        match kind % 16 {
            0 => (
                "system",
                json!({"type": "register_person", "person": "p-new", "name": "Nieuw", "email": "n@example.be", "insz": x}),
            ),
            1 => (
                "system",
                json!({"type": "register_person", "person": x, "name": "Nieuw", "email": "n@example.be"}),
            ),
            2 => (
                "system",
                json!({"type": "register_person", "person": "p-n2", "name": x, "email": "n@example.be"}),
            ),
            3 => (
                "system",
                json!({"type": "register_person", "person": "p-n3", "name": "N", "email": x}),
            ),
            4 => (
                "system",
                json!({"type": "create_organisation", "organisation": x, "name": x}),
            ),
            5 => (
                "p-olivia",
                json!({"type": "plan_session", "session": x, "training": "T-1", "date": "2026-03-03", "start": "09:00", "end": "12:00", "trainers": ["p-tom"]}),
            ),
            6 => (
                "p-olivia",
                json!({"type": "plan_session", "session": "S-9", "training": "T-1", "date": "2026-03-03", "start": "09:00", "end": "12:00", "location": x}),
            ),
            7 => (
                "p-olivia",
                json!({"type": "add_participant", "session": "S-1", "person": x}),
            ),
            8 => ("p-tom", json!({"type": "check_in", "session": "S-1", "token": x})),
            9 => ("p-tom", json!({"type": "check_in", "session": x, "person": "p-ann"})),
            10 => (
                "p-olivia",
                json!({"type": "report_problem", "session": "S-1", "description": x}),
            ),
            11 => (
                "p-sup",
                json!({"type": "reject_elearning_entry", "entry": "E-1", "reason": x}),
            ),
            12 => (
                "p-olivia",
                json!({"type": "set_mlp_profile", "project": "P-1", "person": "p-ann", "fields": {x: x}}),
            ),
            13 => (
                "system",
                json!({"type": "set_parameter", "call": "call-472", "valid_from": "2026-01-01", "parameter": {"name": "unit_cost_per_participant_hour", "value": x}}),
            ),
            14 => (
                "system",
                json!({"type": "set_parameter", "call": "call-472", "valid_from": "2026-01-01", "parameter": {"name": x, "value": "1"}}),
            ),
            _ => ("system", json!({"type": x})),
        }
    }

    /// The text with its hex digests (hashes, fingerprints: runs of 16 or more hex characters
    /// with a letter among them) left out: they hold any five digits now and then by chance.
    /// A national number written as digits is never such a run.
    fn without_digests(text: &str) -> String {
        let b = text.as_bytes();
        let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < b.len() {
            let mut j = i;
            while b.get(j).is_some_and(|&c| hex(c)) {
                j += 1;
            }
            let run = b.get(i..j).unwrap_or(&[]);
            if run.len() >= 16 && run.iter().any(u8::is_ascii_alphabetic) {
                out.push('#');
            } else if j > i {
                out.push_str(text.get(i..j).unwrap_or(""));
            } else if let Some(c) = text.get(i..).and_then(|t| t.chars().next()) {
                out.push(c);
                j = i + c.len_utf8();
            }
            i = j;
        }
        out
    }

    fn check(what: &str, text: &str, bad: &[String]) -> Result<(), TestCaseError> {
        let text = &without_digests(text);
        for b in bad {
            prop_assert!(
                !text.contains(b.as_str()),
                "{} shows the national number ({}): {}",
                what,
                b,
                text
            );
        }
        Ok(())
    }

    fn queries(x: &str) -> Vec<Value> {
        vec![
            json!({"type": "report", "project": "P-1"}),
            json!({"type": "report", "project": x}),
            json!({"type": "session", "session": x}),
            json!({"type": "archive"}),
            json!({"type": "mlp_completeness", "project": "P-1"}),
        ]
    }

    #[test]
    fn the_generator_makes_valid_numbers_in_every_shape_and_the_check_sees_them() {
        for seed in [0u64, 1, 97, 123_456_789, u64::MAX] {
            let n = insz(seed);
            for s in shapes(&n) {
                let parsed = tijdreg::identity::Insz::parse(&s.replace(' ', "")).expect("valid");
                assert_eq!(parsed.reveal(), n);
            }
            assert!(check("x", &format!("stored {n} here"), &forbidden(&n)).is_err());
        }
        // A digest that holds a number's last five digits by chance is no leak (seen: a
        // receipt's parameters hash with "16608"); the same digits on their own still are.
        let n = insz(10_082_927_716_871_081_886);
        let digest = format!(
            "\"parameters_hash\":\"e7eb4fc947b50cf5b7c7132968{}d1589b42a9b29879a0a4536adcd4\"",
            &n[6..]
        );
        assert!(check("x", &digest, &forbidden(&n)).is_ok());
        assert!(check("x", &format!("serial {}", &n[6..]), &forbidden(&n)).is_err());
        // Storage keeps a registered number, so the property's final check has teeth.
        let mut l = ledger();
        let n = insz(42);
        let (actor, cmd) = command(0, &n);
        apply(&mut l, &step(actor, "2026-03-02T10:00:00+01:00", cmd)).expect("registered");
        assert!(l.events_jsonl().contains(&n));
        assert!(!format!("{:?}", l.state()).contains(&n));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
        #[test]
        fn id_3_no_output_holds_a_national_number(
            ops in prop::collection::vec((any::<u64>(), 0u8..3, any::<u8>(), any::<bool>()), 1..12),
        ) {
            let mut l = ledger();
            with_session(&mut l);
            let mut stored = Vec::new();
            for (seed, shape, kind, as_query) in ops {
                let n = insz(seed);
                let x = shapes(&n)[usize::from(shape)].clone();
                let bad = forbidden(&n);
                let (actor, cmd) = command(kind, &x);
                let text = step(actor, "2026-03-02T10:00:00+01:00", cmd.clone());
                if as_query {
                    let what_if = json!({"actor": actor, "at": "2026-03-02T10:00:00+01:00", "query": {"type": "what_if", "command": cmd}});
                    let mut asked = vec![what_if];
                    asked.extend(queries(&x).into_iter().map(|q| json!({"actor": actor, "at": "2026-03-02T10:00:00+01:00", "query": q})));
                    for q in asked {
                        match query::run_on_ledger(&l, &q) {
                            Ok(v) => check("a query answer", &v.to_string(), &bad)?,
                            Err(e) => check("a query refusal", &messages(&e), &bad)?,
                        }
                    }
                    continue;
                }
                match Envelope::from_json(&text) {
                    Err(e) => check("a decode refusal", &messages(&e), &bad)?,
                    Ok(env) => {
                        match l.preview(&env) {
                            Ok(p) => check("a preview", &serde_json::to_string(&p).expect("json"), &bad)?,
                            Err(e) => check("a preview refusal", &messages(&e), &bad)?,
                        }
                        match l.apply(&env) {
                            Ok(out) => {
                                check("accepted events (Debug)", &format!("{:?}", out.events), &bad)?;
                                if kind % 16 == 0 {
                                    stored.push(n.clone());
                                }
                            }
                            Err(e) => check("a refusal", &messages(&e), &bad)?,
                        }
                    }
                }
            }
            let at = "2026-03-02T11:00:00+01:00".parse().expect("instant");
            let p1 = tijdreg::ids::ProjectId::parse("P-1").expect("id");
            let r = tijdreg::ledger::report::report(l.state(), &tijdreg::ledger::Actor::System, at, &p1).expect("report");
            let outputs = [r.to_csv(), r.explain(), serde_json::to_string(&r).expect("json"), format!("{:?}", l.state())];
            for n in &stored {
                let bad = forbidden(n);
                for o in &outputs {
                    check("a report or the state's Debug", o, &bad)?;
                }
                // Storage keeps it (ADR 06).
                prop_assert!(l.events_jsonl().contains(n.as_str()));
            }
        }
    }
}

#[test]
fn aud_3_decode_errors_name_the_field_in_both_languages_without_the_value() {
    let mut l = ledger();
    for (text, field) in [
        (
            r#"{"command_id":"d1","actor":"p-lotte","at":"2026-03-02T18:00:00+01:00","command":{"type":"enter_elearning_hours","entry":"E-9","training":"T-2","date":"2026-03-02","minutes":99999999999}}"#,
            "command.minutes",
        ),
        (
            r#"{"command_id":"d2","actor":"system","at":"2026-03-02T18:00:00+01:00","command":{"type":"correct_attendance","session":"S-1","person":"p-ann","intervals":[{"check_in":"2026-03-02T08:00:00Z","check_out":"2026-03-02T09:00:00Z"},{"check_in":"2026-03-02T10:00:00Z","check_out":"yesterday"}]}}"#,
            "command.intervals[1].check_out",
        ),
        (
            r#"{"command_id":"d3","actor":"system","at":"2026-03-02T18:00:00+01:00","command":{"type":"add_training","training":"T-9","project":"P-1","code":"X","name":"X","kind":"Webinar"}}"#,
            "command.kind",
        ),
        (
            r#"{"command_id":"d4","actor":"system","at":true,"command":{"type":"create_call","call":"c","name":"c"}}"#,
            "at",
        ),
    ] {
        let (code, _, msg) = refused(&mut l, text);
        assert_eq!(code, "invalid_input", "{msg}");
        let parts: Vec<&str> = msg.split(" | ").collect();
        let (en, nl) = (parts[0], parts[1]);
        assert!(en.contains(field) && nl.contains(field), "names {field}: {msg}");
        for raw in [
            "99999999999",
            "yesterday",
            "Webinar",
            "line 1",
            "column",
            "expected ident",
            "u32",
        ] {
            assert!(!en.contains(raw) && !nl.contains(raw), "raw text {raw:?}: {msg}");
        }
        for english in ["expected", "invalid type", "unknown variant", "out of range"] {
            assert!(!nl.contains(english), "the Dutch message is Dutch: {nl}");
        }
    }
}
