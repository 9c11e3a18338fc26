//! The dashboard's screen: a header (policy, tick, simulated time, ticks/s, keys), one row
//! per VM (ribosomes and ATP granted against demand, proteins made, divisions, state, a
//! sparkline of its share), and the events as they apply. Narrow or short terminals get
//! fewer columns and rows, never a broken screen.

use super::Dashboard;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};

/// Draws the whole screen.
pub fn draw(f: &mut Frame, d: &Dashboard) {
    let area = f.area();
    let events_height = if area.height >= 20 { 6 } else { 0 };
    let [header, table, events] =
        Layout::vertical([Constraint::Length(2), Constraint::Min(3), Constraint::Length(events_height)]).areas(area);
    f.render_widget(Paragraph::new(header_lines(d)), header);
    draw_rows(f, d, table);
    if events_height > 0 {
        let lines: Vec<Line> = d.events.iter().take(events_height as usize).map(|e| Line::from(e.as_str())).collect();
        f.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::TOP).title(" events ")), events);
    }
}

fn header_lines(d: &Dashboard) -> Vec<Line<'static>> {
    let simulated = bioxen::engine::scenario::number(d.tick as f64 * d.tick_seconds);
    let state = match (d.finished, d.paused) {
        (true, _) => "FINISHED: any key to leave",
        (false, true) => "PAUSED: space to run",
        (false, false) => "running",
    };
    vec![
        Line::from(format!(
            "BioXen · {} · tick {}/{} · {simulated} s simulated · {:.0} ticks/s · {state}",
            d.policy,
            d.tick,
            d.ticks,
            d.rate()
        )),
        Line::from(format!(
            "space pause · n step · +/- speed ({} ms/tick) · s sort: {} · ↑↓ scroll · q quit",
            d.delay_ms,
            d.sort.name()
        )),
    ]
}

/// A sparkline of `shares` (per mille) in block characters, `width` wide at most.
fn spark(shares: &std::collections::VecDeque<u64>, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = shares.iter().copied().max().unwrap_or(0).max(1);
    let skip = shares.len().saturating_sub(width);
    shares.iter().skip(skip).map(|&s| BARS[((s * 7) / max) as usize]).collect()
}

fn draw_rows(f: &mut Frame, d: &Dashboard, area: ratatui::layout::Rect) {
    let wide = area.width >= 100;
    let mut header = vec!["VM", "state", "ribosomes got/asked", "ATP got/asked", "proteins made", "div"];
    let mut widths = vec![
        Constraint::Length(14),
        Constraint::Length(9),
        Constraint::Length(20),
        Constraint::Length(22),
        Constraint::Length(14),
        Constraint::Length(4),
    ];
    if wide {
        header.push("share of ribosomes");
        widths.push(Constraint::Min(10));
    }
    let spark_width = area.width.saturating_sub(90) as usize;
    let rows: Vec<Row> = d
        .order()
        .into_iter()
        .skip(d.scroll)
        .map(|i| {
            let r = &d.rows[i];
            let mut cells = vec![
                r.id.clone(),
                r.state.to_string(),
                format!("{}/{}", r.ribosomes.0, r.ribosomes.1),
                format!("{}/{}", r.atp.0, r.atp.1),
                r.proteins_made.to_string(),
                r.divisions.to_string(),
            ];
            if wide {
                cells.push(spark(&r.shares, spark_width));
            }
            Row::new(cells)
        })
        .collect();
    let table = Table::new(rows, widths).header(Row::new(header)).block(Block::default().borders(Borders::TOP));
    f.render_widget(table, area);
}
