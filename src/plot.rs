//! Charts: a policy comparison and a trace over time, as SVG or PNG.
//!
//! Text is laid out with DejaVu Sans compiled into the binary (the `dejavu` crate, through
//! plotters' `ab_glyph` feature), never a system font lookup, so a chart renders the same
//! on any machine, with or without fontconfig. Files are written under a temporary name
//! and renamed, so a chart under its final name is always whole.

use crate::compare::PolicySummary;
use bioxen_engine::codec::{temporary_path, write_atomically};
use bioxen_engine::lifecycle::Transition;
use bioxen_engine::record::{TickRecord, VmRecord};
use bioxen_engine::scenario::{Action, Scenario};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Most VMs drawn in a trace chart (legend legibility); the title says when there are more.
pub const TRACE_VMS_MAX: usize = 12;
/// Most points per series: longer traces are thinned evenly.
pub const POINTS_MAX: usize = 2000;

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;
/// A panel of the comparison: its caption and each policy's (mean, half-width).
type Metric<'a> = (&'a str, &'a dyn Fn(&PolicySummary) -> (f64, f64));
/// A panel of the trace chart: its caption and the value it plots from a VM's record.
type Series = (&'static str, fn(&VmRecord) -> f64);

/// The image formats charts are written in, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

/// The format a chart path asks for: `.svg` or `.png`.
pub fn format_of(path: &Path) -> Result<Format, crate::BadPlot> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => Err(crate::BadPlot(format!("{}: charts are written as .svg or .png", path.display()))),
    }
}

/// Registers the bundled font under the family name the charts use (once per process).
fn register_font() -> anyhow::Result<()> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if ok { Ok(()) } else { Err(anyhow::anyhow!("the bundled DejaVu Sans font could not be loaded")) }
}

/// Something drawable on any plotters backend.
trait Chart {
    /// Width and height in pixels.
    const SIZE: (u32, u32);
    /// Draws onto `root`.
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static;
}

/// Draws `chart` to `path` in the format its extension names, atomically.
fn render<C: Chart>(path: &Path, chart: &C) -> anyhow::Result<()> {
    let format = format_of(path)?;
    register_font()?;
    let failed = |e: Box<dyn std::error::Error>| anyhow::anyhow!("drawing {}: {e}", path.display());
    match format {
        Format::Svg => {
            let mut svg = String::new();
            chart.draw(SVGBackend::with_string(&mut svg, C::SIZE).into_drawing_area()).map_err(failed)?;
            write_atomically(path, |w| w.write_all(svg.as_bytes()))
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        }
        Format::Png => {
            // The encoder picks the format from the extension, so the temporary name keeps
            // `.png` last.
            let mut tmp = temporary_path(path).into_os_string();
            tmp.push(".png");
            let tmp = std::path::PathBuf::from(tmp);
            let drawn = chart.draw(BitMapBackend::new(&tmp, C::SIZE).into_drawing_area()).map_err(failed);
            let renamed = drawn
                .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())));
            if renamed.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            renamed
        }
    }
}

/// Compact axis labels: 950, 12k, 3.4M.
fn compact(v: f64) -> String {
    let a = v.abs();
    let (x, unit) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        return if a >= 10.0 || a == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
    };
    let text = format!("{x:.1}");
    format!("{}{unit}", text.strip_suffix(".0").unwrap_or(&text))
}

/// Two panels: mean proteins made and Jain's fairness per policy, with 95 % intervals.
pub fn comparison(path: &Path, title: &str, summaries: &[PolicySummary]) -> anyhow::Result<()> {
    render(path, &Comparison { title, summaries })
}

struct Comparison<'a> {
    title: &'a str,
    summaries: &'a [PolicySummary],
}

impl Chart for Comparison<'_> {
    const SIZE: (u32, u32) = (1300, 500);

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let s = self.summaries;
        root.fill(&WHITE)?;
        let root = root.titled(self.title, ("sans-serif", 22))?;
        let panels = root.split_evenly((1, 2));
        let names: Vec<String> = s.iter().map(|p| p.policy.clone()).collect();
        let metrics: [Metric; 2] = [
            ("proteins made per run (mean, 95 % CI)", &|p| (p.proteins_total.mean, p.proteins_total.half_width)),
            ("Jain's fairness over demand met (mean, 95 % CI)", &|p| {
                (p.jain_fairness.mean, p.jain_fairness.half_width)
            }),
        ];
        for (panel, (label, metric)) in panels.iter().zip(metrics) {
            let top = s.iter().map(|p| metric(p).0 + metric(p).1).fold(0.0, f64::max).max(1e-9) * 1.1;
            let mut chart = ChartBuilder::on(panel)
                .margin(12)
                .caption(label, ("sans-serif", 16))
                .x_label_area_size(60)
                .y_label_area_size(80)
                .build_cartesian_2d(-0.5f64..(s.len() as f64 - 0.5), 0f64..top)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(s.len().max(1))
                .x_label_formatter(&|x| names.get(x.round() as usize).cloned().unwrap_or_default())
                .y_label_formatter(&|y| compact(*y))
                .x_desc("policy")
                .draw()?;
            chart.draw_series(s.iter().enumerate().map(|(i, p)| {
                let x = i as f64;
                Rectangle::new([(x - 0.35, 0.0), (x + 0.35, metric(p).0)], Palette99::pick(i).mix(0.7).filled())
            }))?;
            chart.draw_series(s.iter().enumerate().map(|(i, p)| {
                let (mean, hw) = metric(p);
                ErrorBar::new_vertical(i as f64, mean - hw, mean, mean + hw, BLACK.stroke_width(2), 12)
            }))?;
        }
        root.present()?;
        Ok(())
    }
}

/// Three stacked panels over simulated time: ribosomes granted, ATP granted and proteins
/// per VM, with the timeline's lifecycle events marked. The y axes are logarithmic, so a
/// minimal cell beside an E. coli guest is still visible; zero is drawn at 1.
pub fn trace(path: &Path, scenario: &Scenario, records: &[TickRecord]) -> anyhow::Result<()> {
    render(path, &Trace { scenario, records })
}

struct Trace<'a> {
    scenario: &'a Scenario,
    records: &'a [TickRecord],
}

impl Chart for Trace<'_> {
    const SIZE: (u32, u32) = (1100, 900);

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let (scenario, records) = (self.scenario, self.records);
        let minutes = |tick: u64| tick as f64 * scenario.tick_seconds / 60.0;
        let end = records.last().map_or(1.0, |r| minutes(r.tick + 1));
        let step = records.len().div_ceil(POINTS_MAX).max(1);
        let shown = scenario.vms.len().min(TRACE_VMS_MAX);
        root.fill(&WHITE)?;
        let mut title = format!("{} — policy {}, seed {}", scenario.name, scenario.policy.name(), scenario.seed);
        if scenario.vms.len() > shown {
            title.push_str(&format!(" (first {shown} of {} VMs)", scenario.vms.len()));
        }
        let root = root.titled(&title, ("sans-serif", 22))?;
        let panels = root.split_evenly((3, 1));
        let series: [Series; 3] = [
            ("ribosomes granted (per tick)", |v| v.grant.ribosomes as f64),
            ("ATP granted (molecules per tick)", |v| v.grant.atp as f64),
            ("proteins in the cell (molecules)", |v| v.proteins as f64),
        ];
        let events: Vec<(f64, String)> = scenario
            .events
            .iter()
            .filter_map(|e| match e.action {
                Action::Lifecycle(t) if t != Transition::Destroy => {
                    Some((minutes(e.tick), format!("{} {}", t.name(), scenario.vms[e.vm as usize].id)))
                }
                _ => None,
            })
            .collect();
        for (k, (panel, (label, value))) in panels.iter().zip(series).enumerate() {
            let top = records
                .iter()
                .flat_map(|r| r.vms.iter().filter(|v| (v.vm as usize) < shown).map(value))
                .fold(1.0, f64::max)
                * 2.0;
            let mut chart = ChartBuilder::on(panel)
                .margin(10)
                .caption(label, ("sans-serif", 16))
                .x_label_area_size(if k == 2 { 40 } else { 20 })
                .y_label_area_size(70)
                .build_cartesian_2d(0f64..end, (1f64..top).log_scale())?;
            let mut mesh = chart.configure_mesh();
            mesh.y_label_formatter(&|y| compact(*y));
            if k == 2 {
                mesh.x_desc("simulated time (minutes)");
            }
            mesh.draw()?;
            for vm in 0..shown {
                let color = Palette99::pick(vm);
                let points = records.iter().step_by(step).filter_map(|r| {
                    r.vms.iter().find(|v| v.vm as usize == vm).map(|v| (minutes(r.tick), value(v).max(1.0)))
                });
                let drawn = chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
                if k == 0 {
                    drawn
                        .label(scenario.vms[vm].id.clone())
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(3)));
                }
            }
            for (i, (at, what)) in events.iter().enumerate() {
                chart.draw_series(std::iter::once(PathElement::new([(*at, 1.0), (*at, top)], BLACK.mix(0.4))))?;
                if k == 0 {
                    let y = top / 2f64.powi(1 + (i % 5) as i32);
                    chart.draw_series(std::iter::once(Text::new(what.clone(), (*at, y), ("sans-serif", 12))))?;
                }
            }
            if k == 0 {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::MiddleRight)
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()?;
            }
        }
        root.present()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn compact_labels() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_000.0), "12k");
        assert_eq!(compact(3_400_000.0), "3.4M");
        assert_eq!(compact(0.25), "0.25");
    }
}
