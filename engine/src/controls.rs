//! What is set on a cell from outside its biology: transcription units switched off,
//! packages installed, inducers in its medium. Most cells have none of these, so a cell
//! keeps them behind one pointer, absent while all three are empty: 8 bytes a cell
//! instead of the 72 of three vectors, at a million cells 64 MB.

use crate::package::Inducer;

/// A cell's switched-off units, installed packages and inducers.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Controls(Option<Box<Lists>>);

#[derive(Clone, Debug, Default, PartialEq)]
struct Lists {
    /// Transcription units switched off (repressed), sorted.
    units_off: Vec<u32>,
    /// Packages installed, as indices into the scenario's packages, in install order.
    installed: Vec<u32>,
    /// Inducers and their concentrations in µM, sorted by inducer; none at zero.
    inducers: Vec<(Inducer, f64)>,
}

impl Controls {
    /// The controls given; nothing is allocated when all three are empty.
    pub(crate) fn new(units_off: Vec<u32>, installed: Vec<u32>, inducers: Vec<(Inducer, f64)>) -> Controls {
        if units_off.is_empty() && installed.is_empty() && inducers.is_empty() {
            return Controls(None);
        }
        Controls(Some(Box::new(Lists { units_off, installed, inducers })))
    }

    /// Transcription units switched off, sorted.
    pub(crate) fn units_off(&self) -> &[u32] {
        self.0.as_ref().map_or(&[], |l| &l.units_off)
    }

    /// Packages installed, in install order.
    pub(crate) fn installed(&self) -> &[u32] {
        self.0.as_ref().map_or(&[], |l| &l.installed)
    }

    /// Inducers and their concentrations, sorted by inducer.
    pub(crate) fn inducers(&self) -> &[(Inducer, f64)] {
        self.0.as_ref().map_or(&[], |l| &l.inducers)
    }

    /// Switches `unit` on or off.
    pub(crate) fn switch_transcription(&mut self, unit: u32, on: bool) {
        match (self.units_off().binary_search(&unit), on) {
            (Ok(i), true) => {
                self.lists().units_off.remove(i);
            }
            (Err(i), false) => self.lists().units_off.insert(i, unit),
            _ => {}
        }
    }

    /// Records package `package` as installed.
    pub(crate) fn install(&mut self, package: u32) {
        self.lists().installed.push(package);
    }

    /// Sets `inducer` to `micromolar` µM (0 removes it).
    pub(crate) fn set_inducer(&mut self, inducer: Inducer, micromolar: f64) {
        let at = self.inducers().binary_search_by(|(i, _)| i.cmp(&inducer));
        match (at, micromolar > 0.0) {
            (Ok(k), true) => self.lists().inducers[k].1 = micromolar,
            (Ok(k), false) => {
                self.lists().inducers.remove(k);
            }
            (Err(k), true) => self.lists().inducers.insert(k, (inducer, micromolar)),
            (Err(_), false) => {}
        }
    }

    fn lists(&mut self) -> &mut Lists {
        self.0.get_or_insert_with(Box::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_allocates_nothing_and_changes_read_back() {
        let mut c = Controls::new(Vec::new(), Vec::new(), Vec::new());
        assert!(c.0.is_none());
        c.switch_transcription(3, false);
        c.switch_transcription(1, false);
        c.switch_transcription(3, true);
        c.install(7);
        c.set_inducer(Inducer::Iptg, 5.0);
        c.set_inducer(Inducer::Iptg, 0.0);
        assert_eq!((c.units_off(), c.installed(), c.inducers()), (&[1][..], &[7][..], &[][..]));
    }
}
