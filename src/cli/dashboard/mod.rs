//! `bioxen run --tui` and `resume --tui`: a full-screen dashboard while the simulation runs
//! (ratatui). It only watches and paces the run: the run is the one `bioxen run` makes, one
//! tick at a time, so the digest is the same as without it for the ticks run.
//!
//! Keys: space pauses and resumes, `n` steps one tick while paused, `+`/`-` run faster or
//! slower, `s` changes the sort (share, proteins, id), ↑/↓ scroll, `q`, Esc or Ctrl-C quit
//! (the run ends at the last whole tick). It opens paused, on the run before its first
//! tick; a finished run stays on the screen until a key.

mod view;

pub use view::draw;

use bioxen::engine::record::TickRecord;
use bioxen::engine::scenario::Action;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Ticks of share history each VM's sparkline shows.
const HISTORY: usize = 120;
/// Events kept for the log pane.
const EVENTS: usize = 50;
/// The slowest pace: this many milliseconds between ticks.
const DELAY_MAX_MS: u64 = 2_000;
/// How often the screen is redrawn while ticks run.
const FRAME: Duration = Duration::from_millis(50);

/// What the rows are sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Share,
    Proteins,
    Id,
}

impl Sort {
    fn next(self) -> Sort {
        match self {
            Sort::Share => Sort::Proteins,
            Sort::Proteins => Sort::Id,
            Sort::Id => Sort::Share,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Sort::Share => "share",
            Sort::Proteins => "proteins",
            Sort::Id => "id",
        }
    }
}

/// One VM's row.
pub struct Row {
    pub id: String,
    pub state: &'static str,
    pub ribosomes: (u64, u64),
    pub atp: (u64, u64),
    pub proteins_made: u64,
    pub divisions: u32,
    /// Its share of the ribosomes offered, per mille, over recent ticks.
    pub shares: VecDeque<u64>,
}

/// The dashboard's state.
pub struct Dashboard {
    pub rows: Vec<Row>,
    pub policy: String,
    pub tick: u64,
    pub ticks: u64,
    pub tick_seconds: f64,
    pub events: VecDeque<String>,
    /// The scenario's packages by content hash, for naming an `install`.
    packages: Vec<([u8; 32], String)>,
    pub sort: Sort,
    pub scroll: usize,
    pub paused: bool,
    pub delay_ms: u64,
    /// The run has reached its last tick (the screen stays until a key).
    pub finished: bool,
    started: Instant,
    ran: u64,
    drawn: Instant,
}

/// An event as the log pane shows it: the action as a scenario file names it, with what
/// it sets (never its Debug form, whose 32-byte hashes say nothing to a reader).
fn describe(action: &Action, packages: &[([u8; 32], String)]) -> String {
    let name = action.name();
    match action {
        Action::Set(c) => {
            let set = [
                c.weight.map(|v| format!("weight {v}")),
                c.priority.map(|v| format!("priority {v}")),
                c.atp_cap_percent.map(|v| format!("atp_cap_percent {v}")),
                c.atp_reserve_percent.map(|v| format!("atp_reserve_percent {v}")),
                c.ribosome_cap.map(|v| format!("ribosome_cap {v}")),
                c.ribosome_reserve.map(|v| format!("ribosome_reserve {v}")),
            ];
            format!("{name} {}", set.into_iter().flatten().collect::<Vec<_>>().join(", "))
        }
        Action::Install { hash } => {
            format!("{name} {}", packages.iter().find(|(h, _)| h == hash).map_or("a package", |(_, n)| n))
        }
        Action::Inducer { inducer, micromolar } if *micromolar > 0.0 => {
            format!("{name} {} {micromolar} µM", inducer.name())
        }
        Action::Inducer { inducer, .. } => format!("{name} {}", inducer.name()),
        Action::Transcription { unit, .. } => format!("{name} (transcription unit {unit})"),
        Action::Lifecycle(_) | Action::Create(_) => name.to_string(),
    }
}

impl Dashboard {
    /// A dashboard for a run of `scenario` at `tick`.
    pub fn new(scenario: &bioxen::engine::scenario::Scenario, tick: u64) -> Dashboard {
        let rows = scenario
            .vms
            .iter()
            .map(|v| Row {
                id: v.id.clone(),
                state: "absent",
                ribosomes: (0, 0),
                atp: (0, 0),
                proteins_made: 0,
                divisions: 0,
                shares: VecDeque::new(),
            })
            .collect();
        Dashboard {
            rows,
            policy: scenario.policy.name().to_string(),
            tick,
            ticks: scenario.ticks,
            tick_seconds: scenario.tick_seconds,
            events: VecDeque::new(),
            packages: scenario.packages.iter().map(|p| (p.content_hash(), p.name.clone())).collect(),
            sort: Sort::Share,
            scroll: 0,
            // Paused until asked: the first screen shows the run before its first tick.
            paused: true,
            delay_ms: 0,
            finished: false,
            started: Instant::now(),
            ran: 0,
            drawn: Instant::now() - FRAME,
        }
    }

    /// Takes in a tick's record.
    pub fn update(&mut self, record: &TickRecord, ids: &[String]) {
        self.tick = record.tick + 1;
        self.ran += 1;
        let offered = record.pool.ribosomes.max(1);
        for v in &record.vms {
            let Some(row) = self.rows.get_mut(v.vm as usize) else { continue };
            row.state = v.state.name();
            row.ribosomes = (v.grant.ribosomes, v.demand.ribosomes);
            row.atp = (v.grant.atp, v.demand.atp);
            row.proteins_made = v.proteins_made;
            row.divisions = v.divisions;
            row.shares.push_back(v.grant.ribosomes * 1000 / offered);
            if row.shares.len() > HISTORY {
                row.shares.pop_front();
            }
        }
        for e in &record.events {
            let id = ids.get(e.vm as usize).map_or("?", String::as_str);
            self.events.push_front(format!("tick {}: {id} {}", record.tick, describe(&e.action, &self.packages)));
            self.events.truncate(EVENTS);
        }
    }

    /// Ticks per wall second since the dashboard opened.
    pub fn rate(&self) -> f64 {
        self.ran as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
    }

    /// The rows' order under the current sort.
    pub fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        match self.sort {
            Sort::Share => order.sort_by_key(|&i| std::cmp::Reverse(self.rows[i].ribosomes.0)),
            Sort::Proteins => order.sort_by_key(|&i| std::cmp::Reverse(self.rows[i].proteins_made)),
            Sort::Id => order.sort_by(|&a, &b| self.rows[a].id.cmp(&self.rows[b].id)),
        }
        order
    }

    /// Handles one key; false when it asks to quit.
    fn key(&mut self, code: KeyCode, modifiers: KeyModifiers) -> bool {
        match code {
            KeyCode::Char('q') | KeyCode::Esc => return false,
            KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => return false,
            KeyCode::Char(' ') | KeyCode::Char('p') => self.paused = !self.paused,
            KeyCode::Char('+') | KeyCode::Char('f') => self.delay_ms /= 2,
            KeyCode::Char('-') | KeyCode::Char('l') => self.delay_ms = (self.delay_ms * 2).clamp(10, DELAY_MAX_MS),
            KeyCode::Char('s') => self.sort = self.sort.next(),
            KeyCode::Down => self.scroll = (self.scroll + 1).min(self.rows.len().saturating_sub(1)),
            KeyCode::Up => self.scroll = self.scroll.saturating_sub(1),
            _ => {}
        }
        true
    }
}

/// Shows the finished run until a key is pressed.
pub fn finished(d: &mut Dashboard, terminal: &mut ratatui::DefaultTerminal) {
    d.finished = true;
    loop {
        let _ = terminal.draw(|f| view::draw(f, d));
        match event::poll(FRAME) {
            Ok(true) => {
                if let Ok(Event::Key(k)) = event::read()
                    && k.kind == KeyEventKind::Press
                {
                    return;
                }
            }
            Ok(false) => {}
            Err(_) => return,
        }
    }
}

/// What the dashboard tells the run after a tick: go on, or stop here.
pub fn after_tick(d: &mut Dashboard, terminal: &mut ratatui::DefaultTerminal) -> bool {
    let wait = Duration::from_millis(d.delay_ms);
    let until = Instant::now() + wait;
    loop {
        if d.paused || d.drawn.elapsed() >= FRAME || !wait.is_zero() {
            let _ = terminal.draw(|f| view::draw(f, d));
            d.drawn = Instant::now();
        }
        // Paused: wait for a key. Running: keys until the pace's delay is over.
        let timeout = if d.paused { FRAME } else { until.saturating_duration_since(Instant::now()) };
        match event::poll(timeout) {
            Ok(true) => match event::read() {
                Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => {
                    if !d.key(k.code, k.modifiers) {
                        return false;
                    }
                    if d.paused && k.code == KeyCode::Char('n') {
                        return true; // one step
                    }
                }
                _ => {} // a resize redraws on the next pass
            },
            Ok(false) if !d.paused => return true,
            Ok(false) => {}
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bioxen::engine::lifecycle::Transition;
    use bioxen::engine::package::{Inducer, shipped};
    use bioxen::engine::scenario::AllocationChange;

    #[test]
    fn the_log_pane_names_events_as_a_scenario_writes_them() {
        let gfp = shipped("gfp").unwrap();
        let packages = [(gfp.content_hash(), gfp.name.clone())];
        let cap = AllocationChange { ribosome_cap: Some(150), weight: Some(256), ..AllocationChange::default() };
        let cases = [
            (Action::Lifecycle(Transition::Pause), "pause"),
            (Action::Create([9; 32]), "create"),
            (Action::Set(cap), "set weight 256, ribosome_cap 150"),
            (Action::Install { hash: gfp.content_hash() }, "install gfp"),
            (Action::Install { hash: [1; 32] }, "install a package"),
            (Action::Inducer { inducer: Inducer::Iptg, micromolar: 100.0 }, "add_inducer IPTG 100 µM"),
            (Action::Inducer { inducer: Inducer::Atc, micromolar: 0.0 }, "remove_inducer aTc"),
            (Action::Transcription { unit: 3, on: false }, "stop_transcription (transcription unit 3)"),
        ];
        for (action, shown) in cases {
            assert_eq!(describe(&action, &packages), shown, "{action:?}");
        }
    }
}
