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
use bioxen_engine::record::TickRecord;
use bioxen_engine::scenario::Scenario;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

mod layout;
mod trace;

pub use layout::Rect;
pub use trace::{EVENT_ROWS_MAX, TraceLayout, trace_layout};

/// Most VMs drawn in a trace chart (legend legibility); the title says when there are more.
pub const TRACE_VMS_MAX: usize = 12;
/// Most points per series: longer traces are thinned evenly.
pub const POINTS_MAX: usize = 2000;

/// The font family of every chart: the key under which the bundled DejaVu Sans is
/// registered for PNG, and a CSS font list for SVG (see the module documentation).
const FAMILY: &str = "DejaVu Sans, sans-serif";

type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;
/// A panel of the comparison: its caption and each policy's (mean, half-width).
type Metric<'a> = (&'a str, &'a dyn Fn(&PolicySummary) -> (f64, f64));

/// The image formats charts are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// The trace chart: shares of demand granted and protein mass over
/// simulated time, per VM, with a legend, every event labelled and every division marked.
pub fn trace(dest: &Destination, format: Format, scenario: &Scenario, records: &[TickRecord]) -> Result<()> {
    render(dest, format, &trace::Trace { scenario, records })
}

/// [`trace`]'s chart, in memory.
pub fn trace_bytes(format: Format, scenario: &Scenario, records: &[TickRecord]) -> Result<Vec<u8>> {
    draw(format, &trace::Trace { scenario, records })
}

/// Protein molecules of named genes of one VM over time (minutes), one series each: what
/// `bioxen plot --genes` draws, the trace re-run to read the cell.
pub struct GeneSeries {
    /// The chart's title.
    pub title: String,
    /// Per gene: its name and its (minute, molecules) points.
    pub genes: Vec<(String, Vec<(f64, f64)>)>,
    /// When the VM divided (minutes): marked along the top, as the sudden drops are these.
    pub divisions: Vec<f64>,
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
        let root = root.titled(&self.title, (FAMILY, 18))?;
        // The legend has a column of its own, right of the plot: it covers no line.
        let (plot, legend) = root.split_horizontally(Self::SIZE.0 - GENES_LEGEND_WIDTH);
        let points = self.genes.iter().flat_map(|(_, p)| p.iter());
        let end = points.clone().map(|p| p.0).fold(1.0, f64::max);
        let top = points.map(|p| p.1).fold(1.0, f64::max) * 1.05;
        let (hours, end) = if end > 600.0 { (true, end / 60.0) } else { (false, end) };
        let scale = if hours { 60.0 } else { 1.0 };
        let mut chart = ChartBuilder::on(&plot)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..end, 0f64..top)?;
        let x_label = |x: &f64| if end >= 10.0 { format!("{x:.0}") } else { format!("{x:.1}") };
        chart
            .configure_mesh()
            .x_label_formatter(&x_label)
            .y_label_formatter(&|y| compact(*y))
            .x_desc(if hours { "simulated time (hours)" } else { "simulated time (minutes)" })
            .y_desc("protein molecules per cell")
            .x_label_style((FAMILY, 12))
            .y_label_style((FAMILY, 12))
            .axis_desc_style((FAMILY, 13))
            .draw()?;
        for (k, (name, points)) in self.genes.iter().enumerate() {
            let color = Palette99::pick(k);
            let step = points.len().div_ceil(POINTS_MAX).max(1);
            let line = points.iter().step_by(step).map(|&(x, y)| (x / scale, y));
            chart.draw_series(LineSeries::new(line, color.stroke_width(1)))?;
            let y = 30 + 22 * k as i32;
            legend.draw(&PathElement::new([(8, y), (30, y)], color.stroke_width(3)))?;
            legend.draw(&Text::new(name.as_str(), (36, y - 7), (FAMILY, 13)))?;
        }
        let marks = self.divisions.iter().map(|&m| EmptyElement::at((m / scale, top)) + trace::division_marker((0, 8)));
        chart.draw_series(marks)?;
        let y = 30 + 22 * self.genes.len() as i32;
        legend.draw(&trace::division_marker((19, y + 4)))?;
        legend.draw(&Text::new("division", (36, y - 7), (FAMILY, 13)))?;
        root.present()?;
        Ok(())
    }
}

/// The width of the `--genes` chart's legend column, in pixels.
const GENES_LEGEND_WIDTH: u32 = 200;

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
