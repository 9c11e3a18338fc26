//! `bioxen compare` and `bioxen plot`.

use super::{CompareArgs, PlotArgs, with_threads};
use bioxen::compare::{self, Estimate};
use bioxen::sweep::{self, SweepError, plan};
use bioxen_engine::trace::TraceReader;
use std::io::Write;
use std::process::ExitCode;

fn arg<T>(r: Result<T, plan::SweepArgError>) -> anyhow::Result<T> {
    r.map_err(|e| super::BadInput(e.0).into())
}

pub fn compare(a: CompareArgs) -> anyhow::Result<ExitCode> {
    let seeds = arg(plan::parse_seeds(&a.seeds))?;
    let policies = arg(plan::parse_policies(&a.policies))?;
    let sets = a.set.iter().map(|s| arg(plan::parse_set(s))).collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(p) = &a.plot {
        // Refuse a bad chart path before minutes of runs, not after.
        bioxen::plot::format_of(p)?;
    }
    let runs = arg(plan::plan(&seeds, &policies, &sets))?;
    let rows =
        with_threads(a.jobs, || sweep::run_in_memory(&a.scenario, &sets, &runs, |_, _| {}))?.map_err(|e| match e {
            SweepError::Args(x) => anyhow::Error::from(super::BadInput(x.0)),
            other => other.into(),
        })?;
    let summaries = compare::summarise(&rows);
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer(&mut out, &summaries)?;
        writeln!(out)?;
    } else {
        let cell = |e: Estimate, digits: usize| format!("{:.*} ± {:.*}", digits, e.mean, digits, e.half_width);
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header([
            "rank",
            "policy",
            "runs",
            "proteins made",
            "Jain (demand met)",
            "Jain (dominant share)",
            "worst VM demand met",
            "ribosome utilisation",
            "starved VM-ticks",
        ]);
        for (i, s) in summaries.iter().enumerate() {
            t.add_row([
                (i + 1).to_string(),
                s.policy.clone(),
                s.runs.to_string(),
                cell(s.proteins_total, 0),
                cell(s.jain_fairness, 3),
                cell(s.jain_dominant, 3),
                cell(s.worst_demand_met, 3),
                cell(s.ribosome_utilisation, 3),
                cell(s.starved_ticks, 1),
            ]);
        }
        writeln!(
            out,
            "{}: {} seeds per policy; mean ± 95 % CI, ranked by proteins made\n{t}",
            a.scenario.display(),
            seeds.len()
        )?;
    }
    if let Some(p) = &a.plot {
        let title = format!("{} — {} seeds per policy", a.scenario.display(), seeds.len());
        bioxen::plot::comparison(p, &title, &summaries)?;
        if !a.json {
            writeln!(out, "chart: {}", p.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Most ticks `bioxen plot` reads from a trace (the chart thins them anyway); bounds memory.
const PLOT_TICKS_MAX: usize = 1_000_000;

pub fn plot(a: PlotArgs) -> anyhow::Result<ExitCode> {
    bioxen::plot::format_of(&a.out)?;
    let mut trace = TraceReader::open(&a.trace)?;
    let mut records = Vec::new();
    while let Ok(r) = trace.next_tick()? {
        if records.len() < PLOT_TICKS_MAX {
            records.push(r);
        }
    }
    bioxen::plot::trace(&a.out, &trace.header.scenario, &records)?;
    println!("chart: {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}
