fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let explain = std::env::args().nth(2).is_some_and(|a| a == "explain");
    let c = tijdreg_workspace::synth::compact(7, n);
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let t = std::time::Instant::now();
    let iters: u32 = std::env::args().nth(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    for _ in 0..iters {
        if explain {
            std::hint::black_box(tijdreg::subsidy::report_compact(&c, at).unwrap());
        } else {
            std::hint::black_box(tijdreg::subsidy::totals_compact(&c, at).unwrap());
        }
    }
    eprintln!("{:?} per run", t.elapsed() / iters);
}
