//! Benchmarks of the scale targets (results in docs/benchmarks.md):
//! - planning a session in a project with 100,000 sessions (the overlap index, SES-2);
//! - applying commands one by one, as a phone does (check-in by QR scan);
//! - the subsidy report over a million attendance intervals (SUB);
//! - INSZ parsing and QR verification.
//!
//! `cargo bench --bench engine` (or `make bench`).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use divan::{AllocProfiler, Bencher, black_box};
use serde_json::json;
use tijdreg::ledger::{Envelope, Ledger};
use tijdreg::qr::Keyring;
use tijdreg::subsidy::{IntervalRecord, ParticipantRecord, Records, SessionRecord, report};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    divan::main();
}

fn env(id: String, actor: &str, at: chrono::DateTime<Utc>, command: serde_json::Value) -> Envelope {
    Envelope::from_value(json!({"command_id": id, "actor": actor, "at": at, "command": command})).expect("envelope")
}

/// A project with `sessions` sessions of one training, one per hour slot over many days.
fn big_ledger(sessions: usize, participants: usize) -> Ledger {
    let mut keys = Keyring::default();
    keys.add("k", b"benchmark-secret-0123456789".to_vec()).expect("key");
    let mut l = Ledger::with_keys(keys);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 7, 0, 0).single().expect("t0");
    let mut n = 0;
    let mut sys = |l: &mut Ledger, c: serde_json::Value| {
        n += 1;
        l.apply(&env(format!("s{n}"), "system", t0, c)).expect("setup");
    };
    sys(
        &mut l,
        json!({"type": "create_organisation", "organisation": "o", "name": "o"}),
    );
    sys(&mut l, json!({"type": "create_call", "call": "c", "name": "c"}));
    sys(
        &mut l,
        json!({"type": "register_person", "person": "p-o", "name": "O", "email": "o@x.be", "organisation": "o"}),
    );
    sys(
        &mut l,
        json!({"type": "register_person", "person": "p-t", "name": "T", "email": "t@x.be", "organisation": "o"}),
    );
    sys(
        &mut l,
        json!({"type": "grant_role", "grant": "g", "person": "p-o", "role": "OrganisationResponsible", "organisation": "o", "valid_from": "2020-01-01"}),
    );
    sys(
        &mut l,
        json!({"type": "grant_role", "grant": "g2", "person": "p-t", "role": "Trainer", "organisation": "o", "valid_from": "2020-01-01"}),
    );
    sys(
        &mut l,
        json!({"type": "create_project", "project": "P", "number": "1", "call": "c", "promoter": "o"}),
    );
    sys(
        &mut l,
        json!({"type": "add_training", "training": "T", "project": "P", "code": "T", "name": "T", "kind": "Classroom"}),
    );
    for p in 0..participants {
        sys(
            &mut l,
            json!({"type": "register_person", "person": format!("p{p}"), "name": "P", "email": "p@x.be"}),
        );
    }
    let day0 = NaiveDate::from_ymd_opt(2020, 1, 1).expect("day");
    for i in 0..sessions {
        let date = day0 + Duration::days((i / 10) as i64);
        let start = format!("{:02}:00:00", 8 + i % 10);
        let end = format!("{:02}:00:00", 9 + i % 10);
        let c = json!({"type": "plan_session", "session": format!("S{i}"), "training": "T", "date": date, "start": start, "end": end});
        l.apply(&env(format!("plan{i}"), "p-o", t0, c)).expect("plan");
    }
    l
}

#[divan::bench(sample_count = 200, sample_size = 10)]
fn plan_session_check_in_project_of_100k_sessions(bencher: Bencher) {
    let l = big_ledger(100_000, 0);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 7, 0, 0).single().expect("t0");
    // Overlaps one of the 100,000 (day 5000, 12:30–13:30): refused by SES-2 after one lookup.
    let overlapping = env(
        "x".into(),
        "p-o",
        t0,
        json!({"type": "plan_session", "session": "NEW", "training": "T", "date": "2033-09-09", "start": "12:30:00", "end": "13:30:00"}),
    );
    let free = env(
        "y".into(),
        "p-o",
        t0,
        json!({"type": "plan_session", "session": "NEW", "training": "T", "date": "2060-01-01", "start": "12:30:00", "end": "13:30:00"}),
    );
    assert!(l.preview(&overlapping).is_err() && l.preview(&free).is_ok());
    bencher.bench_local(|| {
        (
            black_box(l.preview(&overlapping)).is_err(),
            black_box(l.preview(&free)).is_ok(),
        )
    });
}

#[divan::bench(sample_count = 100, sample_size = 10)]
fn plan_and_apply_one_more_session_to_100k(bencher: Bencher) {
    let mut l = big_ledger(100_000, 0);
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 7, 0, 0).single().expect("t0");
    let mut i = 0usize;
    let day0 = NaiveDate::from_ymd_opt(2060, 1, 1).expect("day");
    bencher.bench_local(|| {
        i += 1;
        let c = json!({"type": "plan_session", "session": format!("N{i}"), "training": "T", "date": day0 + Duration::days(i as i64), "start": "09:00:00", "end": "10:00:00"});
        l.apply(&env(format!("n{i}"), "p-o", t0, c)).expect("accepted");
    });
}

#[divan::bench(sample_count = 100, sample_size = 20)]
fn scan_check_in_one_by_one(bencher: Bencher) {
    // One session with 4,000 participants, QR scans one after the other (a phone's load).
    let mut l = big_ledger(1, 0);
    let t0 = Utc.with_ymd_and_hms(2020, 1, 1, 7, 0, 0).single().expect("t0");
    let people: Vec<String> = (0..4000).map(|p| format!("p{p}")).collect();
    for (k, p) in people.iter().enumerate() {
        l.apply(&env(
            format!("r{k}"),
            "system",
            t0,
            json!({"type": "register_person", "person": p, "name": "P", "email": "p@x.be"}),
        ))
        .expect("person");
        l.apply(&env(
            format!("a{k}"),
            "p-o",
            t0,
            json!({"type": "add_participant", "session": "S0", "person": p}),
        ))
        .expect("participant");
    }
    l.apply(&env(
        "start".into(),
        "p-o",
        t0 + Duration::minutes(50),
        json!({"type": "start_session", "session": "S0"}),
    ))
    .expect("start");
    let tokens: Vec<String> = people
        .iter()
        .map(|p| l.keys().issue("k", &"P".into(), &p.as_str().into()).expect("token"))
        .collect();
    let mut i = 0usize;
    bencher.bench_local(|| {
        let at = t0 + Duration::minutes(55);
        let c = json!({"type": "check_in", "session": "S0", "token": tokens[i % tokens.len()]});
        i += 1;
        // Each participant once: every measured command is an accepted check-in.
        assert!(black_box(l.apply(&env(format!("in{i}"), "p-o", at, c)).is_ok()));
    });
}

fn records(sessions: usize, participants: usize) -> Records {
    let day0 = NaiveDate::from_ymd_opt(2026, 1, 5).expect("day");
    let mut params = tijdreg::params::DatedParams::default();
    params.set(
        day0,
        tijdreg::params::ParamValue::UnitCostPerParticipantHour(rust_decimal::Decimal::new(1250, 2)),
    );
    params.set(
        day0,
        tijdreg::params::ParamValue::MaxParticipantHoursPerDay(Some(rust_decimal::Decimal::from(7))),
    );
    let sessions = (0..sessions)
        .map(|i| {
            let date = day0 + Duration::days((i / 2) as i64);
            let (s, e) = if i % 2 == 0 { (8, 12) } else { (13, 17) };
            let start = tijdreg::calendar::brussels_instant(date, chrono::NaiveTime::from_hms_opt(s, 0, 0).expect("t"))
                .expect("instant");
            SessionRecord {
                id: format!("S{i}").as_str().into(),
                training: "T".into(),
                date,
                start: chrono::NaiveTime::from_hms_opt(s, 0, 0).expect("t"),
                end: chrono::NaiveTime::from_hms_opt(e, 0, 0).expect("t"),
                breaks: vec![tijdreg::session::Break {
                    start: chrono::NaiveTime::from_hms_opt(s + 2, 0, 0).expect("t"),
                    end: chrono::NaiveTime::from_hms_opt(s + 2, 15, 0).expect("t"),
                }],
                status: tijdreg::session::SessionStatus::Executed,
                participants: (0..participants)
                    .map(|p| ParticipantRecord {
                        person: format!("p{p}").as_str().into(),
                        absent: false,
                        intervals: vec![
                            IntervalRecord {
                                check_in: start + Duration::minutes((p % 17) as i64),
                                check_out: start + Duration::minutes(100),
                                late: false,
                                clock_suspect: false,
                            },
                            IntervalRecord {
                                check_in: start + Duration::minutes(110),
                                check_out: start + Duration::minutes(230 + (p % 13) as i64),
                                late: false,
                                clock_suspect: false,
                            },
                        ],
                    })
                    .collect(),
            }
        })
        .collect();
    Records {
        project: "P".into(),
        params,
        sessions,
        ..Records::default()
    }
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn report_over_one_million_intervals(bencher: Bencher) {
    // 25,000 sessions × 20 participants × 2 intervals = 1,000,000 intervals, 500,000 lines.
    let r = records(25_000, 20);
    let at = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().expect("at");
    bencher.bench_local(|| black_box(report(&r, at).expect("report").lines().len()));
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn report_over_100k_intervals(bencher: Bencher) {
    let r = records(2_500, 20);
    let at = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().expect("at");
    bencher.bench_local(|| black_box(report(&r, at).expect("report").lines().len()));
}

#[divan::bench]
fn insz_parse() -> bool {
    tijdreg::identity::Insz::parse(black_box("85.07.30-033.28")).is_ok()
}

#[divan::bench]
fn qr_verify(bencher: Bencher) {
    let mut k = Keyring::default();
    k.add("k", b"benchmark-secret-0123456789".to_vec()).expect("key");
    let t = k.issue("k", &"P-1".into(), &"p-ann".into()).expect("token");
    bencher.bench(|| k.verify(black_box(&t)).is_ok());
}
