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
