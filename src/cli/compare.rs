//! `bioxen compare` and `bioxen plot`.

use super::sweep::RunProgress;
use super::{CompareArgs, PlotArgs, print, with_threads};
use bioxen::compare::{self, Estimate};
use bioxen::error::Result;
use bioxen::files;
use bioxen::sweep::{self, plan};
use std::process::ExitCode;

pub fn compare(a: CompareArgs) -> Result<ExitCode> {
    let seeds = plan::parse_seeds(&a.seeds)?;
    let policies = plan::parse_policies(&a.policies)?;
    let sets = plan::parse_sets(&a.set)?;
    // Refuse a bad chart path before minutes of runs, not after.
    let chart = match &a.plot {
        Some(p) => {
            let dest = files::destination(p, "--plot")?;
            files::refuse_overwriting(&dest, "--plot", p, &[&a.scenario])?;
            Some((dest, bioxen::plot::format_for(p, a.format.map(Into::into))?))
        }
        None => None,
    };
    let runs = plan::plan(&seeds, &policies, &sets)?;
    let progress = RunProgress::new("compare");
    let (farm, jobs) = a.farm.farm(a.jobs)?;
    let rows = with_threads(jobs, || {
        sweep::run_in_memory(&a.scenario, &sets, &runs, farm.as_deref(), |d, t| progress.show(d, t))
    })??;
    progress.finish();
    let summaries = compare::summarise(&rows);
    if a.json {
        print(format_args!("{}\n", serde_json::to_string(&summaries)?))?;
    } else {
        print(format_args!("{}", table(&a.scenario.display().to_string(), seeds.len(), &summaries, !sets.is_empty())))?;
    }
    if let Some((dest, format)) = chart {
        let title = format!("{} — {} seeds each", a.scenario.display(), seeds.len());
        bioxen::plot::comparison(&dest, format, &title, &summaries)?;
        if !a.json {
            print(format_args!("chart: {}\n", a.plot.as_ref().map_or(String::new(), |p| p.display().to_string())))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The ranked table: one row per policy (and `--set` combination).
fn table(scenario: &str, seeds: usize, summaries: &[compare::PolicySummary], sets: bool) -> String {
    let cell = |e: Estimate, digits: usize| format!("{:.*} ± {:.*}", digits, e.mean, digits, e.half_width);
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["rank", "policy"];
    if sets {
        header.push("--set");
    }
    header.extend([
        "runs",
        "proteins made",
        "Jain (demand met)",
        "Jain (dominant share)",
        "worst VM demand met",
        "ribosome utilisation",
        "starved VM-ticks",
    ]);
    t.set_header(header);
    for (i, s) in summaries.iter().enumerate() {
        let mut row = vec![(i + 1).to_string(), s.policy.clone()];
        if sets {
            row.push(s.set.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "));
        }
        row.extend([
            s.runs.to_string(),
            cell(s.proteins_total, 0),
            cell(s.jain_fairness, 3),
            cell(s.jain_dominant, 3),
            cell(s.worst_demand_met, 3),
            cell(s.ribosome_utilisation, 3),
            cell(s.starved_ticks, 1),
        ]);
        t.add_row(row);
    }
    format!("{scenario}: {seeds} seeds each; mean ± 95 % CI, ranked by proteins made\n{t}\n")
}

/// Most ticks `bioxen plot` reads from a trace (the chart thins them anyway); bounds memory.
const PLOT_TICKS_MAX: usize = 1_000_000;

/// `plot --genes`: the named genes' proteins of one VM, read by re-running the trace's
/// scenario ([`bioxen::genes::read`]), about 2,000 points a gene.
fn plot_genes<R: std::io::Read>(
    a: PlotArgs,
    dest: &files::Destination,
    format: bioxen::plot::Format,
    mut trace: bioxen_engine::trace::TraceReader<R>,
) -> Result<ExitCode> {
    let vm = bioxen::genes::vm_of(&trace, a.vm.as_deref())?;
    let scenario = trace.scenario.clone();
    let minutes = |tick: u64| tick as f64 * scenario.tick_seconds / 60.0;
    let mut series: Vec<(String, Vec<(f64, f64)>)> = a.genes.iter().map(|g| (g.clone(), Vec::new())).collect();
    let bar = super::run::progress_bar(scenario.ticks, 0, false, "ticks re-run");
    let every = (scenario.ticks / 2_000).max(1);
    let (mut divided, mut divisions) = (0, Vec::new());
    bioxen::genes::read(
        &mut trace,
        &a.trace,
        vm,
        &a.genes,
        |tick| tick % every == 0,
        |record, counts, names| {
            bar.set_position(record.tick + 1);
            let now = record.vms.iter().find(|v| v.vm as usize == vm).map_or(0, |v| v.divisions);
            if now > std::mem::replace(&mut divided, now) {
                divisions.push(minutes(record.tick + 1));
            }
            for (((name, points), &n), full) in series.iter_mut().zip(counts).zip(names) {
                full.clone_into(name);
                points.push((minutes(record.tick + 1), f64::from(n)));
            }
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    let spec = &scenario.vms[vm];
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    let title =
        format!("{} — VM {} ({}): proteins of {}", scenario.name, spec.id, spec.organism.name(), names.join(", "));
    bioxen::plot::genes(dest, format, &bioxen::plot::GeneSeries { title, genes: series, divisions })?;
    if *dest != files::Destination::Stdout {
        print(format_args!("chart: {}\n", a.out.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn plot(a: PlotArgs) -> Result<ExitCode> {
    let format = bioxen::plot::format_for(&a.out, a.format.map(Into::into))?;
    let dest = files::destination(&a.out, "--out")?;
    files::refuse_overwriting(&dest, "--out", &a.out, &[&a.trace])?;
    let mut trace = files::open_trace(&a.trace)?;
    if !a.genes.is_empty() {
        return plot_genes(a, &dest, format, trace);
    }
    let bar = super::run::progress_bar(trace.scenario.ticks, 0, false, "ticks read");
    let mut records = Vec::new();
    while let Ok(r) = trace.next_tick()? {
        bar.set_position(r.tick + 1);
        if records.len() < PLOT_TICKS_MAX {
            records.push(r);
        }
    }
    bar.finish_and_clear();
    bioxen::plot::trace(&dest, format, &trace.scenario, &records)?;
    if dest != files::Destination::Stdout {
        print(format_args!("chart: {}\n", a.out.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
