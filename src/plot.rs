//! Charts: a policy comparison and a trace over time, as SVG or PNG.
//!
//! Text: PNG charts are drawn with DejaVu Sans compiled into the binary (the `dejavu`
//! crate, through plotters' `ab_glyph` feature), never a system font lookup, so they are
//! the same pixels on every machine. SVG charts name the font family `DejaVu Sans,
//! sans-serif` and leave drawing the text to the viewer: the same layout everywhere, the
//! glyphs those of the viewer's DejaVu Sans or its fallback sans-serif font.
//!
//! Charts are drawn in memory and written through [`crate::files`]: a file under its final
//! name is always whole, and `-` or a device gets the bytes straight.

use crate::compare::PolicySummary;
use crate::error::{Error, Result};
use crate::files::{self, Destination};
use bioxen_engine::record::{TickRecord, VmRecord};
use bioxen_engine::scenario::{Action, Scenario};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

/// Most VMs drawn in a trace chart (legend legibility); the title says when there are more.
pub const TRACE_VMS_MAX: usize = 12;
/// Most points per series: longer traces are thinned evenly.
pub const POINTS_MAX: usize = 2000;
/// Markers drawn along each series: enough to tell series apart where their lines overlap.
const MARKERS_PER_SERIES: usize = 12;

/// The font family of every chart: the key under which the bundled DejaVu Sans is
/// registered for PNG, and a CSS font list for SVG (see the module documentation).
const FAMILY: &str = "DejaVu Sans, sans-serif";

type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;
/// A panel of the comparison: its caption and each policy's (mean, half-width).
type Metric<'a> = (&'a str, &'a dyn Fn(&PolicySummary) -> (f64, f64));
/// A panel of the trace chart: its caption and the value it plots from a VM's record.
type Series = (&'static str, fn(&VmRecord) -> f64);

/// The image formats charts are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

/// The format of a chart written to `path`: `explicit` if given (`--format`), else the
/// file's extension, `.svg` or `.png`.
pub fn format_for(path: &Path, explicit: Option<Format>) -> Result<Format> {
    if let Some(f) = explicit {
        return Ok(f);
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => Err(Error::BadInput(format!(
            "{}: charts are written as .svg or .png (or name the format with --format)",
            path.display()
        ))),
    }
}

/// Registers the bundled font under [`FAMILY`], and under plotters' default family (for
/// any text whose style is not set), once per process.
fn register_font() -> Result<()> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FAMILY, "sans-serif"]
            .into_iter()
            .all(|name| plotters::style::register_font(name, FontStyle::Normal, dejavu::sans::regular()).is_ok())
    });
    if ok { Ok(()) } else { Err(Error::Failed("the bundled DejaVu Sans font could not be loaded".into())) }
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

/// Draws `chart` in `format` and writes it to `dest`.
fn render<C: Chart>(dest: &Destination, format: Format, chart: &C) -> Result<()> {
    let bytes = draw(format, chart)?;
    files::write_output(dest, |w| w.write_all(&bytes).map_err(|e| Error::io("the chart", e)))
}

/// Draws `chart` in `format`, in memory.
fn draw<C: Chart>(format: Format, chart: &C) -> Result<Vec<u8>> {
    register_font()?;
    let failed = |e: Box<dyn std::error::Error>| Error::Failed(format!("drawing the chart: {e}"));
    let bytes = match format {
        Format::Svg => {
            let mut svg = String::new();
            chart.draw(SVGBackend::with_string(&mut svg, C::SIZE).into_drawing_area()).map_err(failed)?;
            svg.into_bytes()
        }
        Format::Png => {
            let (w, h) = C::SIZE;
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            chart.draw(BitMapBackend::with_buffer(&mut rgb, C::SIZE).into_drawing_area()).map_err(failed)?;
            png_bytes(&rgb, w, h)?
        }
    };
    Ok(bytes)
}

/// Encodes an RGB buffer as PNG.
fn png_bytes(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let failed = |e: png::EncodingError| Error::Failed(format!("encoding the PNG: {e}"));
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(rgb).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

/// Compact axis labels: 950, 12k, 3.4M; whole numbers below 10 without decimals.
fn compact(v: f64) -> String {
    compact_to(v, 0.0)
}

/// Compact axis labels with enough decimals to tell apart labels `step` apart: on an
/// axis from 1.00M to 1.04M, 1.01M and 1.02M rather than 1M and 1M.
fn compact_to(v: f64, step: f64) -> String {
    let a = v.abs();
    let (scale, unit) = if a >= 1e9 {
        (1e9, "G")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e3 {
        (1e3, "k")
    } else if a == 0.0 || v.fract() == 0.0 && step == 0.0 || a >= 10.0 && step >= 1.0 {
        return format!("{v:.0}");
    } else {
        (1.0, "")
    };
    let needed = match (step > 0.0, unit) {
        (true, _) => (-(step / scale).log10()).ceil().max(0.0) as usize,
        (false, "") => 2,
        (false, _) => 1,
    };
    let text = format!("{:.*}", needed.min(6), v / scale);
    let text = if step > 0.0 { text.as_str() } else { text.strip_suffix(".0").unwrap_or(&text) };
    format!("{text}{unit}")
}

/// The y range that shows every interval: from the lowest lower bound to the highest upper
/// bound, with a margin; never a zero-height range.
fn fitted_range(intervals: impl Iterator<Item = (f64, f64)>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (mean, hw) in intervals.filter(|(m, h)| m.is_finite() && h.is_finite()) {
        lo = lo.min(mean - hw);
        hi = hi.max(mean + hw);
    }
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let margin = ((hi - lo) * 0.15).max(hi.abs() * 0.01).max(1e-9);
    (lo - margin)..(hi + margin)
}

/// Two panels: mean proteins made and Jain's fairness per policy (and `--set`
/// combination), each a point with its 95 % interval, on an axis fitted to the intervals.
pub fn comparison(dest: &Destination, format: Format, title: &str, summaries: &[PolicySummary]) -> Result<()> {
    render(dest, format, &Comparison { title, summaries })
}

struct Comparison<'a> {
    title: &'a str,
    summaries: &'a [PolicySummary],
}

impl Chart for Comparison<'_> {
    const SIZE: (u32, u32) = (1400, 560);

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let s = self.summaries;
        root.fill(&WHITE)?;
        let root = root.titled(self.title, (FAMILY, 22))?;
        let panels = root.split_evenly((1, 2));
        // A point's label is its policy and, with --set, its values (the keys are named
        // once, in the axis title): short enough to stay horizontal.
        let names: Vec<String> = s
            .iter()
            .map(|p| {
                std::iter::once(p.policy.as_str())
                    .chain(p.set.values().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let keys: Vec<&str> = s.first().map_or_else(Vec::new, |p| p.set.keys().map(String::as_str).collect());
        let x_desc = if keys.is_empty() { "policy".to_string() } else { format!("policy, {}", keys.join(", ")) };
        let metrics: [Metric; 2] = [
            ("proteins made per run (mean, 95 % CI)", &|p| (p.proteins_total.mean, p.proteins_total.half_width)),
            ("Jain's fairness over demand met (mean, 95 % CI)", &|p| {
                (p.jain_fairness.mean, p.jain_fairness.half_width)
            }),
        ];
        for (panel, (label, metric)) in panels.iter().zip(metrics) {
            // The axis spans the intervals, not 0..max: the differences ranked on must show.
            let y = fitted_range(s.iter().map(metric));
            let step = (y.end - y.start) / 10.0;
            let mut chart = ChartBuilder::on(panel)
                .margin(12)
                .caption(label, (FAMILY, 16))
                .x_label_area_size(50)
                .y_label_area_size(80)
                .build_cartesian_2d(-0.5f64..(s.len() as f64 - 0.5), y)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(s.len().max(1))
                .x_label_formatter(&|x| names.get(x.round() as usize).cloned().unwrap_or_default())
                .x_label_style((FAMILY, 11))
                .y_labels(10)
                .y_label_formatter(&|v| compact_to(*v, step))
                .y_label_style((FAMILY, 12))
                .axis_desc_style((FAMILY, 13))
                .x_desc(x_desc.as_str())
                .y_desc("axis fitted to the intervals (not from 0)")
                .draw()?;
            // Whiskers first and wide, the mean a small hollow marker on top: the interval
            // stays visible however short it is.
            chart.draw_series(s.iter().enumerate().map(|(i, p)| {
                let (mean, hw) = metric(p);
                ErrorBar::new_vertical(i as f64, mean - hw, mean, mean + hw, BLACK.stroke_width(2), 16)
            }))?;
            chart.draw_series(
                s.iter()
                    .enumerate()
                    .map(|(i, p)| Circle::new((i as f64, metric(p).0), 4, Palette99::pick(i).stroke_width(2))),
            )?;
        }
        root.present()?;
        Ok(())
    }
}

/// Three stacked panels over simulated time: ribosomes granted, ATP granted and proteins
/// per VM, with every timeline event marked. The y axes are logarithmic, so a minimal cell
/// beside an E. coli guest is still visible; zero is drawn at 1, as the axes say. Each VM
/// has its own colour, dash pattern and markers (placed so that two VMs whose lines
/// coincide still show both).
pub fn trace(dest: &Destination, format: Format, scenario: &Scenario, records: &[TickRecord]) -> Result<()> {
    render(dest, format, &Trace { scenario, records })
}

/// [`trace`]'s chart, in memory.
pub fn trace_bytes(format: Format, scenario: &Scenario, records: &[TickRecord]) -> Result<Vec<u8>> {
    draw(format, &Trace { scenario, records })
}

struct Trace<'a> {
    scenario: &'a Scenario,
    records: &'a [TickRecord],
}

/// How a timeline event is labelled: `pause syn3a-2`, `set syn3a-2`.
fn event_label(scenario: &Scenario, vm: u32, action: &Action) -> String {
    let id = scenario.vms.get(vm as usize).map_or("?", |v| v.id.as_str());
    format!("{} {id}", action.name())
}

impl Chart for Trace<'_> {
    const SIZE: (u32, u32) = (1100, 900);

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let scenario = self.scenario;
        let shown = scenario.vms.len().min(TRACE_VMS_MAX);
        root.fill(&WHITE)?;
        let mut title = format!("{} — policy {}, seed {}", scenario.name, scenario.policy.name(), scenario.seed);
        if scenario.vms.len() > shown {
            title.push_str(&format!(" (first {shown} of {} VMs)", scenario.vms.len()));
        }
        let root = root.titled(&title, (FAMILY, 22))?;
        let series: [Series; 3] = [
            ("ribosomes granted per tick (log scale; 0 drawn at 1)", |v| v.grant.ribosomes as f64),
            ("ATP granted per tick, molecules (log scale; 0 drawn at 1)", |v| v.grant.atp as f64),
            ("proteins in the cell, molecules (log scale)", |v| v.proteins as f64),
        ];
        for (k, (panel, series)) in root.split_evenly((3, 1)).iter().zip(series).enumerate() {
            self.panel(panel, series, k == 0, k == 2)?;
        }
        root.present()?;
        Ok(())
    }
}

impl Trace<'_> {
    fn minutes(&self, tick: u64) -> f64 {
        tick as f64 * self.scenario.tick_seconds / 60.0
    }

    /// One panel: a series per VM shown, every event as a line; the first panel also
    /// labels the events and holds the legend, the last the time axis.
    fn panel<DB: DrawingBackend>(
        &self,
        panel: &DrawingArea<DB, Shift>,
        (label, value): Series,
        first: bool,
        last: bool,
    ) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let (scenario, records) = (self.scenario, self.records);
        let shown = scenario.vms.len().min(TRACE_VMS_MAX);
        let end = records.last().map_or(1.0, |r| self.minutes(r.tick + 1));
        let top = records
            .iter()
            .flat_map(|r| r.vms.iter().filter(|v| (v.vm as usize) < shown).map(value))
            .fold(1.0, f64::max)
            * 2.0;
        let mut chart = ChartBuilder::on(panel)
            .margin(10)
            .caption(label, (FAMILY, 16))
            .x_label_area_size(if last { 40 } else { 20 })
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..end, (1f64..top).log_scale())?;
        let mut mesh = chart.configure_mesh();
        mesh.y_label_formatter(&|y| compact(*y))
            .x_label_style((FAMILY, 12))
            .y_label_style((FAMILY, 12))
            .axis_desc_style((FAMILY, 13));
        if last {
            mesh.x_desc("simulated time (minutes)");
        }
        mesh.draw()?;
        for vm in 0..shown {
            self.vm_series(&mut chart, vm, value, first)?;
        }
        // Events as they applied (each record lists its tick's), every kind.
        let events = records.iter().flat_map(|r| r.events.iter().map(move |e| (r.tick, e)));
        for (i, (tick, e)) in events.enumerate() {
            let at = self.minutes(tick);
            chart.draw_series(std::iter::once(PathElement::new([(at, 1.0), (at, top)], BLACK.mix(0.4))))?;
            if first {
                let y = top / 2f64.powi(1 + (i % 5) as i32);
                let text = event_label(scenario, e.vm, &e.action);
                chart.draw_series(std::iter::once(Text::new(text, (at, y), (FAMILY, 12))))?;
            }
        }
        if first {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::MiddleRight)
                .label_font((FAMILY, 12))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }
        Ok(())
    }

    /// VM `vm`'s series: its colour, its dash pattern, and markers placed so that two
    /// VMs whose lines coincide still both show.
    fn vm_series<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, LogCoord<f64>>>,
        vm: usize,
        value: fn(&VmRecord) -> f64,
        legend: bool,
    ) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let shown = self.scenario.vms.len().min(TRACE_VMS_MAX);
        let step = self.records.len().div_ceil(POINTS_MAX).max(1);
        let points: Vec<(f64, f64)> = self
            .records
            .iter()
            .step_by(step)
            .filter_map(|r| {
                r.vms.iter().find(|v| v.vm as usize == vm).map(|v| (self.minutes(r.tick), value(v).max(1.0)))
            })
            .collect();
        let color = Palette99::pick(vm);
        let style = color.stroke_width(2);
        let drawn = match vm % 3 {
            0 => chart.draw_series(LineSeries::new(points.iter().copied(), style))?,
            1 => chart.draw_series(DashedLineSeries::new(points.iter().copied(), 10, 5, style))?,
            _ => chart.draw_series(DashedLineSeries::new(points.iter().copied(), 3, 4, style))?,
        };
        if legend {
            let legend = Palette99::pick(vm);
            drawn
                .label(self.scenario.vms[vm].id.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], legend.stroke_width(3)));
        }
        let every = (points.len() / MARKERS_PER_SERIES).max(1);
        let markers = points.iter().skip(vm * every / shown.max(1)).step_by(every).copied();
        match vm % 3 {
            0 => chart.draw_series(markers.map(|p| Circle::new(p, 4, color.filled())))?,
            1 => chart.draw_series(markers.map(|p| TriangleMarker::new(p, 5, color.filled())))?,
            _ => chart.draw_series(markers.map(|p| Cross::new(p, 4, color.stroke_width(2))))?,
        };
        Ok(())
    }
}

/// Protein molecules of named genes of one VM over time (minutes), one series each: what
/// `bioxen plot --genes` draws, the trace re-run to read the cell.
pub struct GeneSeries {
    /// The chart's title.
    pub title: String,
    /// Per gene: its name and its (minute, molecules) points.
    pub genes: Vec<(String, Vec<(f64, f64)>)>,
}

/// Draws `series` into `dest`.
pub fn genes(dest: &Destination, format: Format, series: &GeneSeries) -> Result<()> {
    render(dest, format, series)
}

impl Chart for GeneSeries {
    const SIZE: (u32, u32) = (1100, 500);

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let points = self.genes.iter().flat_map(|(_, p)| p.iter());
        let end = points.clone().map(|p| p.0).fold(1.0, f64::max);
        let top = points.map(|p| p.1).fold(1.0, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .margin(15)
            .caption(&self.title, (FAMILY, 20))
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..end, 0f64..top)?;
        chart
            .configure_mesh()
            .y_label_formatter(&|y| compact(*y))
            .x_desc("simulated time (minutes)")
            .y_desc("protein molecules per cell")
            .x_label_style((FAMILY, 12))
            .y_label_style((FAMILY, 12))
            .axis_desc_style((FAMILY, 13))
            .draw()?;
        for (k, (name, points)) in self.genes.iter().enumerate() {
            let color = Palette99::pick(k);
            let step = points.len().div_ceil(POINTS_MAX).max(1);
            chart
                .draw_series(LineSeries::new(points.iter().step_by(step).copied(), color.stroke_width(2)))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FAMILY, 13))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_labels() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_000.0), "12k");
        assert_eq!(compact(3_400_000.0), "3.4M");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(compact(1.0), "1");
        // On a narrow axis, labels keep the decimals that tell them apart.
        assert_eq!(compact_to(1_020_000.0, 5_000.0), "1.020M");
        assert_eq!(compact_to(1_010_000.0, 10_000.0), "1.01M");
        assert_eq!(compact_to(0.95, 0.05), "0.95");
    }

    #[test]
    fn the_comparison_axis_spans_the_intervals_not_zero() {
        let r = fitted_range([(1000.0, 10.0), (1040.0, 5.0)].into_iter());
        assert!(r.start > 900.0 && r.start < 990.0 && r.end > 1045.0 && r.end < 1100.0, "{r:?}");
        assert_eq!(fitted_range(std::iter::empty()), 0.0..1.0);
    }
}
