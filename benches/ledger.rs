//! The ledger at scale (issue 10): a year of one project — 25,000 sessions × 20 participants,
//! each planned, started, every participant checked in and out by QR scan, closed: about
//! 1.09 million commands — applied one by one as typed commands and as JSON, then its
//! resident memory, its snapshot (size, write, load time and peak memory) and its event log
//! (export, replay), beside a floor: the token check, fingerprint and SHA-256 each command needs, timed alone.
//!
//! `cargo bench --bench ledger` (add `-- --sessions 2500` for a tenth). Prints a Markdown
//! table; results are written down in `docs/benchmarks.md`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tijdreg::ids::*;
use tijdreg::ledger::{Actor, Command, Envelope, Ledger};
use tijdreg::qr::Keyring;

/// Counts live and peak heap bytes while `COUNTING` is on (off while throughput is timed:
/// the atomic counters would be timed too).
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static COUNTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() && COUNTING.load(Ordering::Relaxed) {
            if new > l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + (new - l.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn env(id: String, actor: &str, at: DateTime<Utc>, command: Command) -> Envelope {
    Envelope {
        command_id: CommandId::new(id),
        actor: Actor::from(actor),
        at,
        command,
    }
}

/// The reference data: organisation, call, project, training, trainer, promoter, people.
fn setup(people: usize) -> Vec<Envelope> {
    let t0 = Utc.with_ymd_and_hms(2025, 12, 1, 8, 0, 0).single().unwrap_or_default();
    let mut v = Vec::new();
    let mut n = 0;
    let mut sys = |c: serde_json::Value| {
        n += 1;
        let e = Envelope::from_value(
            serde_json::json!({"command_id": format!("setup-{n}"), "actor": "system", "at": t0, "command": c}),
        );
        v.push(e.unwrap_or_else(|e| panic!("setup: {e}")));
    };
    sys(serde_json::json!({"type": "create_organisation", "organisation": "org", "name": "Org"}));
    sys(serde_json::json!({"type": "create_call", "call": "call", "name": "Call"}));
    sys(
        serde_json::json!({"type": "set_parameter", "call": "call", "valid_from": "2020-01-01",
        "parameter": {"name": "unit_cost_per_participant_hour", "value": "12.50"}}),
    );
    sys(
        serde_json::json!({"type": "create_project", "project": "P", "number": "2026-1", "call": "call", "promoter": "org"}),
    );
    sys(
        serde_json::json!({"type": "add_training", "training": "T", "project": "P", "code": "T", "name": "T", "kind": "Classroom"}),
    );
    for (p, role) in [("p-promoter", "OrganisationResponsible"), ("p-trainer", "Trainer")] {
        sys(
            serde_json::json!({"type": "register_person", "person": p, "name": p, "email": "x@example.org", "organisation": "org"}),
        );
        sys(
            serde_json::json!({"type": "grant_role", "grant": format!("g-{p}"), "person": p, "role": role, "organisation": "org", "valid_from": "2020-01-01"}),
        );
    }
    for i in 0..people {
        sys(
            serde_json::json!({"type": "register_person", "person": format!("p-{i:05}"), "name": "P", "email": "p@example.org"}),
        );
    }
    v
}

/// The year: per session plan, start, check-ins, check-outs, close.
fn year(sessions: usize, people: usize, keys: &Keyring) -> Vec<Envelope> {
    let mut v = Vec::with_capacity(sessions * (3 + 2 * 20));
    let day0 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let project = ProjectId::new("P");
    let tokens: Vec<String> = (0..people)
        .map(|i| {
            keys.issue("k", &project, &PersonId::new(format!("p-{i:05}")))
                .unwrap_or_default()
        })
        .collect();
    for s in 0..sessions {
        // Four sessions a day (08:00, 10:00, 13:00, 15:00), cohorts of 20.
        let date = day0 + Duration::days((s / 4) as i64);
        let hour = [8u32, 10, 13, 15][s % 4];
        let start = chrono::NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default();
        let end = chrono::NaiveTime::from_hms_opt(hour + 1, 30, 0).unwrap_or_default();
        let at0 = tijdreg::calendar::brussels_instant(date, start).unwrap_or_default();
        let cohort = (s % 50) * 20;
        let sid = SessionId::new(format!("S-{s:06}"));
        let people_here: Vec<PersonId> = (0..20)
            .map(|i| PersonId::new(format!("p-{:05}", (cohort + i) % people)))
            .collect();
        v.push(env(
            format!("plan-{s}"),
            "p-promoter",
            at0 - Duration::days(30),
            Command::PlanSession {
                session: sid.clone(),
                training: TrainingId::new("T"),
                date,
                start,
                end,
                trainers: vec![PersonId::new("p-trainer")],
                participants: people_here.clone(),
                location: None,
                breaks: vec![],
            },
        ));
        v.push(env(
            format!("start-{s}"),
            "p-trainer",
            at0 - Duration::minutes(10),
            Command::StartSession { session: sid.clone() },
        ));
        for (i, _) in people_here.iter().enumerate() {
            let token = tokens.get((cohort + i) % people).cloned();
            v.push(env(
                format!("in-{s}-{i}"),
                "p-trainer",
                at0 - Duration::minutes(5) + Duration::seconds(i as i64),
                Command::CheckIn {
                    session: sid.clone(),
                    person: None,
                    token,
                    time: None,
                },
            ));
        }
        for (i, _) in people_here.iter().enumerate() {
            let token = tokens.get((cohort + i) % people).cloned();
            v.push(env(
                format!("out-{s}-{i}"),
                "p-trainer",
                at0 + Duration::minutes(90) + Duration::seconds(i as i64),
                Command::CheckOut {
                    session: sid.clone(),
                    person: None,
                    token,
                    time: None,
                },
            ));
        }
        v.push(env(
            format!("close-{s}"),
            "p-trainer",
            at0 + Duration::minutes(95),
            Command::CloseSession { session: sid },
        ));
    }
    v
}

/// The floor of the year's commands (issue 10): what the rules fix for each whatever the
/// engine does — its token checked (QR-2: the HMAC the first time a keyring sees a token, a
/// lookup of the tokens it remembers after, as the engine's keyring does), a fingerprint of it to tell a retry from a
/// reused id (ATT-3: FNV-1a, a byte at a time, over its actor, instant, session and token),
/// and the SHA-256 chaining its event's line into the log (AUD-1; the lines as the engine
/// wrote them, their hash left out) — and nothing else: no state, no other check, no line
/// written. The time it takes bounds the rate of commands applied one by one on one core.
fn floor(commands: &[Envelope], log: &str, keys: &Keyring) -> [std::time::Duration; 3] {
    use sha2::{Digest, Sha256};
    let scans = || {
        commands.iter().filter_map(|e| match &e.command {
            Command::CheckIn { session, token, .. } | Command::CheckOut { session, token, .. } => {
                Some((e, session, token.as_deref().unwrap_or("")))
            }
            _ => None,
        })
    };
    let mut sink = 0u64;
    let t = Instant::now();
    for (_, _, token) in scans() {
        sink ^= u64::from(keys.verify(token).is_ok());
    }
    let hmac = t.elapsed();
    let t = Instant::now();
    for (e, session, token) in scans() {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let actor = match &e.actor {
            Actor::Person(p) => p.as_str(),
            Actor::System => "system",
        };
        let at = e.at.timestamp().to_le_bytes();
        for part in [actor.as_bytes(), &at, session.as_str().as_bytes(), token.as_bytes()] {
            for b in part {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        sink ^= h;
    }
    let fingerprint = t.elapsed();
    let t = Instant::now();
    let mut prev = [0u8; 32];
    for line in log.lines() {
        let body = line.as_bytes().get(..line.len().saturating_sub(75)).unwrap_or_default();
        prev = Sha256::new().chain_update(prev).chain_update(body).finalize().into();
    }
    let sha = t.elapsed();
    sink ^= u64::from(prev[0]);
    std::hint::black_box(sink);
    [hmac, fingerprint, sha]
}

fn mb(b: usize) -> f64 {
    b as f64 / 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sessions: usize = args
        .iter()
        .position(|a| a == "--sessions")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(25_000);
    let people = 1_000;
    let mut keys = Keyring::default();
    let _ = keys.add("k", b"a benchmark key of 32 bytes ....".to_vec());
    let setup = setup(people);
    let commands = year(sessions, people, &keys);
    let n = setup.len() + commands.len();

    // Resident memory: the year applied with every allocation counted.
    let base = live();
    let mut l = Ledger::with_keys(keys.clone());
    for e in setup.iter().chain(&commands) {
        l.apply(e)
            .unwrap_or_else(|err| panic!("{} refused: {err}", e.command_id));
    }
    let resident = live() - base;
    drop(l);
    // Typed commands, one by one, timed without counting.
    COUNTING.store(false, Ordering::Relaxed);
    // A ledger with the reference data only.
    let fresh = || {
        let mut l = Ledger::with_keys(keys.clone());
        for e in &setup {
            l.apply(e).unwrap_or_else(|e| panic!("setup refused: {e}"));
        }
        l
    };
    let mut l = fresh();
    let t = Instant::now();
    for e in &commands {
        if let Err(err) = l.apply(e) {
            panic!("{} refused: {err}", e.command_id);
        }
    }
    let typed = t.elapsed();
    drop(l);
    // The same through `apply_quiet` (no events copied out: a bulk load).
    let mut lq = fresh();
    let t = Instant::now();
    for e in &commands {
        if let Err(err) = lq.apply_quiet(e) {
            panic!("{} refused: {err}", e.command_id);
        }
    }
    let quiet = t.elapsed();
    let mut l = lq;
    if args.iter().any(|a| a == "--only-apply") {
        println!(
            "typed: {:.0} k/s, quiet {:.0} k/s, resident {:.0} bytes per command",
            commands.len() as f64 / typed.as_secs_f64() / 1e3,
            commands.len() as f64 / quiet.as_secs_f64() / 1e3,
            resident as f64 / n as f64
        );
        return;
    }

    // Retries answered from the log.
    let t = Instant::now();
    for e in commands.iter().step_by(97) {
        assert!(l.apply(e).map(|o| o.replayed).unwrap_or(false));
    }
    let retry = t.elapsed() / commands.iter().step_by(97).count() as u32;

    // The same from JSON.
    let texts: Vec<String> = commands
        .iter()
        .map(|e| serde_json::to_string(e).unwrap_or_default())
        .collect();
    let mut lj = fresh();
    let t = Instant::now();
    for s in &texts {
        let e = Envelope::from_json(s).unwrap_or_else(|e| panic!("{e}"));
        lj.apply(&e).unwrap_or_else(|e| panic!("{e}"));
    }
    let json = t.elapsed();
    drop(lj);
    drop(texts);
    COUNTING.store(true, Ordering::Relaxed);

    // Snapshot.
    let t = Instant::now();
    let snap = l.snapshot_json();
    let snap_write = t.elapsed();
    let before = live();
    PEAK.store(before, Ordering::Relaxed);
    let t = Instant::now();
    let loaded = Ledger::from_snapshot_json(&snap, keys.clone()).unwrap_or_else(|e| panic!("{e}"));
    let snap_load = t.elapsed();
    let load_peak = PEAK.load(Ordering::Relaxed) - before;
    let loaded_size = live() - before;
    assert_eq!(loaded.state().event_count, l.state().event_count);
    // The index of a person's sessions is made on its first use (an e-learning entry, EL-3; a
    // partner's MLP profile, ORG-4), not by the load: what that first use costs.
    let some_day = l
        .state()
        .sessions
        .values()
        .next()
        .map(|s| (s.timing.date, s.participants.keys().next().cloned()));
    let t = Instant::now();
    let on_day = some_day.map_or(0, |(date, p)| {
        p.map_or(0, |p| loaded.state().sessions_of_person_on(&p, date).count())
    });
    let person_index = t.elapsed();
    assert!(on_day > 0);
    drop(loaded);

    // Event log: export and replay, timed without the allocator counting (it costs ~6 % of a
    // replay: the bench's cost, not the engine's).
    COUNTING.store(false, Ordering::Relaxed);
    let t = Instant::now();
    let log = l.events_jsonl();
    let export = t.elapsed();
    if let Some(i) = args.iter().position(|a| a == "--write-log") {
        let _ = std::fs::write(args.get(i + 1).map_or("log.jsonl", String::as_str), &log);
    }
    let events = l.state().event_count as usize;
    drop(l);
    if args.iter().any(|a| a == "--only-replay") {
        // For profiling replay alone (after the set-up): ten replays, their rates.
        for _ in 0..10 {
            let t = Instant::now();
            let r = Ledger::replay_jsonl(log.as_bytes(), keys.clone()).unwrap_or_else(|e| panic!("{e}"));
            println!(
                "replay {:.0} k events/s",
                events as f64 / t.elapsed().as_secs_f64() / 1e3
            );
            drop(r);
        }
        return;
    }
    if args.iter().any(|a| a == "--only-load") {
        // For profiling the load paths: replay and load a few times, print the rates.
        for _ in 0..3 {
            let t = Instant::now();
            let r = Ledger::replay_jsonl(log.as_bytes(), keys.clone()).unwrap_or_else(|e| panic!("{e}"));
            let replay = t.elapsed();
            drop(r);
            let t = Instant::now();
            let r = Ledger::from_snapshot_json(&snap, keys.clone()).unwrap_or_else(|e| panic!("{e}"));
            let load = t.elapsed();
            drop(r);
            println!(
                "replay {:.0} k events/s, snapshot load {:.0} k events/s",
                events as f64 / replay.as_secs_f64() / 1e3,
                events as f64 / load.as_secs_f64() / 1e3
            );
        }
        return;
    }
    let floor = floor(&commands, &log, &keys);
    let floor_all: std::time::Duration = floor.iter().sum();
    let t = Instant::now();
    let replayed = Ledger::replay_jsonl(log.as_bytes(), keys).unwrap_or_else(|e| panic!("{e}"));
    let replay = t.elapsed();
    assert_eq!(replayed.state().event_count as usize, events);

    println!("| measure | value |");
    println!("|---|---|");
    println!("| commands | {n} ({events} events) |");
    println!(
        "| typed commands applied one by one | {:.0} k/s ({:.2} µs each) |",
        commands.len() as f64 / typed.as_secs_f64() / 1e3,
        typed.as_secs_f64() * 1e6 / commands.len() as f64
    );
    println!(
        "| floor: each token checked (its HMAC once, remembered after), each command's fingerprint, each line's SHA-256, nothing else | {:.0} k/s ({:.2} µs each: token {:.2}, fingerprint {:.2}, SHA-256 {:.2}; typed one by one {:.1}× the floor) |",
        commands.len() as f64 / floor_all.as_secs_f64() / 1e3,
        floor_all.as_secs_f64() * 1e6 / commands.len() as f64,
        floor[0].as_secs_f64() * 1e6 / commands.len() as f64,
        floor[1].as_secs_f64() * 1e6 / commands.len() as f64,
        floor[2].as_secs_f64() * 1e6 / commands.len() as f64,
        typed.as_secs_f64() / floor_all.as_secs_f64()
    );
    println!(
        "| typed commands through `apply_quiet` (no events copied out) | {:.0} k/s ({:.2} µs each) |",
        commands.len() as f64 / quiet.as_secs_f64() / 1e3,
        quiet.as_secs_f64() * 1e6 / commands.len() as f64
    );
    println!(
        "| a person's sessions asked for the first time after the load (the index made) | {:.0} ms |",
        person_index.as_secs_f64() * 1e3
    );
    println!(
        "| JSON commands decoded and applied | {:.0} k/s ({:.2} µs each) |",
        commands.len() as f64 / json.as_secs_f64() / 1e3,
        json.as_secs_f64() * 1e6 / commands.len() as f64
    );
    println!(
        "| a retry answered from the log | {:.2} µs |",
        retry.as_secs_f64() * 1e6
    );
    println!(
        "| resident after the year | {:.0} MB ({:.0} bytes per command) |",
        mb(resident),
        resident as f64 / n as f64
    );
    println!(
        "| snapshot | {:.0} MB, written in {:.2} s |",
        mb(snap.len()),
        snap_write.as_secs_f64()
    );
    println!(
        "| snapshot load | {:.2} s, peak {:.0} MB for a loaded state of {:.0} MB ({:.2}×) |",
        snap_load.as_secs_f64(),
        mb(load_peak),
        mb(loaded_size),
        load_peak as f64 / loaded_size as f64
    );
    println!(
        "| event log export (JSON lines) | {:.0} MB in {:.2} s |",
        mb(log.len()),
        export.as_secs_f64()
    );
    println!(
        "| replay of the log | {:.2} s ({:.0} k events/s) |",
        replay.as_secs_f64(),
        events as f64 / replay.as_secs_f64() / 1e3
    );
}
