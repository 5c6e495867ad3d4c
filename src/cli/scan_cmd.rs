//! `mamori scan`: collect or load, evaluate, report, exit code.

use super::output::Destination;
use super::{PlainError, ProviderCommand, ScanArgs, exit, report_error};
use crate::collect::{CollectError, Progress};
use crate::inventory::Inventory;
use crate::pipeline::{self, Selection};
use crate::report;

/// Runs a scan; returns the exit code.
pub fn run(args: ScanArgs) -> u8 {
    let common = &args.common;
    // One saved inventory reported as JSON alone is evaluated as it is read, with
    // compact findings, so a large inventory takes memory for its findings only.
    // Anything that needs the whole report at once (mutelist, baseline, other formats)
    // loads it whole. Its head (everything but the resources) is read while the checks
    // load.
    let streamed = match (&args.provider, args.inventory.as_slice()) {
        (None, [path])
            if common.mutelist.is_none()
                && common.baseline.is_none()
                && common.save_inventory.is_none()
                && common.output_dir.is_none()
                && common.compliance.is_none()
                && !common.format.is_empty()
                && common.format.iter().all(|f| *f == report::Format::Json) =>
        {
            let path = path.clone();
            let started_at = crate::inventory::now_rfc3339();
            Some(std::thread::spawn(move || {
                (crate::inventory::stream::head(&path), started_at)
            }))
        }
        _ => None,
    };
    let framework = match &common.compliance {
        Some(id) => match super::output::framework(id) {
            Some(f) => Some(f),
            None => return exit::USAGE,
        },
        None => None,
    };
    let set = match crate::checks::load(&common.checks_dir) {
        Ok(s) => s,
        Err(e) => {
            report_error(e);
            return exit::USAGE;
        }
    };
    let selection = Selection {
        include: common.checks.clone(),
        exclude: common.exclude_checks.clone(),
        services: common.services.clone(),
        min_severity: common.severity,
    };
    let checks = match pipeline::select(&set.checks, &selection) {
        Ok(c) => c,
        Err(e) => {
            report_error(PlainError::new(e));
            return exit::USAGE;
        }
    };

    // Read the mutelist and baseline before a possibly long collection.
    let gating = match super::gating::Gating::load(common) {
        Ok(g) => g,
        Err(code) => return code,
    };

    if let (Some(reading), [path]) = (streamed, args.inventory.as_slice())
        && let Ok((Ok(head), started_at)) = reading.join()
        && let Ok(scan) = pipeline::evaluate_streamed_after(head, path, &checks, started_at)
    {
        return finish_streamed(&scan, common);
    }

    let inventory = match (&args.provider, args.inventory.as_slice()) {
        (None, [first, rest @ ..]) => match load_inventories(first, rest) {
            Ok(inv) => inv,
            Err(e) => {
                report_error(PlainError::with_help(
                    e.to_string(),
                    "an inventory is written by `mamori scan <provider> --save-inventory FILE`; its schema is schemas/inventory-v1.schema.json",
                ));
                return exit::USAGE;
            }
        },
        (Some(provider), []) => match collect(provider, common.quiet) {
            Ok(inv) => inv,
            Err(CollectError::Config(m)) => {
                report_error(PlainError::new(m));
                return exit::USAGE;
            }
            Err(CollectError::Fatal { message, help }) => {
                report_error(PlainError { message, help });
                return exit::SCAN_FAILED;
            }
        },
        _ => {
            report_error(PlainError::with_help(
                "nothing to scan",
                "name a provider (`mamori scan aws`, `scan gcp --project P`, `scan salesforce`) or a saved inventory (`mamori scan --inventory FILE`)",
            ));
            return exit::USAGE;
        }
    };

    if let Some(path) = &common.save_inventory
        && let Err(e) = inventory.save(path)
    {
        report_error(PlainError::new(e.to_string()));
        return exit::USAGE;
    }

    let mut report = pipeline::evaluate_inventory(&inventory, &checks);
    gating.apply(&mut report, &inventory, &checks, common.quiet);
    let dest = Destination {
        formats: &common.format,
        output: common.output.as_deref(),
        output_dir: common.output_dir.as_deref(),
        show_passes: common.show_passes,
        compliance: framework.as_ref(),
    };
    let Ok(written) = dest.write(&report) else {
        return exit::USAGE;
    };
    // As before `--output-dir` existed: a table written to `--output` needs no summary.
    let table_only = common.format.iter().all(|f| *f == report::Format::Table);
    if !common.quiet && !written.is_empty() && (common.output_dir.is_some() || !table_only) {
        if common.output_dir.is_some() {
            for p in &written {
                eprintln!("wrote {}", p.display());
            }
        }
        eprintln!("{}", report::table::summary_line(&report));
    }
    super::gating::explain_exit(&report, common.fail_on, common.quiet);
    let code = pipeline::exit_code(&report, common.fail_on);
    // The process ends right after: freeing a million findings one by one would only
    // delay the exit (the operating system takes the memory back at once).
    std::mem::forget(report);
    std::mem::forget(inventory);
    code
}

/// Writes the JSON report of a streamed scan; returns the exit code.
fn finish_streamed(scan: &pipeline::StreamedScan, common: &super::CommonScanArgs) -> u8 {
    let path = common.output.as_deref();
    let written = super::output::write_with(path, |out| {
        report::json::write_compact(&scan.report, &scan.findings, out)
    });
    if let Err(e) = written {
        report_error(PlainError::new(e));
        return exit::USAGE;
    }
    // Only the findings that decide the exit code are needed as findings.
    let gating = match common.fail_on {
        Some(threshold) => scan.report_of(|status, severity| {
            status == crate::findings::Status::Fail && severity >= threshold
        }),
        None => scan.report.clone(),
    };
    if !common.quiet && path.is_some() {
        eprintln!("{}", report::table::summary_line(&gating));
    }
    super::gating::explain_exit(&gating, common.fail_on, common.quiet);
    pipeline::exit_code(&gating, common.fail_on)
}

fn collect(provider: &ProviderCommand, quiet: bool) -> Result<Inventory, CollectError> {
    // A plan is read from a file: no runtime, no credentials.
    if let ProviderCommand::Terraform(t) = provider {
        return crate::collect::terraform::load(&t.into());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CollectError::fatal(format!("cannot start the runtime: {e}"), "retry"))?;
    #[allow(
        unused_variables,
        reason = "unused when every collector is compiled out"
    )]
    let progress = Progress::new(quiet);
    let collected: Result<Inventory, CollectError> = rt.block_on(async {
        match provider {
            #[cfg(feature = "aws")]
            ProviderCommand::Aws(a) => crate::collect::aws::collect(&a.into(), &progress).await,
            #[cfg(feature = "gcp")]
            ProviderCommand::Gcp(g) => crate::collect::gcp::collect(&g.into(), &progress).await,
            #[cfg(feature = "salesforce")]
            ProviderCommand::Salesforce(s) => {
                crate::collect::salesforce::collect(&s.into(), &progress).await
            }
            #[cfg(feature = "salesforce")]
            ProviderCommand::SalesforceSite(s) => {
                crate::collect::salesforce::probe::probe(&s.into(), &progress).await
            }
            #[allow(
                unreachable_patterns,
                reason = "reached only when a collector is compiled out"
            )]
            other => Err(crate::collect::not_built(match other {
                ProviderCommand::Aws(_) => "aws",
                ProviderCommand::Gcp(_) => "gcp",
                ProviderCommand::Salesforce(_) | ProviderCommand::SalesforceSite(_) => "salesforce",
                ProviderCommand::Terraform(_) => "terraform",
            })),
        }
    });
    let mut inv = collected?;
    inv.normalize();
    Ok(inv)
}

/// Loads one or several saved inventories into one; ages are measured against the
/// latest collection time among them.
pub(super) fn load_inventories(
    first: &std::path::Path,
    rest: &[std::path::PathBuf],
) -> Result<Inventory, crate::inventory::InventoryError> {
    join_inventories(Inventory::load(first)?, rest)
}

/// Adds the saved inventories at `rest` to `inv` (see [`load_inventories`]).
pub(super) fn join_inventories(
    mut inv: Inventory,
    rest: &[std::path::PathBuf],
) -> Result<Inventory, crate::inventory::InventoryError> {
    for path in rest {
        let other = Inventory::load(path)?;
        if other.collected_at > inv.collected_at {
            inv.collected_at.clone_from(&other.collected_at);
        }
        inv.merge(other);
    }
    if !rest.is_empty() {
        inv.normalize();
    }
    Ok(inv)
}
