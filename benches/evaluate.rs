//! Evaluation benchmark: a synthetic inventory of 100,000 resources of mixed kinds
//! (built from every check's own fixtures, so the data has the real shapes), all
//! built-in checks evaluated, check-evaluations per second and peak memory printed.
//!
//! Run: `cargo bench --bench evaluate` (add `-- --resources N` for another size).
//! The inventory is written to a temporary file (or to `MAMORI_BENCH_INVENTORY`), then
//! evaluated in fresh processes: first end to end by the real binary (`mamori scan
//! --inventory FILE --format json --output FILE`, or `MAMORI_BIN`) under GNU time for
//! wall time and peak RSS, the median of five runs; then stage by stage in this
//! benchmark's own process, through the path that holds every finding in memory (the
//! one other formats, mutelists and baselines take).

use std::io::Write as _;
use std::process::Command;
use std::time::Instant;

use mamori::checks;
use mamori::inventory::{Inventory, Resource, Scope};

fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Writes the inventory; returns its size and how many check-evaluations it makes.
fn generate(n: usize, path: &std::path::Path) -> (usize, usize) {
    let set = checks::load(&[]).expect("checks load");
    // One template per fixture: (provider, kind, data).
    let mut templates = Vec::new();
    for c in &set.checks {
        for fx in c.fixtures.fail.iter().chain(&c.fixtures.pass) {
            templates.push((c.provider, c.resource_kind.clone(), fx.data.clone()));
        }
    }
    let mut inv = Inventory::new();
    inv.collected_at = "2026-06-01T00:00:00Z".into();
    for p in mamori::inventory::Provider::ALL {
        inv.scopes.push(Scope {
            provider: p,
            id: format!("bench-{p}"),
            name: None,
            regions: vec![],
            attributes: Default::default(),
        });
    }
    for i in 0..n {
        let (p, kind, data) = &templates[i % templates.len()];
        inv.resources.push(
            Resource::new(
                *p,
                kind.clone(),
                format!("bench-{p}"),
                format!("{kind}/{i:06}"),
                data,
            )
            .named(format!("resource-{i:06}"))
            .in_region(if i % 2 == 0 { "region-a" } else { "region-b" }),
        );
    }
    let text = serde_json::to_string(&inv).expect("serialize");
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(text.as_bytes()).expect("write");
    (text.len(), evaluations(&inv, &set))
}

/// How many (check, resource) pairs the inventory makes.
fn evaluations(inv: &Inventory, set: &checks::CheckSet) -> usize {
    inv.resources
        .iter()
        .map(|r| {
            set.checks
                .iter()
                .filter(|c| c.resource_kind == r.kind)
                .count()
        })
        .sum()
}

fn evaluate(path: &std::path::Path) {
    let set = checks::load(&[]).expect("checks load");
    let t0 = Instant::now();
    let inv = Inventory::load(path).expect("load");
    let load = t0.elapsed();
    let evaluations = evaluations(&inv, &set);
    let applicable = mamori::pipeline::applicable(&inv, &set.checks);
    let t1 = Instant::now();
    let findings = mamori::evaluate::evaluate(&inv, &applicable);
    let eval = t1.elapsed();
    let t2 = Instant::now();
    let report = mamori::pipeline::assemble(
        &inv,
        &applicable,
        findings,
        mamori::inventory::now_rfc3339(),
    );
    let assembled = t2.elapsed();
    // The JSON report as `scan --format json --output FILE` writes it.
    let t3 = Instant::now();
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, out.reopen().expect("reopen"));
    mamori::report::json::write_to(&report, &mut w).expect("write JSON");
    w.flush().expect("flush");
    drop(w);
    let write = t3.elapsed();
    let json_size = std::fs::metadata(out.path()).map(|m| m.len()).unwrap_or(0);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("resources:               {}", inv.resources.len());
    println!("checks:                  {}", set.checks.len());
    println!("check-evaluations:       {evaluations}");
    println!("findings:                {}", report.findings.len());
    println!(
        "inventory JSON size:     {:.1} MiB",
        size as f64 / 1048576.0
    );
    println!("stages (in process, one after the other):");
    println!("  load:                  {:.2} s", load.as_secs_f64());
    println!(
        "  evaluation:            {:.2} s: {:.0} evaluations/s",
        eval.as_secs_f64(),
        evaluations as f64 / eval.as_secs_f64()
    );
    println!(
        "  assembly:              {:.2} s (sort, fingerprints, summary)",
        assembled.as_secs_f64()
    );
    println!(
        "  JSON written:          {:.2} s ({:.1} MiB)",
        write.as_secs_f64(),
        json_size as f64 / 1048576.0
    );
    println!(
        "  peak RSS:              {:.1} MiB",
        peak_rss_bytes() as f64 / 1048576.0
    );
    drop(report);
}

/// Runs that the end-to-end figure is the median of.
const RUNS: usize = 5;

/// End to end: the real binary, from process start to report written, `RUNS` times on
/// an idle page cache (`sync` first: the previous run's 700 MiB of dirty pages would
/// otherwise be written back during the next); prints the median and the range.
fn end_to_end(path: &std::path::Path, evaluations: usize) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bin = std::env::var("MAMORI_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_mamori").into());
    let mut runs: Vec<(f64, f64)> = Vec::new();
    for _ in 0..RUNS {
        let result = tempfile::NamedTempFile::new().expect("temp file");
        let _ = Command::new("sync").status();
        let run = Command::new("/usr/bin/time")
            .args(["-f", "%e %M", &bin, "scan", "--inventory"])
            .arg(path)
            .args(["--format", "json", "-q", "--output"])
            .arg(result.path())
            .output()
            .expect("run /usr/bin/time (GNU time) and mamori");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "the end-to-end run failed: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        let mut parts = last.split_whitespace();
        let wall: f64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let rss_kb: f64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        runs.push((wall, rss_kb));
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (wall, rss_kb) = runs[RUNS / 2];
    let peak_rss = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    println!(
        "end to end (`{bin} scan --inventory FILE --format json --output FILE`, median of {RUNS}):"
    );
    println!(
        "  wall:                  {wall:.2} s: {:.0} evaluations/s (range {:.2} to {:.2} s)",
        evaluations as f64 / wall,
        runs[0].0,
        runs[RUNS - 1].0
    );
    println!(
        "  peak RSS:              {:.1} MiB ({:.1}x the inventory JSON; highest of the runs {:.1} MiB)",
        rss_kb / 1024.0,
        rss_kb * 1024.0 / size as f64,
        peak_rss / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--eval") {
        evaluate(std::path::Path::new(&args[i + 1]));
        return;
    }
    let n = args
        .iter()
        .position(|a| a == "--resources")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = match std::env::var_os("MAMORI_BENCH_INVENTORY") {
        Some(p) => std::path::PathBuf::from(p),
        None => dir.path().join("bench-inventory.json"),
    };
    let (size, evaluations) = generate(n, &path);
    eprintln!("generated {n} resources ({size} bytes)");
    // The binary first, on a machine that has not just written the in-process report.
    end_to_end(&path, evaluations);
    let status = Command::new(std::env::current_exe().expect("exe"))
        .arg("--eval")
        .arg(&path)
        .status()
        .expect("run evaluation");
    assert!(status.success());
}
