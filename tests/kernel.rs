//! The counting kernel against the reference implementation (`tests/support/oracle.rs`, the
//! simple line-by-line counting that preceded it) on random plain records: overlapping
//! sessions, several intervals, zero-length and out-of-window intervals, breaks, absences,
//! unsorted participants, e-learning with and without times, daylight-saving days, dated
//! parameters, rounding in all directions, daily caps, minimum presence, project caps.
//! Rules SUB-1..SUB-9 (their order), AUD-4; and the totals path = the report's sums.

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tijdreg::subsidy::{Records, report, totals};

const DAYS: &[&str] = &["2026-03-02", "2026-03-03", "2026-03-29", "2026-10-25"];
/// Short ids, and long ones that share their first 16 bytes (the kernel sorts by a 16-byte
/// prefix and compares the rest only when it must): "participant-0000" is exactly 16 bytes.
const PEOPLE: &[&str] = &[
    "p-ann",
    "p-bart",
    "participant-0000",
    "participant-00001",
    "participant-0000-z",
];

/// A session id: short, or long with a shared 16-byte prefix (one of them exactly the prefix).
fn session_id(id: u8) -> String {
    match id % 3 {
        0 => format!("S-{id}"),
        _ if id == 1 => "session-long-id-".to_owned(),
        _ => format!("session-long-id-{id}"),
    }
}

/// A participant: person, absent, intervals (offset, length in minutes), unused.
type Part = (usize, bool, Vec<(i32, i32)>, bool);
/// An e-learning entry: person, day, minutes, start, status, training.
type Entry = (usize, usize, u32, Option<u32>, u8, u8);

#[derive(Clone, Debug)]
struct Sess {
    id: u8,
    training: u8,
    day: usize,
    start: u32,
    len: u32,
    breaks: Vec<(u32, u32)>,
    status: u8,
    parts: Vec<Part>,
}

fn session() -> impl Strategy<Value = Sess> {
    (
        0u8..30,
        0u8..3,
        0usize..DAYS.len(),
        (7u32 * 60)..(19 * 60),
        prop::sample::select(vec![15u32, 45, 60, 90, 150, 180, 240]),
        prop::collection::vec((0u32..240, 1u32..30), 0..3),
        0u8..4,
        prop::collection::vec(
            (
                0usize..PEOPLE.len(),
                any::<bool>(),
                prop::collection::vec((-70i32..260, 0i32..200), 0..4),
                any::<bool>(),
            ),
            0..5,
        ),
    )
        .prop_map(|(id, training, day, start, len, breaks, status, parts)| Sess {
            id,
            training,
            day,
            start,
            len,
            breaks,
            status,
            parts,
        })
}

fn hm(m: u32) -> String {
    format!("{:02}:{:02}:00", m / 60, m % 60)
}

fn records(sessions: &[Sess], entries: &[Entry], params: &Value) -> Option<Records> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for s in sessions {
        if !seen.insert(s.id) {
            continue;
        }
        let date: NaiveDate = DAYS[s.day].parse().ok()?;
        // Keep clear of the spring gap (02:00–03:00 on 29 March).
        let end = (s.start + s.len).min(23 * 60 + 59);
        // Breaks inside, sorted, apart.
        let mut breaks = Vec::new();
        let mut cursor = s.start + 1;
        let mut bs: Vec<(u32, u32)> = s.breaks.clone();
        bs.sort();
        for (off, len) in bs {
            let b0 = (s.start + off).max(cursor);
            let b1 = b0 + len;
            if b1 < end {
                breaks.push(json!({"start": hm(b0), "end": hm(b1)}));
                cursor = b1 + 1;
            }
        }
        let start_at = Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)) + Duration::minutes(i64::from(s.start))
            - Duration::hours(1);
        let mut persons = std::collections::BTreeSet::new();
        let mut parts = Vec::new();
        for (p, absent, ints, _) in &s.parts {
            if !persons.insert(*p) {
                continue;
            }
            let intervals: Vec<Value> = ints
                .iter()
                .map(|(a, l)| {
                    let ci = start_at + Duration::minutes(i64::from(*a)) + Duration::seconds(i64::from(*l % 7) * 13);
                    let co = ci + Duration::minutes(i64::from(*l)) + Duration::seconds(i64::from(*a).rem_euclid(60));
                    json!({"check_in": ci, "check_out": co, "late": l % 5 == 0})
                })
                .collect();
            parts
                .push(json!({"person": PEOPLE[*p], "absent": *absent && intervals.is_empty(), "intervals": intervals}));
        }
        out.push(json!({
            "id": session_id(s.id), "training": format!("T-{}", s.training), "date": DAYS[s.day],
            "start": hm(s.start), "end": hm(end), "breaks": breaks,
            "status": (["Planned", "InProgress", "Executed", "Submitted"][usize::from(s.status)]),
            "participants": parts,
        }));
    }
    let el: Vec<Value> = entries
        .iter()
        .enumerate()
        .map(|(i, (p, d, minutes, start, status, t))| {
            let mut e = json!({"id": format!("E-{i}"), "person": PEOPLE[*p], "training": format!("T-{t}"),
                "date": DAYS[*d], "minutes": minutes, "status": (["Pending", "Approved", "Rejected", "Approved"][usize::from(*status)])});
            if let Some(s) = start {
                let s = (*s).clamp(4 * 60, 23 * 60 - minutes.min(&(18 * 60)));
                e["start"] = json!(hm(s));
            }
            e
        })
        .collect();
    let doc = json!({"project": "P-1", "params": params, "sessions": out, "elearning": el, "closures": ["2026-03-03"]});
    match Records::from_json(&doc.to_string()).and_then(|r| r.compact().map(|_| r)) {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("SKIP {}", e.message_en());
            None
        }
    }
}

fn params() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["12.00", "13.37", "7.5", "20"]),
        prop::option::of(prop::sample::select(vec!["14.25", "9.99"])),
        prop::sample::select(vec![
            (1u32, "down"),
            (5, "down"),
            (15, "up"),
            (15, "nearest"),
            (30, "nearest"),
            (1, "up"),
        ]),
        prop::sample::select(vec!["0", "0.5", "0.75", "0.3333333333"]),
        prop::option::of(prop::sample::select(vec!["2", "4.5", "8", "0.25"])),
        prop::option::of(prop::sample::select(vec!["50.00", "1000"])),
        any::<bool>(),
    )
        .prop_map(|(uc, uc2, (rm, rd), ratio, cap_h, cap, shares)| {
            let one = |name: &str, v: Value| json!({"2026-01-01": {"name": name, "value": v}});
            let mut unit = json!({"2026-01-01": {"name": "unit_cost_per_participant_hour", "value": uc}});
            if let Some(u2) = uc2 {
                unit["2026-03-03"] = json!({"name": "unit_cost_per_participant_hour", "value": u2});
            }
            let mut p = json!({
                "unit_cost_per_participant_hour": unit,
                "rounding": one("rounding", json!({"minutes": rm, "direction": rd})),
                "min_presence_ratio": one("min_presence_ratio", json!(ratio)),
                "max_participant_hours_per_day": one("max_participant_hours_per_day", json!(cap_h)),
                "project_subsidy_cap": one("project_subsidy_cap", json!(cap)),
            });
            if shares {
                p["shares"] = one("shares", json!({"esf": "0.5", "flemish": "0.25", "own": "0.25"}));
            }
            p
        })
}

fn without_scope(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("scope");
    }
    v
}

thread_local! {
    static MEMO: std::cell::RefCell<tijdreg::subsidy::ReceiptMemo> = std::cell::RefCell::default();
}

/// AUD-4: the memo answers a project of the same parameters, closures and years from the
/// hash before, and hashes anew when any of them differs.
#[test]
fn aud_4_receipt_memo_follows_parameters_closures_and_years() {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("instant");
    let fresh = |r: &Records| totals(r, at).expect("totals");
    let base: Records = serde_json::from_value(json!({"project": "P-1", "sessions": [
        {"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00", "end": "12:00", "status": "Executed",
         "participants": [{"person": "p-ann", "intervals": [{"check_in": "2026-03-02T08:00:00Z", "check_out": "2026-03-02T11:00:00Z"}]}]}]}))
    .expect("records");
    let mut closed = base.clone();
    closed
        .closures
        .insert(NaiveDate::from_ymd_opt(2026, 7, 20).expect("date"));
    let mut next_year = base.clone();
    next_year.sessions[0].date = NaiveDate::from_ymd_opt(2027, 3, 1).expect("date");
    let mut paid = base.clone();
    paid.params.set(
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        tijdreg::params::ParamValue::UnitCostPerParticipantHour(Decimal::new(1500, 2)),
    );
    let mut memo = tijdreg::subsidy::ReceiptMemo::default();
    let mut hashes = Vec::new();
    for r in [&base, &base, &closed, &next_year, &paid, &base] {
        let got = tijdreg::subsidy::totals_compact_with(&r.compact().expect("compact"), at, &mut memo).expect("totals");
        assert_eq!(got, fresh(r));
        hashes.push(got.receipt.parameters_hash);
    }
    assert_eq!(hashes[0], hashes[1]);
    for h in &hashes[2..5] {
        assert_ne!(h, &hashes[0], "closures, years and parameters are in the hash");
    }
    assert_eq!(hashes[5], hashes[0]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// SUB-1..SUB-9 in the rulebook's order, AUD-4: the kernel's report is the reference report, field
    /// for field, text for text; and `totals` gives the report's sums.
    #[test]
    fn sub_kernel_agrees_with_the_reference(
        sessions in prop::collection::vec(session(), 0..14),
        entries in prop::collection::vec((0usize..PEOPLE.len(), 0usize..DAYS.len(), 1u32..600, prop::option::of(0u32..1440), 0u8..4, 0u8..3), 0..6),
        params in params(),
    ) {
        let Some(r) = records(&sessions, &entries, &params) else { return Ok(()) };
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("instant");
        let mine = report(&r, at).expect("kernel report");
        let reference = tijdreg_workspace::oracle::report(&r, at).expect("reference report");
        prop_assert_eq!(
            without_scope(serde_json::to_value(&mine).expect("json")),
            serde_json::to_value(&reference).expect("json")
        );
        // The streaming reader of records JSON gives the same records.
        let text = serde_json::to_string(&r).expect("json");
        let streamed = tijdreg::subsidy::compact_from_json(&text).expect("streamed");
        prop_assert_eq!(&streamed, &r.compact().expect("compact"));
        let sums = totals(&r, at).expect("totals");
        prop_assert_eq!(&sums, &mine.summary());
        // AUD-4: a receipt memo carried from case to case (other parameters, closures, years,
        // or the same) gives the same receipt as a fresh one.
        let memoised = MEMO.with(|m| {
            tijdreg::subsidy::totals_compact_with(&r.compact().expect("compact"), at, &mut m.borrow_mut())
        });
        prop_assert_eq!(&memoised.expect("totals"), &sums);
        // The CSV export, written straight into its text, is the simple writer's.
        prop_assert_eq!(mine.to_csv(), tijdreg_workspace::oracle::csv(&mine));
        // SUB-9: counted + excluded = planned on every line.
        for l in mine.lines().iter() {
            let ex: i64 = l.excluded().map(|e| e.seconds()).sum();
            prop_assert_eq!(l.counted_minutes() * 60 + ex, l.planned_seconds());
        }
        prop_assert_eq!(mine.amounts.esf + mine.amounts.flemish + mine.amounts.own, mine.amounts.total);
        // ARC-2, ADR 09: a view of every other session reads each kept line as the whole
        // project's report does, its SUB-6 stretches and SUB-5 cut included (only the name of
        // a session the view hides is left out of the texts, so the stretches are compared).
        let explained = |l: tijdreg::subsidy::Line<'_>| {
            let stretches: Vec<_> = l.excluded().map(|e| (e.rule(), e.from(), e.seconds())).collect();
            (l.source().to_owned(), l.person().as_str().to_owned(), l.counted_minutes(), stretches)
        };
        let whole: Vec<_> = mine.lines().iter().map(explained).collect();
        let mut view = mine.clone();
        let mut alternate = std::collections::BTreeMap::new();
        for l in mine.lines().iter() {
            let n = alternate.len();
            alternate.entry(l.source().to_owned()).or_insert(n % 2 == 0);
        }
        view.restrict(|s| alternate.get(s).copied().unwrap_or(false), |e| alternate.get(e).copied().unwrap_or(false));
        let kept: Vec<_> = view.lines().iter().map(explained).collect();
        let expected: Vec<_> = whole.iter().filter(|x| alternate.get(&x.0).copied().unwrap_or(false)).cloned().collect();
        prop_assert_eq!(kept, expected);
        prop_assert!(mine.amounts.total >= Decimal::ZERO);
    }
}

#[test]
fn generator_makes_rich_records() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut lines, mut made, mut sub6, mut cap, mut parts) = (0usize, 0usize, 0usize, 0usize, 0usize);
    for _ in 0..200 {
        let s = prop::collection::vec(session(), 0..14)
            .new_tree(&mut runner)
            .expect("tree")
            .current();
        let p = params().new_tree(&mut runner).expect("tree").current();
        if let Some(r) = records(&s, &[(0, 0, 90, None, 1, 0)], &p) {
            made += 1;
            let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("instant");
            let rep = report(&r, at).expect("report");
            lines += rep.lines().len();
            for l in rep.lines().iter() {
                for e in l.excluded() {
                    parts += 1;
                    match e.rule() {
                        "SUB-6" => sub6 += 1,
                        "SUB-5" => cap += 1,
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(made >= 190, "only {made} of 200 random record sets were valid");
    assert!(
        lines >= 1000 && sub6 >= 20 && cap >= 20 && parts >= 1000,
        "lines {lines}, SUB-6 {sub6}, SUB-5 {cap}, parts {parts}"
    );
}

/// AUD-3, ID-3: the streaming reader refuses what the typed one refuses, naming the path and
/// never the value; fields may come in any order.
#[test]
fn records_json_errors_and_field_order() {
    use tijdreg::subsidy::compact_from_json;
    let ok = r#"{"sessions": [{"participants": [{"intervals": [{"check_out": "2026-03-02T11:00:00Z", "check_in": "2026-03-02T08:12:00Z"}], "absent": false, "person": "p-ann"}],
        "status": "Executed", "id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00:00", "end": "12:00:00"}], "project": "P-1"}"#;
    let c = compact_from_json(ok).expect("any field order");
    assert_eq!(c.interval_count(), 1);
    let cases = [
        ("[]", "records: a list where an object was expected"),
        ("85073003328", "records: a number where an object was expected"),
        (
            r#"{"project": "P-1", "sessions": [{"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00:00", "end": "12:00:00", "status": "Executed",
            "participants": [{"person": "p-ann", "intervals": [{"check_in": "2026-03-02T08:12:00Z", "check_out": 85073003328}]}]}]}"#,
            "records.sessions[0].participants[0].intervals[0].check_out",
        ),
        (
            r#"{"project": "P-1", "sessions": [{"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00:00", "end": "12:00:00", "status": "Executed",
            "participants": [{"person": "85073003328"}]}]}"#,
            "national number",
        ),
        (
            r#"{"project": "P-1", "sessions": [{"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "12:00:00", "end": "09:00:00", "status": "Executed"}]}"#,
            "sessions[0] (session S-1)",
        ),
        (
            r#"{"project": "P-1", "sessions": [{"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00:00", "end": "12:00:00", "status": "Executed",
            "participants": [{"person": "p-ann", "intervals": [{"check_in": "2026-03-02T11:12:00Z", "check_out": "2026-03-02T09:00:00Z"}]}]}]}"#,
            "intervals[0].check_out",
        ),
        (r#"{"sessions": []}"#, "the field project is missing"),
        (
            r#"{"project": "P-1", "85073003328": 1}"#,
            "a field that does not belong here",
        ),
    ];
    for (json, want) in cases {
        let e = compact_from_json(json).map(|_| ()).expect_err(want);
        assert!(
            e.message_en().contains(want),
            "{} should contain {want}",
            e.message_en()
        );
        assert!(!e.message_en().contains("85073003328") && !e.message_nl().contains("85073003328"));
        // The typed reader agrees on the code.
        let typed = tijdreg::subsidy::Records::from_json(json)
            .and_then(|r| r.compact())
            .map(|_| ())
            .expect_err(want);
        assert_eq!(typed.code(), e.code(), "{json}");
    }
}

/// One attendance row: session row, person code, check-in, check-out, late, suspect, absent.
type Row = (u32, u32, i64, i64, bool, bool, bool);

/// SUB-1..9 through columns: the same records as tables (`tijdreg::subsidy::columns`), rows
/// shuffled, give the same report as the records, and a call split into projects gives each
/// project's report.
#[test]
fn sub_columns_give_the_records_report() {
    use tijdreg::subsidy::columns::{Attendance, BreakRow, CallColumns, Columns, ElearningRow, NO_INSTANT, SessionRow};
    // Rows shuffled, and rows as written (session by session in the sessions table's order,
    // which the call index takes as they are).
    for (seed, shuffled) in [(1u64, true), (2, true), (3, true), (1, false), (2, false)] {
        let r = tijdreg_workspace::synth::records(seed, 3_000);
        let at = Utc.with_ymd_and_hms(2027, 1, 31, 12, 0, 0).unwrap();
        let want = report(&r, at).expect("records report");
        let sessions: Vec<SessionRow<'_>> = r
            .sessions
            .iter()
            .map(|s| SessionRow {
                id: s.id.as_str(),
                training: s.training.as_str(),
                date: s.date,
                start: s.start,
                end: s.end,
                status: s.status,
            })
            .collect();
        let breaks: Vec<BreakRow> = r
            .sessions
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.breaks.iter().map(move |b| BreakRow {
                    session: i as u32,
                    start: b.start,
                    end: b.end,
                })
            })
            .collect();
        let mut persons: Vec<&str> = Vec::new();
        let mut rows: Vec<Row> = Vec::new();
        for (i, s) in r.sessions.iter().enumerate() {
            for p in &s.participants {
                let code = persons.iter().position(|x| *x == p.person.as_str()).unwrap_or_else(|| {
                    persons.push(p.person.as_str());
                    persons.len() - 1
                }) as u32;
                if p.intervals.is_empty() {
                    rows.push((i as u32, code, NO_INSTANT, NO_INSTANT, false, false, p.absent));
                }
                for iv in &p.intervals {
                    rows.push((
                        i as u32,
                        code,
                        iv.check_in.timestamp(),
                        iv.check_out.timestamp(),
                        iv.late,
                        iv.clock_suspect,
                        p.absent,
                    ));
                }
            }
        }
        // Any row order: reverse and interleave.
        if shuffled {
            rows.reverse();
            let n = rows.len();
            rows.rotate_left(n / 3);
        }
        let col = |f: fn(&Row) -> u32| rows.iter().map(f).collect::<Vec<_>>();
        let (session, person) = (col(|r| r.0), col(|r| r.1));
        let check_in: Vec<i64> = rows.iter().map(|r| r.2).collect();
        let check_out: Vec<i64> = rows.iter().map(|r| r.3).collect();
        let late: Vec<bool> = rows.iter().map(|r| r.4).collect();
        let suspect: Vec<bool> = rows.iter().map(|r| r.5).collect();
        let absent: Vec<bool> = rows.iter().map(|r| r.6).collect();
        let elearning: Vec<ElearningRow<'_>> = r
            .elearning
            .iter()
            .map(|e| ElearningRow {
                id: e.id.as_str(),
                person: e.person.as_str(),
                training: e.training.as_str(),
                date: e.date,
                minutes: e.minutes,
                start: e.start,
                status: e.status,
            })
            .collect();
        let closures: Vec<NaiveDate> = r.closures.iter().copied().collect();
        let columns = Columns {
            project: r.project.as_str(),
            params: &r.params,
            closures: &closures,
            sessions: &sessions,
            breaks: &breaks,
            persons: &persons,
            attendance: Attendance {
                session: &session,
                person: &person,
                check_in: &check_in,
                check_out: &check_out,
                late: Some(&late),
                clock_suspect: Some(&suspect),
                absent: Some(&absent),
            },
            elearning: &elearning,
        };
        let c = tijdreg::subsidy::columns::compact_from_columns(&columns).expect("columns");
        let got = tijdreg::subsidy::report_compact(&c, at).expect("columns report");
        assert_eq!(got.summary(), want.summary(), "seed {seed}");
        assert_eq!(got.lines().len(), want.lines().len());
        // As a call of one project.
        let call = CallColumns {
            projects: &[r.project.as_str()],
            session_project: &vec![0; sessions.len()],
            elearning_project: &vec![0; elearning.len()],
            columns,
        };
        let by_project = tijdreg::subsidy::columns::compacts_by_project(&call).expect("call");
        assert_eq!(
            tijdreg::subsidy::totals_compact(&by_project[0], at).expect("totals"),
            want.summary()
        );
        // As the second project of a call whose first session row belongs to another
        // project: breaks and attendance name global rows, renumbered per project.
        let mut sessions2 = vec![SessionRow {
            id: "S-other",
            training: "T-other",
            ..sessions[0]
        }];
        sessions2.extend_from_slice(&sessions);
        let breaks2: Vec<BreakRow> = breaks
            .iter()
            .map(|b| BreakRow {
                session: b.session + 1,
                ..*b
            })
            .collect();
        let session2: Vec<u32> = session.iter().map(|s| s + 1).collect();
        let mut session_project = vec![0u32];
        session_project.extend(std::iter::repeat_n(1u32, sessions.len()));
        let call2 = CallColumns {
            projects: &["P-other", r.project.as_str()],
            session_project: &session_project,
            elearning_project: &vec![1; elearning.len()],
            columns: Columns {
                sessions: &sessions2,
                breaks: &breaks2,
                attendance: Attendance {
                    session: &session2,
                    ..columns.attendance
                },
                ..columns
            },
        };
        let by_project = tijdreg::subsidy::columns::compacts_by_project(&call2).expect("call of two");
        assert_eq!(by_project.len(), 2);
        assert_eq!(
            tijdreg::subsidy::totals_compact(&by_project[1], at).expect("totals"),
            want.summary(),
            "seed {seed}"
        );
        // A call whose persons dictionary holds one entry per row (a person's id repeated, as
        // a bulk reader passes an id column as it is): persons are matched by id per project,
        // streamed one project at a time.
        let per_row: Vec<&str> = person.iter().map(|&c| persons[c as usize]).collect();
        let row_codes: Vec<u32> = (0..per_row.len() as u32).collect();
        let call3 = CallColumns {
            columns: Columns {
                persons: &per_row,
                attendance: Attendance {
                    person: &row_codes,
                    ..call2.columns.attendance
                },
                ..call2.columns
            },
            ..call2
        };
        let mut seen = Vec::new();
        tijdreg::subsidy::columns::each_project(&call3, |p, c| {
            seen.push((p, tijdreg::subsidy::totals_compact(&c, at)?));
            Ok(())
        })
        .expect("call with a person per row");
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1], (1, want.summary()), "seed {seed}");
        // Split by ranges of projects (as hosts split a call over threads): the same, in order.
        let mut split = Vec::new();
        for range in [0..1, 1..2, 2..9] {
            tijdreg::subsidy::columns::each_project_in(&call3, range, |p, c| {
                split.push((p, tijdreg::subsidy::totals_compact(&c, at)?));
                Ok(())
            })
            .expect("a range of the call");
        }
        assert_eq!(split, seen, "seed {seed}");
        // One index of the call shared by two threads, each walking its own range (as the
        // bindings count a call): the same, in order.
        let index = tijdreg::subsidy::columns::CallIndex::new(&call3).expect("index");
        let halves: Vec<Vec<_>> = std::thread::scope(|scope| {
            let index = &index;
            let walk = |range: std::ops::Range<usize>| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    index
                        .each_project_in(range, |p, c| {
                            out.push((p, tijdreg::subsidy::totals_compact(&c, at)?));
                            Ok(())
                        })
                        .expect("a range of the shared index");
                    out
                })
            };
            let (a, b) = (walk(0..1), walk(1..9));
            vec![a.join().expect("thread"), b.join().expect("thread")]
        });
        assert_eq!(halves.concat(), seen, "seed {seed}");
    }
}

/// The benchmarks' memory figure (docs/benchmarks.md) counts what the compact records hold:
/// it grows with every session, participant and interval.
#[test]
fn sub_1_compact_records_report_what_they_hold() {
    use tijdreg::ids::ProjectId;
    use tijdreg::session::SessionStatus;
    use tijdreg::subsidy::{Compact, CompactBuilder};
    let build = |n: u32| -> Compact {
        let mut b = CompactBuilder::new(ProjectId::new("P-1"));
        for i in 0..n {
            let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() + Duration::days(i64::from(i));
            let (start, end) = (
                NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            );
            b.session(&format!("S-{i}"), "T-1", date, start, end, &[], SessionStatus::Executed)
                .unwrap();
            b.participant(&format!("p-{i:0>98}"), false).unwrap(); // 100 characters
            let at = Utc.from_utc_datetime(&date.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap()));
            b.interval(at, at + Duration::hours(3), false).unwrap();
        }
        b.finish()
    };
    let (one, many) = (build(1), build(500));
    assert_eq!(
        (many.session_count(), many.participant_count(), many.interval_count()),
        (500, 500, 500)
    );
    // At least a session, a participant, an interval and a 100-byte name more per extra
    // session; and not much more (a name counts its bytes once).
    assert!(
        many.heap_bytes() >= one.heap_bytes() + 499 * 164,
        "{} vs {}",
        many.heap_bytes(),
        one.heap_bytes()
    );
    assert!(many.heap_bytes() < 500 * 1024, "{}", many.heap_bytes());
}

/// SES-1, AUD-3: a participant added again by the code the builder gave (no lookup of the id)
/// is the same person, counted alike; listed twice in one session, or a code from another
/// builder, it is refused as by id.
#[test]
fn ses_1_participants_added_again_by_code() {
    use tijdreg::ids::ProjectId;
    use tijdreg::session::SessionStatus;
    use tijdreg::subsidy::{CompactBuilder, totals_compact};
    let day = |i: i64| NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() + Duration::days(i);
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let at = |d: NaiveDate, h| Utc.from_utc_datetime(&d.and_time(t(h)));
    let build = |again: bool| {
        let mut b = CompactBuilder::new(ProjectId::new("P-1"));
        let mut code = None;
        for i in 0..3 {
            b.session(
                &format!("S-{i}"),
                "T-1",
                day(i),
                t(9),
                t(12),
                &[],
                SessionStatus::Executed,
            )
            .unwrap();
            match code {
                Some(c) if again => b.participant_again(c, false).unwrap(),
                _ => b.participant("p-ann", false).unwrap(),
            }
            code = b.last_person();
            b.interval(at(day(i), 8), at(day(i), 11), false).unwrap();
        }
        (b, code.unwrap())
    };
    let reference = "2026-04-01T12:00:00Z".parse().unwrap();
    let by_id = totals_compact(&build(false).0.finish(), reference).unwrap();
    let (mut b, ann) = build(true);
    assert_eq!(totals_compact(&b.finish(), reference).unwrap(), by_id);
    // Twice in one session: the same refusal as by id, naming the person.
    let (mut b2, ann2) = build(true);
    let e = b2.participant_again(ann2, false).unwrap_err();
    assert_eq!(e.rule(), "SES-1");
    assert!(e.to_string().contains("(person p-ann)"), "{e}");
    // A code this builder never gave.
    let mut other = CompactBuilder::new(ProjectId::new("P-2"));
    other
        .session("S-9", "T-1", day(0), t(9), t(12), &[], SessionStatus::Executed)
        .unwrap();
    let e = other.participant_again(ann, false).unwrap_err();
    assert_eq!(e.rule(), "AUD-3");
    b = CompactBuilder::new(ProjectId::new("P-3"));
    assert!(
        b.participant_again(ann, false).is_err(),
        "a participant needs a session first"
    );
}

/// SUB-9: the explanation for people names every line and every stretch not counted, with
/// its rule; the CSV export carries the same stretches.
#[test]
fn sub_9_the_explanation_names_each_line_and_each_uncounted_stretch() {
    let records = r#"{"project": "P-1",
      "params": {"unit_cost_per_participant_hour": {"2026-01-01": {"name": "unit_cost_per_participant_hour", "value": "12.00"}}},
      "sessions": [{"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00", "end": "12:00",
        "status": "Executed", "breaks": [{"start": "10:30", "end": "10:45"}],
        "participants": [{"person": "p-ann", "intervals": [
          {"check_in": "2026-03-02T08:55:00+01:00", "check_out": "2026-03-02T11:30:00+01:00"}]},
          {"person": "p-bart", "absent": true, "intervals": []}]}]}"#;
    let r = tijdreg::subsidy::report_json(records, "2026-03-10T12:00:00Z".parse().unwrap()).unwrap();
    let text = r.explain();
    assert_eq!(
        text.lines().filter(|l| l.starts_with("2026-03-02 ")).count(),
        2,
        "{text}"
    );
    for want in [
        "p-ann",
        "p-bart",
        "counted 2 h 15 min",
        "11:30–12:00 after check-out (SUB-1)",
        "10:30–10:45",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    assert!(r.to_csv().contains("SUB-1"));
}

/// SUB-6 (which line counts a shared stretch first) follows the report's order: by start, then
/// id as a string, a session before an entry of the same id. Here every source of the day
/// starts at 09:00, the ids come in reverse order and share 16-byte prefixes, and an entry has
/// a session's id: the kernel's order (sort keys made once) is the reference's.
#[test]
fn sub_6_order_of_sources_with_equal_starts_and_shared_prefixes() {
    let ids = [
        "session-long-id-9",
        "session-long-id-10",
        "session-long-id-1",
        "session-long-id-",
        "X-1",
        "S-2",
    ];
    let ann = json!([{"person": "p-ann", "absent": false,
        "intervals": [{"check_in": "2026-03-02T08:00:00Z", "check_out": "2026-03-02T11:00:00Z"}]}]);
    let sessions: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({"id": id, "training": format!("T-{}", i % 2), "date": "2026-03-02", "start": "09:00:00",
                "end": "12:00:00", "status": "Executed", "participants": ann})
        })
        .collect();
    let doc = json!({"project": "P-1", "sessions": sessions, "elearning": [
        {"id": "X-1", "person": "p-ann", "training": "T-0", "date": "2026-03-02", "start": "09:00:00", "minutes": 60, "status": "Approved"},
        {"id": "A-0", "person": "p-ann", "training": "T-1", "date": "2026-03-02", "start": "09:00:00", "minutes": 30, "status": "Approved"}]});
    let r = Records::from_json(&doc.to_string()).expect("records");
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("instant");
    let mine = report(&r, at).expect("kernel report");
    let reference = tijdreg_workspace::oracle::report(&r, at).expect("reference report");
    assert_eq!(
        without_scope(serde_json::to_value(&mine).expect("json")),
        serde_json::to_value(&reference).expect("json")
    );
    // The first session in string order counts the morning, every other session nothing;
    // e-learning is not classroom time and keeps its own minutes.
    let counted: Vec<(String, i64)> = mine
        .lines()
        .iter()
        .filter(|l| l.counted_minutes() > 0)
        .map(|l| (l.source().to_owned(), l.counted_minutes()))
        .collect();
    let want = [("A-0", 30), ("S-2", 180), ("X-1", 60)].map(|(s, m)| (s.to_owned(), m));
    assert_eq!(counted, want);
    assert_eq!(totals(&r, at).expect("totals"), mine.summary());
}

/// SUB-4 at its boundary, on the totals path's own walk (a single interval against net time
/// of one stretch and of two around a break, whole minutes down) and on the report's: counted
/// time exactly the threshold counts, one second less counts nothing.
#[test]
fn sub_4_minimum_presence_exactly_met_on_the_totals_path() {
    let one = |name: &str, v: Value| json!({"2026-01-01": {"name": name, "value": v}});
    let params = json!({
        "unit_cost_per_participant_hour": one("unit_cost_per_participant_hour", json!("12.00")),
        "rounding": one("rounding", json!({"minutes": 1, "direction": "down"})),
        "min_presence_ratio": one("min_presence_ratio", json!("0.5")),
    });
    let part = |person: &str, check_in: &str, check_out: &str| json!({"person": person, "intervals": [{"check_in": check_in, "check_out": check_out}]});
    // 2 March 2026, Brussels at UTC+1. The morning's net time is 09:00–10:30 and 10:45–13:00
    // (225 min: at least 6,750 s); the afternoon's 13:30–16:30 (180 min: at least 5,400 s).
    let doc = json!({"project": "P-1", "params": params, "sessions": [
        {"id": "S-am", "training": "T-1", "date": "2026-03-02", "start": "09:00", "end": "13:00",
         "breaks": [{"start": "10:30", "end": "10:45"}], "status": "Executed",
         "participants": [
            part("p-ann", "2026-03-02T08:00:00Z", "2026-03-02T10:07:30Z"),
            part("p-bart", "2026-03-02T08:00:00Z", "2026-03-02T10:07:29Z"),
         ]},
        {"id": "S-pm", "training": "T-1", "date": "2026-03-02", "start": "13:30", "end": "16:30",
         "breaks": [], "status": "Executed",
         "participants": [
            part("p-ann", "2026-03-02T12:30:00Z", "2026-03-02T14:00:00Z"),
            part("p-bart", "2026-03-02T12:30:00Z", "2026-03-02T13:59:59Z"),
         ]},
    ]});
    let r = Records::from_json(&doc.to_string()).expect("records");
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("instant");
    let sums = totals(&r, at).expect("totals");
    // p-ann: 6,750 s → 112 min, 5,400 s → 90 min; p-bart one second short twice: nothing.
    assert_eq!(sums.realised.counted_minutes, 112 + 90);
    let full = report(&r, at).expect("report");
    assert_eq!(sums, full.summary());
    let minutes: Vec<i64> = full.lines().iter().map(|l| l.counted_minutes()).collect();
    assert_eq!(minutes, vec![112, 0, 90, 0]);
}

/// SUB-1, SUB-6 on the totals path: a check-out in a break, a check-in in the next session's
/// break, and intervals away and back (apart, touching, overlapping, out of order) count as
/// the report counts them; where the totals pass widens a line's counted span to its check-in
/// and check-out (SUB-6 may apply), the day's second look finds no overlap and changes nothing.
#[test]
fn sub_6_spans_widened_to_check_in_and_out_change_no_figure_of_the_totals_path() {
    let interval = |check_in: &str, check_out: &str| json!({"check_in": format!("2026-03-02T{check_in}:00Z"), "check_out": format!("2026-03-02T{check_out}:00Z")});
    let part = |person: &str, intervals: Vec<Value>| json!({"person": person, "intervals": intervals});
    // 2 March 2026, Brussels at UTC+1: S-a 09:00–12:00 with a break 10:00–11:00, S-b 10:15–12:30
    // with a break 10:15–10:25 (its net time starts at 10:25), S-c 13:00–16:00 (no break).
    let doc = json!({"project": "P-1", "sessions": [
        {"id": "S-a", "training": "T-1", "date": "2026-03-02", "start": "09:00", "end": "12:00",
         "breaks": [{"start": "10:00", "end": "11:00"}], "status": "Executed",
         "participants": [
            // Out in S-a's break (10:30): counted until 10:00; in S-b from 10:25.
            part("p-ann", vec![interval("08:00", "09:30")]),
            // Away and back, apart (the second interval starts in the break).
            part("p-bart", vec![interval("08:00", "08:30"), interval("09:45", "10:30")]),
            // Touching, overlapping, and out of order: normalised before counting.
            part("p-cis", vec![interval("08:00", "08:30"), interval("08:30", "09:00")]),
            part("p-dirk", vec![interval("08:00", "08:40"), interval("08:20", "09:00")]),
            part("p-els", vec![interval("09:45", "10:30"), interval("08:00", "08:30")]),
         ]},
        {"id": "S-b", "training": "T-1", "date": "2026-03-02", "start": "10:15", "end": "12:30",
         "breaks": [{"start": "10:15", "end": "10:25"}], "status": "Executed",
         "participants": [part("p-ann", vec![interval("09:20", "11:00")])]},
        {"id": "S-c", "training": "T-1", "date": "2026-03-02", "start": "13:00", "end": "16:00",
         "breaks": [], "status": "Executed",
         "participants": [
            part("p-ann", vec![interval("12:00", "13:00")]),
            part("p-bart", vec![interval("11:50", "12:10"), interval("12:10", "14:00")]),
         ]},
    ]});
    let r = Records::from_json(&doc.to_string()).expect("records");
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("instant");
    let full = report(&r, at).expect("report");
    assert_eq!(totals(&r, at).expect("totals"), full.summary());
    let minutes: Vec<(String, i64)> = full
        .lines()
        .iter()
        .map(|l| (format!("{} {}", l.source(), l.person().as_str()), l.counted_minutes()))
        .collect();
    // In Brussels time: p-ann 09:00–10:30 on S-a counts 09:00–10:00; p-bart 09:00–09:30 and
    // 10:45–11:30 count 30 + 30 min; p-cis, p-dirk 09:00–10:00 once normalised, p-els as p-bart.
    let want = [
        ("S-a p-ann", 60),
        ("S-a p-bart", 30 + 30),
        ("S-a p-cis", 60),
        ("S-a p-dirk", 60),
        ("S-a p-els", 30 + 30),
        // In at 10:20, net time from 10:25, out at 12:00: 95 min, none counted on S-a.
        ("S-b p-ann", 95),
        ("S-c p-ann", 60),
        // 12:50–13:10 and 13:10–15:00: 13:00–15:00.
        ("S-c p-bart", 120),
    ];
    let want: Vec<(String, i64)> = want.iter().map(|(k, m)| ((*k).to_owned(), *m)).collect();
    assert_eq!(minutes, want);
}

/// SUB-8: the cap applies when the uncapped amount exceeds it, not when it equals it — a
/// project exactly at its cap is paid the cap and is not reported as capped.
#[test]
fn sub_8_a_project_exactly_at_its_cap_is_not_capped() {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("instant");
    let mut base: Records = serde_json::from_value(json!({"project": "P-1", "sessions": [
        {"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00", "end": "12:00", "status": "Executed",
         "participants": [{"person": "p-ann", "intervals": [{"check_in": "2026-03-02T08:00:00Z", "check_out": "2026-03-02T11:00:00Z"}]}]}]}))
    .expect("records");
    base.params.set(
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        tijdreg::params::ParamValue::UnitCostPerParticipantHour(Decimal::new(1250, 2)),
    );
    let uncapped = totals(&base, at).expect("totals").amounts.uncapped;
    assert!(uncapped > Decimal::ZERO);
    let with_cap = |cap: Decimal| {
        let mut r = base.clone();
        r.params.set(
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            tijdreg::params::ParamValue::ProjectSubsidyCap(Some(cap)),
        );
        let a = totals(&r, at).expect("totals").amounts;
        assert_eq!(report(&r, at).expect("report").amounts, a, "report and totals agree");
        a
    };
    let at_cap = with_cap(uncapped);
    assert!(!at_cap.capped, "exactly at the cap");
    assert_eq!(at_cap.total, uncapped);
    let below = with_cap(uncapped - Decimal::new(1, 2));
    assert!(below.capped, "one cent above the cap");
    assert_eq!(below.total, uncapped - Decimal::new(1, 2));
    assert!(!with_cap(uncapped + Decimal::new(1, 2)).capped);
}

/// The same for e-learning entries (EL-1): each holds its record (at least 24 bytes: person,
/// training, date, minutes, start, status) and its id.
#[test]
fn el_1_compact_records_count_their_entries() {
    use tijdreg::elearning::EntryStatus;
    use tijdreg::ids::ProjectId;
    use tijdreg::subsidy::{Compact, CompactBuilder};
    let build = |n: u32| -> Compact {
        let mut b = CompactBuilder::new(ProjectId::new("P-1"));
        for i in 0..n {
            let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap() + Duration::days(i64::from(i % 200));
            b.entry(
                &format!("E-{i:08}"),
                "p-ann",
                "T-1",
                date,
                30,
                None,
                EntryStatus::Approved,
            )
            .unwrap();
        }
        b.finish()
    };
    let (one, many) = (build(1), build(500));
    assert_eq!((one.entry_count(), many.entry_count()), (1, 500));
    assert!(
        many.heap_bytes() >= one.heap_bytes() + 499 * (24 + 10 + 4),
        "{} vs {}",
        many.heap_bytes(),
        one.heap_bytes()
    );
}

/// SUB-9: a report line printed for debugging names its source, person, day and counted
/// minutes (what a failing assertion on lines shows).
#[test]
fn sub_9_a_line_debugs_as_its_source_person_day_and_minutes() {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().expect("instant");
    let r: Records = serde_json::from_value(json!({"project": "P-1", "sessions": [
        {"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00", "end": "12:00", "status": "Executed",
         "participants": [{"person": "p-ann", "intervals": [{"check_in": "2026-03-02T08:00:00Z", "check_out": "2026-03-02T11:00:00Z"}]}]}]}))
    .expect("records");
    let rep = report(&r, at).expect("report");
    let line = rep.lines().iter().next().expect("a line");
    assert_eq!(
        format!("{line:?}"),
        r#"Line { source: "S-1", person: PersonId("p-ann"), date: 2026-03-02, counted_minutes: 180 }"#
    );
}
