//! The trace chart (`bioxen plot TRACE`): three panels over simulated time — ribosomes and
//! ATP granted as a share of each VM's demand, and each VM's protein mass relative to its
//! first — with a legend and the timeline's events above them, every division marked.
//!
//! Shares and ratios put every VM on one linear axis whatever its size: a minimal cell
//! beside an E. coli guest, or eight guests of two sizes, stay apart where their treatment
//! differs, with no empty decades. The absolute numbers are in `bioxen export`.

use super::layout::{Rect, SWATCH, label_rows, legend_rows};
use super::{Chart, DrawResult, FAMILY, POINTS_MAX, TRACE_VMS_MAX};
use bioxen_engine::record::{TickRecord, VmRecord};
use bioxen_engine::scenario::{Action, Scenario};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Markers drawn along each series: enough to tell series apart where their lines overlap.
const MARKERS_PER_SERIES: usize = 12;
/// The chart's size in pixels.
const SIZE: (i32, i32) = (1100, 980);
/// Space around each panel, and the width of its y labels: the plot's x extent follows.
const PANEL_MARGIN: i32 = 10;
const Y_LABELS: i32 = 70;
/// The plotting area's left and right edges, as plotters places them with that margin and
/// label width (checked while drawing).
const PLOT_X: (i32, i32) = (PANEL_MARGIN + Y_LABELS, SIZE.0 - PANEL_MARGIN);
/// Rows of event labels at most; events beyond them are counted in the title.
pub const EVENT_ROWS_MAX: i32 = 8;
const EVENT_ROW: i32 = 16;
const LEGEND_ROW: i32 = 20;
const TEXT: u32 = 12;

/// Where everything but the panels goes: computed from the run alone, before drawing.
#[derive(Clone, Debug)]
pub struct TraceLayout {
    /// The whole chart.
    pub chart: Rect,
    /// Each legend entry (the VMs shown, then "division"), with its text.
    pub legend: Vec<(String, Rect)>,
    /// Each event label (events of one tick share one), with its box, or `None` when no
    /// row had room: the title counts those.
    pub labels: Vec<(String, Option<Rect>)>,
    /// The band the event labels are laid out in.
    pub strip: Rect,
    /// Where the panels start (their top) and the plot's x extent in pixels.
    pub panels_top: i32,
    /// Left and right edges of every panel's plotting area.
    pub plot_x: (i32, i32),
}

/// The layout of `records`' chart: legend rows under the title, then the event labels in
/// as many rows as they need (at most [`EVENT_ROWS_MAX`]), then the panels.
pub fn trace_layout(scenario: &Scenario, records: &[TickRecord]) -> TraceLayout {
    let chart = Rect { x: 0, y: 0, w: SIZE.0, h: SIZE.1 };
    let shown = scenario.vms.len().min(TRACE_VMS_MAX);
    let mut texts: Vec<String> = scenario.vms[..shown].iter().map(|v| v.id.clone()).collect();
    texts.push("division".into());
    let legend_top = 36;
    let boxes = legend_rows(&texts, (Y_LABELS, legend_top), SIZE.0 - Y_LABELS - 2 * PANEL_MARGIN, LEGEND_ROW, TEXT);
    let legend_bottom = boxes.iter().map(|b| b.y + b.h).max().unwrap_or(legend_top) + 6;
    let plot_x = PLOT_X;
    let end = end_minutes(scenario, records);
    let x_of = |tick: u64| plot_x.0 + ((plot_x.1 - plot_x.0) as f64 * minutes(scenario, tick) / end) as i32;
    let anchored: Vec<(i32, String)> = event_groups(scenario, records).into_iter().map(|(t, s)| (x_of(t), s)).collect();
    let strip_all =
        Rect { x: PANEL_MARGIN, y: legend_bottom, w: SIZE.0 - 2 * PANEL_MARGIN, h: EVENT_ROW * EVENT_ROWS_MAX };
    let placed = label_rows(&anchored, strip_all, EVENT_ROW, TEXT);
    let used_rows = placed.iter().flatten().map(|b| (b.y - strip_all.y) / EVENT_ROW + 1).max().unwrap_or(0);
    let strip = Rect { h: used_rows * EVENT_ROW, ..strip_all };
    TraceLayout {
        chart,
        legend: texts.into_iter().zip(boxes).collect(),
        labels: anchored.into_iter().map(|(_, s)| s).zip(placed).collect(),
        strip,
        panels_top: strip.y + strip.h + 4,
        plot_x,
    }
}

/// The chart of a run: its scenario and its records.
pub(super) struct Trace<'a> {
    pub scenario: &'a Scenario,
    pub records: &'a [TickRecord],
}

/// A panel: its caption, and a VM's value in a record (`None` where it has none: a VM not
/// running has no share of its demand).
type Panel = (&'static str, fn(&VmRecord, f64) -> Option<f64>);

fn share(granted: u64, demanded: u64) -> Option<f64> {
    (demanded > 0).then(|| 100.0 * granted as f64 / demanded as f64)
}

const PANELS: [Panel; 3] = [
    ("ribosomes granted, % of the VM's demand", |v, _| share(v.grant.ribosomes, v.demand.ribosomes)),
    ("ATP granted, % of the VM's demand", |v, _| share(v.grant.atp, v.demand.atp)),
    ("protein mass relative to the VM's first (▼ division)", |v, first| {
        (v.state.exists() && first > 0.0).then(|| v.mass_aa as f64 / first)
    }),
];

impl Chart for Trace<'_> {
    const SIZE: (u32, u32) = (SIZE.0 as u32, SIZE.1 as u32);

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let layout = trace_layout(self.scenario, self.records);
        root.fill(&WHITE)?;
        root.draw(&Text::new(self.title(&layout), (PANEL_MARGIN, 8), (FAMILY, 20)))?;
        self.header(&root, &layout)?;
        let (_, body) = root.split_vertically(layout.panels_top);
        let first_mass = self.first_masses();
        for (k, (panel, spec)) in body.split_evenly((3, 1)).iter().zip(PANELS).enumerate() {
            self.panel(panel, spec, &first_mass, k == 2)?;
        }
        root.present()?;
        Ok(())
    }
}

impl Trace<'_> {
    fn title(&self, layout: &TraceLayout) -> String {
        let s = self.scenario;
        let mut title = format!("{} — policy {}, seed {}", s.name, s.policy.name(), s.seed);
        let shown = s.vms.len().min(TRACE_VMS_MAX);
        if s.vms.len() > shown {
            title.push_str(&format!(" (first {shown} of {} VMs)", s.vms.len()));
        }
        let unlabelled = layout.labels.iter().filter(|(_, b)| b.is_none()).count();
        if unlabelled > 0 {
            title.push_str(&format!(" ({unlabelled} event ticks marked but not labelled)"));
        }
        title
    }

    /// The legend and the event labels, in the boxes the layout gave them.
    fn header<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, layout: &TraceLayout) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        for (k, (text, b)) in layout.legend.iter().enumerate() {
            let y = b.y + b.h / 2;
            if k < layout.legend.len() - 1 {
                root.draw(&PathElement::new([(b.x, y), (b.x + SWATCH, y)], Palette99::pick(k).stroke_width(3)))?;
            } else {
                root.draw(&division_marker((b.x + SWATCH / 2, y + 4)))?;
            }
            root.draw(&Text::new(text.as_str(), (b.x + SWATCH + 4, b.y + 2), (FAMILY, TEXT)))?;
        }
        for (text, b) in &layout.labels {
            if let Some(b) = b {
                root.draw(&Text::new(text.as_str(), (b.x, b.y + 1), (FAMILY, TEXT)))?;
            }
        }
        Ok(())
    }

    /// Each VM's mass in its first record with one: what panel 3 divides by.
    fn first_masses(&self) -> Vec<f64> {
        let mut first = vec![0.0; self.scenario.vms.len()];
        for r in self.records {
            for v in &r.vms {
                if let Some(f) = first.get_mut(v.vm as usize).filter(|f| **f == 0.0) {
                    *f = v.mass_aa as f64;
                }
            }
        }
        first
    }

    /// One panel: a series per VM shown, the events as vertical lines, divisions marked on
    /// the mass panel, the time axis on the last.
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (caption, value): Panel,
        first_mass: &[f64],
        last: bool,
    ) -> DrawResult<()>
    where
        DB::ErrorType: 'static,
    {
        let (scenario, records) = (self.scenario, self.records);
        let (hours, end) = time_axis(end_minutes(scenario, records));
        let shown = scenario.vms.len().min(TRACE_VMS_MAX);
        let values = records.iter().flat_map(|r| r.vms.iter()).filter(|v| (v.vm as usize) < shown);
        let top =
            values.filter_map(|v| value(v, first_mass[v.vm as usize])).fold(if last { 2.0 } else { 100.0 }, f64::max);
        let mut chart = ChartBuilder::on(area)
            .margin(PANEL_MARGIN as u32)
            .caption(caption, (FAMILY, 15))
            .x_label_area_size(if last { 40 } else { 20 })
            .y_label_area_size(Y_LABELS as u32)
            .build_cartesian_2d(0f64..end, 0f64..top * 1.08)?;
        let (x_label, y_label) = (|x: &f64| axis_number(*x, end), |y: &f64| axis_number(*y, top));
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .x_label_style((FAMILY, TEXT))
            .y_label_style((FAMILY, TEXT))
            .axis_desc_style((FAMILY, 13));
        if last {
            mesh.x_desc(if hours { "simulated time (hours)" } else { "simulated time (minutes)" });
        }
        mesh.draw()?;
        // The labels above were anchored on this extent (`trace_layout`).
        debug_assert_eq!(chart.plotting_area().get_pixel_range().0, PLOT_X.0..PLOT_X.1);
        let scale = if hours { 60.0 } else { 1.0 };
        for tick in records.iter().filter(|r| !r.events.is_empty()).map(|r| r.tick) {
            let at = minutes(scenario, tick) / scale;
            chart.draw_series(std::iter::once(PathElement::new([(at, 0.0), (at, top * 1.08)], BLACK.mix(0.35))))?;
        }
        // One pixel in data units: lines are drawn twice, a pixel apart, rather than 2 px
        // wide, which the bitmap backend fills as polygons with stray lines off steep ones.
        let pixel = top * 1.08 / chart.plotting_area().get_pixel_range().1.len().max(1) as f64;
        for (vm, &first) in first_mass.iter().enumerate().take(shown) {
            let points = self.points(vm, scale, |v| value(v, first));
            draw_vm(&mut chart, vm, &points, shown, pixel)?;
            if last {
                let drops = self.divisions(vm, scale, |v| value(v, first));
                chart.draw_series(drops.into_iter().map(|p| EmptyElement::at(p) + division_marker((0, 0))))?;
            }
        }
        Ok(())
    }

    /// VM `vm`'s points, thinned to about [`POINTS_MAX`], in runs where it has a value.
    fn points(&self, vm: usize, scale: f64, value: impl Fn(&VmRecord) -> Option<f64>) -> Vec<Vec<(f64, f64)>> {
        let step = self.records.len().div_ceil(POINTS_MAX).max(1);
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for r in self.records.iter().step_by(step) {
            match r.vms.iter().find(|v| v.vm as usize == vm).and_then(&value) {
                Some(y) => runs.last_mut().map_or((), |run| run.push((minutes(self.scenario, r.tick) / scale, y))),
                None if runs.last().is_some_and(|run| !run.is_empty()) => runs.push(Vec::new()),
                None => {}
            }
        }
        runs.retain(|run| !run.is_empty());
        runs
    }

    /// Where VM `vm` divided: its point in the record before each division.
    fn divisions(&self, vm: usize, scale: f64, value: impl Fn(&VmRecord) -> Option<f64>) -> Vec<(f64, f64)> {
        let mut before: Option<(u64, &VmRecord)> = None;
        let mut out = Vec::new();
        for r in self.records {
            let Some(v) = r.vms.iter().find(|v| v.vm as usize == vm) else { continue };
            if let Some((tick, prev)) = before
                && v.divisions > prev.divisions
                && let Some(y) = value(prev)
            {
                out.push((minutes(self.scenario, tick) / scale, y));
            }
            before = Some((r.tick, v));
        }
        out
    }
}

/// VM `vm`'s line (colour and dash pattern by VM) and its markers, offset by VM so that
/// lines that coincide still show each VM.
fn draw_vm<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    vm: usize,
    runs: &[Vec<(f64, f64)>],
    shown: usize,
    pixel: f64,
) -> DrawResult<()>
where
    DB::ErrorType: 'static,
{
    let color = Palette99::pick(vm);
    let style = color.stroke_width(1);
    for run in runs {
        for lift in [0.0, pixel] {
            let line = run.iter().map(|&(x, y)| (x, y + lift));
            match vm % 3 {
                0 => chart.draw_series(LineSeries::new(line, style))?,
                1 => chart.draw_series(DashedLineSeries::new(line, 10, 5, style))?,
                _ => chart.draw_series(DashedLineSeries::new(line, 3, 4, style))?,
            };
        }
    }
    let points: Vec<(f64, f64)> = runs.iter().flatten().copied().collect();
    let every = (points.len() / MARKERS_PER_SERIES).max(1);
    let markers = points.iter().skip(vm * every / shown.max(1)).step_by(every).copied();
    match vm % 3 {
        0 => chart.draw_series(markers.map(|p| Circle::new(p, 4, color.filled())))?,
        1 => chart.draw_series(markers.map(|p| TriangleMarker::new(p, 5, color.filled())))?,
        _ => chart.draw_series(markers.map(|p| Cross::new(p, 4, color.stroke_width(2))))?,
    };
    Ok(())
}

/// A small black triangle pointing down, its tip at `at` (pixels): a division. Drawn as a
/// closed path: plotters' bitmap backend leaves stray lines filling small polygons.
pub(super) fn division_marker(at: (i32, i32)) -> PathElement<(i32, i32)> {
    let (x, y) = at;
    PathElement::new(
        vec![(x - 4, y - 8), (x + 4, y - 8), (x, y), (x - 4, y - 8), (x, y - 4), (x + 4, y - 8)],
        BLACK.stroke_width(2),
    )
}

/// The run's length in minutes (at least one).
fn end_minutes(scenario: &Scenario, records: &[TickRecord]) -> f64 {
    records.last().map_or(1.0, |r| minutes(scenario, r.tick + 1)).max(1e-9)
}

fn minutes(scenario: &Scenario, tick: u64) -> f64 {
    tick as f64 * scenario.tick_seconds / 60.0
}

/// Hours past ten hours, minutes below: whether the axis is in hours, and its end.
fn time_axis(end_minutes: f64) -> (bool, f64) {
    if end_minutes > 600.0 { (true, end_minutes / 60.0) } else { (false, end_minutes) }
}

/// An axis label: whole numbers on an axis spanning ten or more, one decimal below.
fn axis_number(v: f64, span: f64) -> String {
    if span >= 10.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// The timeline's events as the run applied them, one label per tick: `pause syn3a-2`,
/// `add IPTG 1000 µM switch`, `install lac coli`; several at one tick joined by `; `.
fn event_groups(scenario: &Scenario, records: &[TickRecord]) -> Vec<(u64, String)> {
    records
        .iter()
        .filter(|r| !r.events.is_empty())
        .map(|r| {
            (r.tick, r.events.iter().map(|e| event_label(scenario, e.vm, &e.action)).collect::<Vec<_>>().join("; "))
        })
        .collect()
}

/// How one event is labelled: what it did, naming the inducer or package, then the VM.
fn event_label(scenario: &Scenario, vm: u32, action: &Action) -> String {
    let id = scenario.vms.get(vm as usize).map_or("?", |v| v.id.as_str());
    match action {
        Action::Inducer { inducer, micromolar } if *micromolar > 0.0 => {
            format!("add {} {} µM {id}", inducer.name(), super::compact(*micromolar))
        }
        Action::Inducer { inducer, .. } => format!("remove {} {id}", inducer.name()),
        Action::Install { hash } => {
            let name = scenario.package_index(hash).map_or("?", |i| scenario.packages[i as usize].name.as_str());
            format!("install {name} {id}")
        }
        other => format!("{} {id}", other.name().replace('_', " ")),
    }
}
