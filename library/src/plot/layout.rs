//! Where a chart's text goes, worked out before anything is drawn: boxes in pixels that the
//! drawing then follows, so that a test can check that no two overlap and none leaves the
//! chart (`tests/charts.rs`).

use super::FAMILY;
use plotters::style::IntoFont;

/// A box in pixels: its left and top edges, width and height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub w: i32,
    /// Height.
    pub h: i32,
}

impl Rect {
    /// Whether the two boxes share any pixel.
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    /// Whether this box lies wholly within `o`.
    pub fn inside(&self, o: &Rect) -> bool {
        self.x >= o.x && self.y >= o.y && self.x + self.w <= o.x + o.w && self.y + self.h <= o.y + o.h
    }
}

/// The width and height of `text` at `size` pixels in the bundled font (the font must be
/// registered, as [`super::draw`] does first); an overestimate if it cannot be measured.
pub fn text_size(text: &str, size: u32) -> (i32, i32) {
    let _ = super::register_font();
    match (FAMILY, size).into_font().box_size(text) {
        Ok((w, h)) => (w as i32, h as i32),
        Err(_) => ((text.chars().count() as u32 * size) as i32, size as i32 + 4),
    }
}

/// Space left between two pieces of text.
const GAP: i32 = 8;

/// Lays `labels` (each an anchor x and its text) out in rows of `row_h` pixels within
/// `strip`, at `size` pixels: a label starts just right of its anchor, or ends just left of
/// it when it would leave the strip, and goes in the first row where it overlaps nothing.
/// A label no row has room for gets `None`.
pub fn label_rows(labels: &[(i32, String)], strip: Rect, row_h: i32, size: u32) -> Vec<Option<Rect>> {
    let rows = (strip.h / row_h).max(0) as usize;
    let mut placed: Vec<Vec<Rect>> = vec![Vec::new(); rows];
    labels
        .iter()
        .map(|(anchor, text)| {
            let (w, h) = text_size(text, size);
            let h = h.min(row_h);
            let right = strip.x + strip.w;
            let x = if anchor + 3 + w <= right { anchor + 3 } else { (anchor - 3 - w).max(strip.x) };
            if w > strip.w {
                return None;
            }
            (0..rows).find_map(|r| {
                let b = Rect { x, y: strip.y + r as i32 * row_h, w, h };
                let padded = Rect { x: b.x - GAP / 2, w: b.w + GAP, ..b };
                if placed[r].iter().any(|p| p.overlaps(&padded)) {
                    return None;
                }
                placed[r].push(b);
                Some(b)
            })
        })
        .collect()
}

/// Lays legend entries (a swatch then the text) out left to right from `(x, y)`, wrapping
/// to a new row of `row_h` pixels at `width`; returns each entry's box (swatch included).
pub fn legend_rows(texts: &[String], (x, y): (i32, i32), width: i32, row_h: i32, size: u32) -> Vec<Rect> {
    let mut at = (x, y);
    texts
        .iter()
        .map(|t| {
            let w = SWATCH + 4 + text_size(t, size).0;
            if at.0 + w > x + width && at.0 > x {
                at = (x, at.1 + row_h);
            }
            let b = Rect { x: at.0, y: at.1, w, h: row_h - 2 };
            at.0 += w + 2 * GAP;
            b
        })
        .collect()
}

/// A legend entry's swatch width.
pub const SWATCH: i32 = 22;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crowded_labels_take_new_rows_and_stay_inside() {
        let strip = Rect { x: 80, y: 40, w: 1000, h: 16 * 3 };
        let labels: Vec<(i32, String)> =
            (0..6).map(|i| (1070 - i, format!("add_inducer IPTG 1000 µM switch {i}"))).collect();
        let boxes = label_rows(&labels, strip, 16, 12);
        let placed: Vec<Rect> = boxes.iter().flatten().copied().collect();
        assert!(placed.len() >= 3, "{boxes:?}");
        for (i, a) in placed.iter().enumerate() {
            assert!(a.inside(&strip), "{a:?} leaves {strip:?}");
            assert!(placed[i + 1..].iter().all(|b| !a.overlaps(b)), "{a:?} overlaps");
        }
    }
}
