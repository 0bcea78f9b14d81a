//! The counting kernel against the floor, side by side in one run, at several sizes (issue 10).
//!
//! `cargo bench --bench counting` (add `-- --max 1000000` to stop at a million intervals).
//! Prints a Markdown table: per size, the floor (one flat pass: attended ∩ (planned − break),
//! totals only), the totals path, the full report (every excluded stretch as a fact), the
//! rendering of every text of the report, the records JSON → report path, with time per
//! interval, ratio to the floor and peak memory beyond the input; and the ratios measured in
//! turns (floor, totals, report, round after round: each round's times divided by its own
//! floor's, the median of the rounds), which a shared host's spells move less. With
//! `TIJDREG_BENCH_ROUNDS=1` set, each round's three times go to standard error. Results are
//! written down in `docs/benchmarks.md`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tijdreg_workspace::synth;

/// Counts live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
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

/// Median time of `f` over at least 3 runs and about `budget` in total; and the peak heap
/// growth of one run beyond what was live before it.
fn measure<T>(budget: Duration, mut f: impl FnMut() -> T) -> (Duration, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t0 = Instant::now();
    let out = f();
    let first = t0.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    drop(out);
    let mut times = vec![first];
    let runs = (budget.as_secs_f64() / first.as_secs_f64().max(1e-9)).clamp(2.0, 200.0) as usize;
    for _ in 0..runs {
        let t0 = Instant::now();
        let out = std::hint::black_box(f());
        times.push(t0.elapsed());
        drop(out);
    }
    times.sort();
    (times[times.len() / 2], peak)
}

/// The floor, the totals path and the report run in turns, round after round, for about
/// `budget` (at least 5 rounds; the order of the three rotates from round to round): each
/// round's totals and report time divided by the same round's floor time. Returns the
/// median ratios and the rounds. A shared host's slow and fast spells then weigh on the
/// floor and on the kernel alike, which a median of each path's own runs, measured one
/// path after the other, does not ensure.
fn paired<A, B, C>(
    budget: Duration,
    mut floor: impl FnMut() -> A,
    mut totals: impl FnMut() -> B,
    mut report: impl FnMut() -> C,
) -> (f64, f64, usize) {
    let mut tot = Vec::new();
    let mut rep = Vec::new();
    let t0 = Instant::now();
    let mut round = 0usize;
    while round < 5 || (t0.elapsed() < budget && round < 400) {
        let mut t = [Duration::ZERO; 3];
        for k in 0..3 {
            let which = (k + round) % 3;
            let s = Instant::now();
            match which {
                0 => drop(std::hint::black_box(floor())),
                1 => drop(std::hint::black_box(totals())),
                _ => drop(std::hint::black_box(report())),
            }
            t[which] = s.elapsed();
        }
        let f = t[0].as_secs_f64().max(1e-12);
        if std::env::var_os("TIJDREG_BENCH_ROUNDS").is_some() {
            eprintln!("round {round}: floor {:?}, totals {:?}, report {:?}", t[0], t[1], t[2]);
        }
        tot.push(t[1].as_secs_f64() / f);
        rep.push(t[2].as_secs_f64() / f);
        round += 1;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut tot), median(&mut rep), round)
}

fn ns_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let max: usize = args
        .iter()
        .position(|a| a == "--max")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let at = chrono::DateTime::parse_from_rfc3339("2027-03-01T12:00:00+01:00")
        .expect("instant")
        .with_timezone(&chrono::Utc);
    println!(
        "| intervals | lines | floor | totals | report | in turns: totals / report ÷ floor | render all texts | records JSON → report | report memory beyond input |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut call_rows = Vec::new();
    for &n in &[10_000usize, 100_000, 1_000_000, 10_000_000] {
        if n > max {
            break;
        }
        let flat = synth::flat(7, n);
        let c = synth::compact(7, n);
        let intervals = c.interval_count();
        let budget = Duration::from_millis(if n >= 10_000_000 { 4000 } else { 1500 });
        if let Some(only) = only.as_deref() {
            // For a profiler: one path alone, about ten seconds of it, at the largest size asked.
            if n * 10 <= max {
                continue;
            }
            let long = Duration::from_secs(10);
            let (t, _) = match only {
                "totals" => measure(long, || tijdreg::subsidy::totals_compact(&c, at).expect("totals")),
                "report" => measure(long, || tijdreg::subsidy::report_compact(&c, at).expect("report")),
                "columns" => {
                    let t = synth::call_tables(7, n, PROJECTS);
                    t.with_columns(|call| measure(long, || call_totals(call, at)))
                }
                _ => measure(long, || synth::floor(&flat)),
            };
            println!("{only}: {:.1} ns per interval", ns_per(t, intervals));
            return;
        }
        let (floor, _) = measure(budget, || synth::floor(&flat));
        let (tot, _) = measure(budget, || tijdreg::subsidy::totals_compact(&c, at).expect("totals"));
        let (rep, rep_peak) = measure(budget, || tijdreg::subsidy::report_compact(&c, at).expect("report"));
        let (tot_paired, rep_paired, rounds) = paired(
            budget,
            || synth::floor(&flat),
            || tijdreg::subsidy::totals_compact(&c, at).expect("totals"),
            || tijdreg::subsidy::report_compact(&c, at).expect("report"),
        );
        let report = tijdreg::subsidy::report_compact(&c, at).expect("report");
        let lines = report.lines().len();
        let (render, _) = measure(budget, || {
            let mut bytes = 0usize;
            for l in report.lines().iter() {
                for e in l.excluded() {
                    bytes += e.text().len();
                }
                for b in l.break_texts() {
                    bytes += b.len();
                }
            }
            bytes
        });
        let json_cell = if n <= 1_000_000 {
            let records = synth::records(7, n);
            let text = serde_json::to_string(&records).expect("json");
            drop(records);
            let (parse, _) = measure(budget, || {
                let c = tijdreg::subsidy::compact_from_json(&text).expect("parse");
                tijdreg::subsidy::report_compact(&c, at).expect("report")
            });
            format!(
                "{:.0} ms ({:.0} MB/s of {:.0} MB)",
                parse.as_secs_f64() * 1e3,
                text.len() as f64 / parse.as_secs_f64() / 1e6,
                text.len() as f64 / 1e6
            )
        } else {
            "—".into()
        };
        let ratio = |d: Duration| d.as_secs_f64() / floor.as_secs_f64();
        println!(
            "| {intervals} | {lines} | {:.2} ms ({:.1} ns) | {:.2} ms ({:.1} ns, {:.1}×) | {:.2} ms ({:.1} ns, {:.1}×) | {tot_paired:.1}× / {rep_paired:.1}× ({rounds} rounds) | {:.0} ms | {json_cell} | {:.0} B/interval |",
            floor.as_secs_f64() * 1e3,
            ns_per(floor, intervals),
            tot.as_secs_f64() * 1e3,
            ns_per(tot, intervals),
            ratio(tot),
            rep.as_secs_f64() * 1e3,
            ns_per(rep, intervals),
            ratio(rep),
            render.as_secs_f64() * 1e3,
            rep_peak as f64 / intervals as f64,
        );
        if n <= 1_000_000 {
            let t = synth::call_tables(7, n, PROJECTS);
            let (call, two) = t.with_columns(|call| {
                let one = measure(budget, || call_totals(call, at)).0;
                let two = measure(budget, || call_totals_on_two(call, at)).0;
                (one, two)
            });
            let rows = t.interval_count();
            call_rows.push(format!(
                "| {rows} | {} | {:.2} ms ({:.1} ns, {:.1}×) | {:.2} ms ({:.2}× one thread's speed) |",
                t.projects.len(),
                call.as_secs_f64() * 1e3,
                ns_per(call, rows),
                call.as_secs_f64() / (floor.as_secs_f64() * rows as f64 / intervals as f64),
                two.as_secs_f64() * 1e3,
                call.as_secs_f64() / two.as_secs_f64(),
            ));
        }
    }
    println!();
    println!(
        "| intervals | projects | call tables → totals of every project (vs floor) | the same on two threads sharing one index |"
    );
    println!("|---|---|---|---|");
    for r in call_rows {
        println!("{r}");
    }
}

/// [`call_totals`] on two threads, as the bindings count a call: the call's index made once,
/// each thread walking half of the projects (by number; the synthetic projects are of a size).
fn call_totals_on_two(call: &tijdreg::subsidy::columns::CallColumns<'_>, at: chrono::DateTime<chrono::Utc>) -> i64 {
    let index = tijdreg::subsidy::columns::CallIndex::new(call).expect("index");
    let half = call.projects.len() / 2;
    std::thread::scope(|scope| {
        let other = scope.spawn(|| walk(&index, half..call.projects.len(), at));
        walk(&index, 0..half, at) + other.join().expect("thread")
    })
}

/// The counted minutes of the projects `range` of an indexed call, each project built and
/// counted in turn.
fn walk(
    index: &tijdreg::subsidy::columns::CallIndex<'_>,
    range: std::ops::Range<usize>,
    at: chrono::DateTime<chrono::Utc>,
) -> i64 {
    let mut minutes = 0i64;
    let mut memo = tijdreg::subsidy::ReceiptMemo::default();
    index
        .each_project_in(range, |_, c| {
            minutes += tijdreg::subsidy::totals_compact_with(&c, at, &mut memo)?
                .realised
                .counted_minutes;
            Ok(())
        })
        .expect("call");
    minutes
}

/// Projects of the synthetic call (`--only columns` and the call table).
const PROJECTS: usize = 1000;

/// A call's tables to every project's totals on one thread: grouping the rows by project,
/// checking and building each project's records, counting them (the columns path the
/// bindings' `call_totals_from_arrow` takes, without its threads).
fn call_totals(call: &tijdreg::subsidy::columns::CallColumns<'_>, at: chrono::DateTime<chrono::Utc>) -> i64 {
    let index = tijdreg::subsidy::columns::CallIndex::new(call).expect("index");
    walk(&index, 0..call.projects.len(), at)
}
