//! Charts a reader can read: the trace chart's text is laid out before it is drawn
//! (`bioxen::plot::trace_layout`), and here every shipped scenario's layout is checked: no
//! label overlaps another or the legend, none leaves the chart or runs into the panels, and
//! every event is labelled. A crowded timeline is checked too: what cannot be labelled is
//! counted, never drawn over something else.

mod common;
use bioxen::plot::{Rect, TraceLayout, trace_bytes, trace_layout};
use common::*;

/// Checks one layout, naming `what` in failures.
fn check(what: &str, layout: &TraceLayout) {
    let mut boxes: Vec<(String, Rect)> = layout.legend.clone();
    boxes.extend(layout.labels.iter().filter_map(|(t, b)| b.map(|b| (t.clone(), b))));
    for (i, (text, b)) in boxes.iter().enumerate() {
        assert!(b.inside(&layout.chart), "{what}: `{text}` {b:?} leaves the chart");
        assert!(b.y + b.h <= layout.panels_top, "{what}: `{text}` {b:?} runs into the panels");
        assert!(b.x >= layout.chart.x && b.w > 0, "{what}: `{text}` has no room");
        for (other, c) in &boxes[i + 1..] {
            assert!(!b.overlaps(c), "{what}: `{text}` {b:?} overlaps `{other}` {c:?}");
        }
    }
    for (text, b) in &layout.labels {
        if let Some(b) = b {
            assert!(b.inside(&layout.strip), "{what}: `{text}` {b:?} is outside the labels' strip");
        }
    }
}

#[test]
fn every_shipped_chart_labels_every_event_without_overlap() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") && (n != "syn3a-genbank.toml" || shared_present()))
        .collect();
    names.sort();
    for name in names {
        let scenario = load(&name);
        let mut records = Vec::new();
        simulation(&scenario).run(|_, r| records.push(r.clone())).unwrap();
        let layout = trace_layout(&scenario, &records);
        check(&name, &layout);
        let events = records.iter().filter(|r| !r.events.is_empty()).count();
        assert_eq!(layout.labels.len(), events, "{name}: one label per tick with events");
        assert!(layout.labels.iter().all(|(_, b)| b.is_some()), "{name}: an event without its label");
        // The chart draws from this layout.
        assert!(trace_bytes(bioxen::plot::Format::Svg, &scenario, &records).is_ok(), "{name}");
    }
}

/// Forty events crowded into the run's last minutes, with long labels near the right edge:
/// the labels take rows, stay inside, and those with no room are left out, not overlapped.
#[test]
fn a_crowded_timeline_never_overlaps_or_leaves_the_chart() {
    let mut text = String::from(
        "format_version = 1\n[simulation]\nseed = 1\nticks = 120\ntick_seconds = 10.0\npolicy = \"fair\"\n\
         [chassis]\nkind = \"ecoli\"\n[[vm]]\nid = \"a-guest-with-a-long-name\"\norganism = \"syn3a\"\n",
    );
    for i in 0..40 {
        let (action, inducer) =
            if i % 2 == 0 { ("add_inducer", "\nmicromolar = 1000") } else { ("remove_inducer", "") };
        text.push_str(&format!(
            "[[event]]\ntick = {}\nvm = \"a-guest-with-a-long-name\"\naction = \"{action}\"\ninducer = \"IPTG\"{inducer}\n",
            80 + i
        ));
    }
    let scenario = parse(&text);
    let mut records = Vec::new();
    simulation(&scenario).run(|_, r| records.push(r.clone())).unwrap();
    let layout = trace_layout(&scenario, &records);
    check("crowded", &layout);
    let labelled = layout.labels.iter().filter(|(_, b)| b.is_some()).count();
    assert!(labelled >= 8, "only {labelled} of 40 labelled");
    assert!(labelled < 40, "forty long labels cannot all fit in eight rows near one edge");
    // The inducer's name and concentration are in its label.
    assert!(layout.labels[0].0.contains("add IPTG 1k µM a-guest-with-a-long-name"), "{}", layout.labels[0].0);
    assert!(trace_bytes(bioxen::plot::Format::Png, &scenario, &records).is_ok());
}
