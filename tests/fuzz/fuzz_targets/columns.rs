//! A call as columns (`subsidy::columns`), made from the fuzzer's bytes: a few projects,
//! sessions (ids that may repeat, times that may not make a session), breaks and attendance
//! rows naming sessions and persons that may not exist, instants that may be missing or out
//! of range, a persons dictionary with repeated, bad and national-number ids. No panic; what
//! the call accepts, `each_project` and `compacts_by_project` give alike, and each project's
//! report and totals-only path agree; no national number in an error (ID-3).
#![no_main]

#[path = "../common.rs"]
#[allow(dead_code)]
mod common;

use chrono::{NaiveDate, NaiveTime};
use libfuzzer_sys::fuzz_target;
use tijdreg::session::SessionStatus;
use tijdreg::subsidy::columns::{
    Attendance, BreakRow, CallColumns, Columns, NO_INSTANT, SessionRow, compacts_by_project, each_project,
};

/// The fuzzer's bytes, read one small number at a time (zeros once they run out).
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }
}

const IDS: [&str; 6] = ["S-1", "S-2", "S-3", "S-1", "bad id", "85073003328"];
const PERSONS: [&str; 7] = ["p-ann", "p-bart", "p-ann", "p-cas", "", "p 1", "85.07.30-033.28"];
const PROJECTS: [&str; 3] = ["P-1", "P-2", "P 3"];

fn time(b: &mut Bytes<'_>) -> NaiveTime {
    // Quarter hours of the day, and now and then a second past midnight's end.
    let q = u32::from(b.byte());
    NaiveTime::from_num_seconds_from_midnight_opt((q * 900).min(86_399), 0).unwrap_or(NaiveTime::MIN)
}

fn instant(b: &mut Bytes<'_>) -> i64 {
    // 2026-03-02 00:00 Brussels and up to two days on by minutes, missing, or far out.
    match b.byte() {
        0 => NO_INSTANT,
        1 => i64::MIN + 1,
        2 => i64::MAX,
        k => 1_772_406_000 + i64::from(k) * 600 + i64::from(b.byte()) * 60,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let base = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let projects: Vec<&str> = (0..1 + b.below(3)).map(|i| PROJECTS[i]).collect();
    let n_sessions = b.below(6);
    let sessions: Vec<SessionRow<'_>> = (0..n_sessions)
        .map(|_| SessionRow {
            id: IDS[b.below(IDS.len())],
            training: ["T-1", "T-2"][b.below(2)],
            date: base + chrono::Duration::days(b.below(3) as i64 * if b.byte() == 255 { 40_000 } else { 1 }),
            start: time(&mut b),
            end: time(&mut b),
            status: [SessionStatus::Planned, SessionStatus::InProgress, SessionStatus::Executed, SessionStatus::Submitted]
                [b.below(4)],
        })
        .collect();
    let session_project: Vec<u32> = (0..n_sessions).map(|_| b.below(projects.len() + 1) as u32).collect();
    let breaks: Vec<BreakRow> = (0..b.below(4))
        .map(|_| BreakRow {
            session: b.below(n_sessions + 1) as u32,
            start: time(&mut b),
            end: time(&mut b),
        })
        .collect();
    let persons: Vec<&str> = (0..b.below(6)).map(|_| PERSONS[b.below(PERSONS.len())]).collect();
    let rows = b.below(24);
    let mut session = Vec::new();
    let mut person = Vec::new();
    let (mut check_in, mut check_out) = (Vec::new(), Vec::new());
    let (mut late, mut suspect, mut absent) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rows {
        session.push(b.below(n_sessions + 1) as u32);
        person.push(b.below(persons.len() + 1) as u32);
        let i = instant(&mut b);
        check_in.push(i);
        // Mostly a check-out after the check-in.
        check_out.push(match (i, b.byte()) {
            (t, k) if k < 200 && t > 0 => t.saturating_add(i64::from(k) * 120),
            _ => instant(&mut b),
        });
        let f = b.byte();
        late.push(f & 1 != 0);
        suspect.push(f & 2 != 0);
        absent.push(f & 4 != 0);
    }
    let params = Default::default();
    let call = CallColumns {
        projects: &projects,
        session_project: &session_project,
        elearning_project: &[],
        columns: Columns {
            project: "",
            params: &params,
            closures: &[],
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
            elearning: &[],
        },
    };
    let at = chrono::DateTime::from_timestamp(1_773_000_000, 0).expect("instant");
    let mut streamed = Vec::new();
    let walked = each_project(&call, |p, c| {
        streamed.push((p, c));
        Ok(())
    });
    match (compacts_by_project(&call), walked) {
        (Ok(all), Ok(())) => {
            assert_eq!(all.len(), projects.len());
            assert_eq!(streamed.len(), projects.len());
            for ((p, c), whole) in streamed.iter().zip(&all) {
                assert_eq!(c, whole, "project {p} built alike both ways");
                match tijdreg::subsidy::report_compact(c, at) {
                    Ok(r) => {
                        let totals = tijdreg::subsidy::totals_compact(c, at).expect("the same records count twice");
                        assert_eq!(totals, r.summary(), "totals and report disagree");
                        let _ = r.explain();
                    }
                    Err(e) => {
                        common::assert_no_insz(&e.message_en());
                        common::assert_no_insz(&e.message_nl());
                    }
                }
            }
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.message_en(), b.message_en(), "the same first error both ways");
            common::assert_no_insz(&a.message_en());
            common::assert_no_insz(&a.message_nl());
        }
        (a, b) => panic!("compacts_by_project and each_project disagree: {:?} / {:?}", a.is_ok(), b.is_ok()),
    }
});
