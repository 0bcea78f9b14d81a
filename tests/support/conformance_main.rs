//! `tijdreg-conformance [DIR]`: runs every case file of DIR (default `tests/conformance`),
//! prints one line per case and `N passed, M failed`, exits 1 on any failure.

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "tests/conformance".into());
    match tijdreg_workspace::run_dir(std::path::Path::new(&dir), &mut std::io::stdout()) {
        Ok(0) => {}
        Ok(_) => std::process::exit(1),
        Err(e) => {
            eprintln!("tijdreg-conformance: cannot read {dir}: {e}");
            std::process::exit(2);
        }
    }
}
