//! One guest cell's state and its biology per tick.
//!
//! A tick for a running VM has two halves: `Vm::demand` states what the cell would use
//! given its present size, and `Vm::advance` runs transcription, mRNA decay, translation
//! and division with what the scheduler granted. Every draw comes from the VM's own stream.
//!
//! The sampling is event-driven: instead of testing each gene each tick, the VM draws how
//! many transcription, decay and completion events happen and then which genes they hit
//! (a sorted list of the mRNA molecules, a binary search over unit rates). A VM-tick therefore
//! costs in proportion to its events, not to its gene count.

use crate::biology::{ATP_PER_AMINO_ACID_ALL_IN, RIBOSOMES_PER_MRNA_MAX, STARVED_FRACTION};
use crate::carry::Budget;
use crate::cell::Cell;
pub use crate::cell::{VmStats, VmSummary};
use crate::cell_stream::{CellStream, EIGHT_BLOCKS, FOUR_BLOCKS, StreamPosition};
use crate::controls::Controls;
use crate::lifecycle::Lifecycle;
use crate::mrna_edits::{Births, Decays};
use crate::package::{INDUCER_UM_MAX, Inducer, promoter_activity};
use crate::program::Program;
use crate::proteins::Proteins;
use crate::resources::Resources;
use crate::rng::{Stream, StreamState};
use crate::rounding::ceil_u64;
use crate::sample::{below, below_from, below32_from, binomial, poisson, unit};
use crate::scenario::limits::MRNA_PER_CELL_MAX;
use crate::transcripts::Transcripts;

/// The mutable state of one VM, laid out for the tick loop. It crosses no boundary as it
/// lies in memory: checkpoints, snapshots and other processes get its value, a [`Cell`].
#[derive(Clone, Debug)]
pub struct Vm {
    /// Where the VM is in its life.
    pub lifecycle: Lifecycle,
    /// The mRNA molecules, as a sorted list of their genes: the counts per gene are
    /// recovered from it on the rare occasions they are needed whole (division,
    /// checkpoints).
    mrna: Transcripts,
    /// Genes the cell has (its genome's and its packages').
    genes: u32,
    /// Protein molecules per gene, up to the last gene that codes for a protein: a
    /// built-in genome lists its RNA genes last, and they never have any (for syn3A, 82
    /// bytes a cell not held).
    proteins: Proteins,
    proteins_total: u64,
    mass_aa: u64,
    birth_mass_aa: u64,
    /// Amino acids polymerised but not yet part of a finished protein.
    aa_carry: f64,
    /// Gene whose protein the ribosomes are finishing, chosen when it was started.
    pending_gene: Option<u32>,
    ticks_since_division: u64,
    /// Transcription units switched off (repressed; their transcription events are
    /// dropped, which thins the Poisson process of transcription to the units that are on
    /// without changing any other draw), packages installed (indices into the scenario's
    /// packages, in install order: the cell's program is its genome's with these installed,
    /// [`Program::compile_with`]) and inducers in the cell's medium.
    controls: Controls,
    /// What the cell will ask for next tick: it depends only on the cell, so it is worked
    /// out at the end of each advance, in the same parallel pass. Derived, not stored.
    next_demand: Resources,
    /// Counters over the run.
    pub stats: VmStats,
    /// The position of the cell's random stream. Only its position is kept between
    /// ticks: each advance makes the blocks it draws from ([`CellStream`]), so a cell does
    /// not carry a 256-byte buffer through memory from one tick to the next.
    rng: StreamPosition,
}

impl Vm {
    /// A newborn cell: mRNA counts drawn Poisson around the program's means (as the
    /// syn3A whole-cell model initialises them; Thornburg et al. 2022), proteins at their
    /// mean counts. Units repressed at birth start with no transcripts (the draws are
    /// made all the same, so no other gene's count depends on regulation).
    pub(crate) fn new(program: &Program, mut rng: Stream) -> Vm {
        let mut mrna_counts: Vec<u32> = program.mrna_mean.iter().map(|&m| poisson(&mut rng, m) as u32).collect();
        for &unit in &program.units_off_at_birth {
            for &g in program.unit(unit as usize) {
                mrna_counts[g as usize] = 0;
            }
        }
        let proteins = Proteins::from_counts(&program.protein_init[..program.protein_genes_end()]);
        let mass_aa = mass_of(&proteins, program);
        Vm {
            lifecycle: Lifecycle::Created,
            mrna: Transcripts::newborn(&mrna_counts),
            genes: program.genes() as u32,
            proteins_total: program.protein_init.iter().map(|&n| u64::from(n)).sum(),
            proteins,
            mass_aa,
            birth_mass_aa: mass_aa,
            aa_carry: 0.0,
            pending_gene: None,
            ticks_since_division: 0,
            controls: Controls::new(program.units_off_at_birth.clone(), Vec::new(), Vec::new()),
            next_demand: Resources::ZERO,
            stats: VmStats::default(),
            rng: StreamPosition::of(&StreamState::capture(&rng)),
        }
    }

    /// Switches transcription of `unit` on or off (a unit the program does not have is the
    /// gate's to refuse; here it is simply never picked).
    pub(crate) fn switch_transcription(&mut self, unit: u32, on: bool) {
        self.controls.switch_transcription(unit, on);
    }

    /// Installs package `package` (its index in the scenario), `program` being this cell's
    /// program with it installed: the plasmid's genes join the cell with no transcripts or
    /// proteins, and their units are on.
    pub(crate) fn install(&mut self, package: u32, program: &Program) {
        // The new genes have no transcripts: the list of molecules stays as it is.
        self.genes = program.genes() as u32;
        self.proteins.resize(program.protein_genes_end());
        self.controls.install(package);
    }

    /// The packages installed, in install order (indices into the scenario's packages).
    pub fn installed(&self) -> &[u32] {
        self.controls.installed()
    }

    /// Sets `inducer` to `micromolar` µM in the cell's medium (0 removes it).
    pub(crate) fn set_inducer(&mut self, inducer: Inducer, micromolar: f64) {
        self.controls.set_inducer(inducer, micromolar);
    }

    /// The concentration of `inducer` in the cell's medium, µM.
    pub(crate) fn inducer(&self, inducer: Inducer) -> f64 {
        self.controls.inducers().iter().find(|(i, _)| *i == inducer).map_or(0.0, |&(_, c)| c)
    }

    /// Whether `unit` is transcribed.
    pub(crate) fn transcribes(&self, unit: u32) -> bool {
        self.controls.units_off().binary_search(&unit).is_err()
    }

    /// mRNA molecules of gene `gene` now.
    pub fn mrna_of(&self, gene: usize) -> u32 {
        self.mrna.count(gene)
    }

    /// Genes the cell has (its genome's and its packages').
    pub fn genes(&self) -> usize {
        self.genes as usize
    }

    /// Protein molecules of gene `gene` now.
    pub fn proteins_of(&self, gene: usize) -> u32 {
        self.proteins.get(gene)
    }

    /// Where the cell's state lies: `(address, bytes)` of the struct, of its mRNA list and
    /// of its protein counts. Only for a runtime that holds cells apart to fetch the next
    /// one's memory ahead of advancing it; nothing reads through these.
    pub fn memory(&self) -> [(usize, usize); 3] {
        let whole = (std::ptr::from_ref(self) as usize, std::mem::size_of::<Vm>());
        [whole, self.mrna.memory(), self.proteins.memory()]
    }

    /// Asks the processor to bring this cell's state into cache, ahead of advancing it.
    pub fn prefetch(&self) {
        crate::prefetch::spans(&self.memory());
    }

    /// What this cell asks for in its next running tick (see `Vm::demand`).
    pub fn next_demand(&self) -> Resources {
        self.next_demand
    }

    /// Recomputes [`Vm::next_demand`]; the simulation calls it after creating, restoring or
    /// advancing the VM.
    pub(crate) fn refresh_demand(&mut self, program: &Program, tick_seconds: f64) {
        self.next_demand = self.demand(program, tick_seconds);
    }

    /// The cell as a value, for checkpoints, snapshots and other processes.
    pub fn cell(&self) -> Cell {
        Cell {
            lifecycle: self.lifecycle,
            mrna: self.mrna.counts(self.genes()),
            proteins: self.proteins.to_counts(self.genes()),
            proteins_total: self.proteins_total,
            mass_aa: self.mass_aa,
            birth_mass_aa: self.birth_mass_aa,
            aa_carry: self.aa_carry,
            pending_gene: self.pending_gene,
            ticks_since_division: self.ticks_since_division,
            units_off: self.controls.units_off().to_vec(),
            installed: self.controls.installed().to_vec(),
            inducers: self.controls.inducers().to_vec(),
            stats: self.stats.clone(),
            rng: self.rng.state(),
        }
    }

    /// The VM of a cell (from a checkpoint, a snapshot or another process), checked
    /// against its program and the run's `tick` first (`Vm::restore`), with its next
    /// demand worked out.
    pub fn from_cell(cell: Cell, program: &Program, tick: u64, tick_seconds: f64) -> Result<Vm, VmStateError> {
        let genes = program.genes();
        if cell.mrna.len() != genes || cell.proteins.len() != genes {
            return Err(VmStateError::GeneCount { mrna: cell.mrna.len(), proteins: cell.proteins.len(), genes });
        }
        let mrna = Transcripts::from_counts(&cell.mrna)
            .ok_or_else(|| VmStateError::MrnaTotal(cell.mrna.iter().map(|&n| u64::from(n)).sum()))?;
        let (held, beyond) = cell.proteins.split_at(program.protein_genes_end());
        if let Some(k) = beyond.iter().position(|&n| n > 0) {
            return Err(VmStateError::ProteinWithoutGene(held.len() + k));
        }
        let mut vm = Vm {
            lifecycle: cell.lifecycle,
            mrna,
            genes: genes as u32,
            proteins: Proteins::from_counts(held),
            proteins_total: cell.proteins_total,
            mass_aa: cell.mass_aa,
            birth_mass_aa: cell.birth_mass_aa,
            aa_carry: cell.aa_carry,
            pending_gene: cell.pending_gene,
            ticks_since_division: cell.ticks_since_division,
            controls: Controls::new(cell.units_off, cell.installed, cell.inducers),
            next_demand: Resources::ZERO,
            stats: cell.stats,
            rng: StreamPosition::of(&cell.rng),
        };
        vm.restore(program, tick)?;
        vm.refresh_demand(program, tick_seconds);
        Ok(vm)
    }

    /// Rebuilds derived state of a cell from untrusted bytes and checks it against the
    /// VM's program and the run's `tick`, so that such bytes can neither index out of
    /// bounds nor make a later loop or sum run away.
    fn restore(&mut self, program: &Program, tick: u64) -> Result<(), VmStateError> {
        // The gene counts and the mRNA total were checked on the cell (`Vm::from_cell`).
        // Only protein genes have messages: a message of length 0 would complete
        // proteins forever in one tick.
        if let Some(gene) = self.mrna.genes().find(|&g| program.protein_aa[g] == 0) {
            return Err(VmStateError::MessageWithoutProtein(gene));
        }
        let units = program.units() as u64;
        let units_off = self.controls.units_off();
        if !units_off.windows(2).all(|w| w[0] < w[1]) || units_off.last().is_some_and(|&u| u64::from(u) >= units) {
            return Err(VmStateError::Units { units: program.units() });
        }
        let inducers = self.controls.inducers();
        let inducers_fit = inducers.windows(2).all(|w| w[0].0 < w[1].0)
            && inducers.iter().all(|&(_, c)| c.is_finite() && c > 0.0 && c <= INDUCER_UM_MAX);
        if !inducers_fit {
            return Err(VmStateError::Inducers);
        }
        if self.pending_gene.is_some_and(|g| program.protein_aa.get(g as usize).is_none_or(|&aa| aa == 0)) {
            return Err(VmStateError::Translation);
        }
        // Translation in hand never exceeds the longest protein (see `translate`), which
        // bounds how many proteins one tick can complete.
        if !(self.aa_carry.is_finite() && self.aa_carry >= 0.0 && self.aa_carry <= f64::from(program.protein_aa_max)) {
            return Err(VmStateError::Translation);
        }
        let s = &self.stats;
        let counters_fit = s.running_ticks <= tick
            && s.starved_ticks <= s.running_ticks
            && u64::from(s.divisions) <= tick
            && s.cycle_ticks_total <= tick
            && self.ticks_since_division <= tick;
        if !counters_fit {
            return Err(VmStateError::Counters { tick });
        }
        self.proteins_total = self.proteins.total();
        self.mass_aa = checked_mass(&self.proteins, program).ok_or(VmStateError::Mass)?;
        self.birth_mass_aa = self.birth_mass_aa.max(1);
        Ok(())
    }

    /// The state summary recorded in traces.
    pub(crate) fn summary(&self) -> VmSummary {
        VmSummary { mrna: self.mrna.total() as u32, proteins: self.proteins_total, mass_aa: self.mass_aa }
    }

    /// What this cell would use this tick, given its size. Ribosomes and RNAP scale with
    /// protein mass relative to a newborn cell (machinery grows with the cell), ribosomes
    /// are limited by the mRNA there is to translate, and ATP pays for the translation
    /// those ribosomes can do (see [`ATP_PER_AMINO_ACID_ALL_IN`]).
    pub(crate) fn demand(&self, program: &Program, tick_seconds: f64) -> Resources {
        let scale = self.mass_aa as f64 / program.reference_mass_aa.max(1) as f64;
        machinery_demand(program, scale, self.mrna.total() * RIBOSOMES_PER_MRNA_MAX, tick_seconds)
    }

    /// Runs one tick of biology with `grant` (which the scheduler guarantees is within
    /// `demand`).
    pub(crate) fn advance(&mut self, program: &Program, demand: Resources, grant: Resources, tick_seconds: f64) {
        if program.draws_many() {
            self.advance_drawing::<EIGHT_BLOCKS>(program, demand, grant, tick_seconds);
        } else {
            self.advance_drawing::<FOUR_BLOCKS>(program, demand, grant, tick_seconds);
        }
    }

    /// [`Vm::advance`], its random stream buffering `W` words (see [`CellStream`]).
    fn advance_drawing<const W: usize>(
        &mut self,
        program: &Program,
        demand: Resources,
        grant: Resources,
        tick_seconds: f64,
    ) {
        debug_assert!(grant.fits_within(&demand));
        self.account(demand, grant);
        let rng = &mut CellStream::<W>::at(&self.rng);
        self.decay(program, tick_seconds, rng);
        self.transcribe(program, demand, grant, tick_seconds, rng);
        if !program.protein_decay.is_empty() {
            self.degrade(program, rng);
        }
        self.translate(program, grant, tick_seconds, rng);
        self.ticks_since_division += 1;
        // The adder: a cell divides once it has added a newborn's mass since its birth
        // (E. coli, B. subtilis and Caulobacter: Taheri-Araghi et al. 2015, Curr. Biol.
        // 25:385; Campos et al. 2014, Cell 159:1433; assumed for the Mycoplasma guests).
        // Dividing at twice the birth mass instead would pass each division's overshoot
        // (up to a tick's growth) on to the daughter, so cells would grow from generation
        // to generation, faster the longer the tick.
        if self.mass_aa >= self.birth_mass_aa.saturating_add(program.reference_mass_aa) {
            self.divide(program, rng);
        }
        self.rng = rng.position();
    }

    fn account(&mut self, demand: Resources, grant: Resources) {
        let s = &mut self.stats;
        s.running_ticks += 1;
        s.demanded += demand;
        s.granted += grant;
        let short = |g: u64, d: u64| d > 0 && (g as f64) < STARVED_FRACTION * d as f64;
        if short(grant.atp, demand.atp) || short(grant.ribosomes, demand.ribosomes) || short(grant.rnap, demand.rnap) {
            s.starved_ticks += 1;
        }
    }

    /// mRNA decay: each molecule survives a tick with probability 2^(−dt/half-life), so the
    /// number decaying is binomial; which ones is a uniform pick without replacement.
    fn decay<const W: usize>(&mut self, program: &Program, tick_seconds: f64, rng: &mut CellStream<W>) {
        let total = self.mrna.total();
        if total == 0 {
            return;
        }
        debug_assert_eq!(tick_seconds, program.tick_seconds, "a program compiled for another tick length");
        let decays = program.mrna_decay.sample(rng, total);
        if !program.draws_many() {
            for _ in 0..decays {
                self.mrna.remove_at(below(rng, self.mrna.total()));
            }
            return;
        }
        // Gathered, applied in one pass (see `crate::mrna_edits`).
        let mut gathered = Decays::new();
        for _ in 0..decays {
            let index = below(rng, gathered.left(&self.mrna));
            gathered.pick(&mut self.mrna, index);
        }
        gathered.apply(&mut self.mrna);
    }

    /// Transcription: Poisson events at the program's rate scaled by the RNAP granted
    /// (relative to a newborn's active RNAP) and by the share of ATP granted.
    fn transcribe<const W: usize>(
        &mut self,
        program: &Program,
        demand: Resources,
        grant: Resources,
        tick_seconds: f64,
        rng: &mut CellStream<W>,
    ) {
        let rate = program.transcription_rate_per_s();
        if rate <= 0.0 {
            return;
        }
        let rnap_scale = grant.rnap as f64 / program.profile.active_rnap();
        let atp_share = if demand.atp == 0 { 1.0 } else { grant.atp as f64 / demand.atp as f64 };
        // Only the transcripts that outlive the tick they were made in are drawn (thinning
        // a Poisson process is a Poisson process): see `Program::mrna_born_surviving`.
        let mean = rate * rnap_scale * atp_share * tick_seconds * program.mrna_born_surviving;
        let events = poisson(rng, mean);
        // Gathered and applied in one pass for long lists (see `crate::mrna_edits`).
        let mut births = (program.draws_many() && events > 0).then(Births::new);
        for _ in 0..events {
            let picked = program.unit_at(unit(rng) * rate);
            if !self.controls.units_off().is_empty() && !self.transcribes(picked as u32) {
                continue;
            }
            // A regulated promoter fires with the probability its regulator leaves it
            // (thinning again: one more draw, made only for regulated units).
            if let Some(r) = program.regulation(picked) {
                let regulator = self.proteins.get(r.regulation.regulator as usize);
                let inducer = r.binding.map_or(0.0, |b| self.inducer(b.inducer));
                if unit(rng) >= promoter_activity(&r.regulation, regulator, r.binding.as_ref(), inducer) {
                    continue;
                }
            }
            for &gene in program.unit(picked) {
                match &mut births {
                    Some(births) => births.add(&mut self.mrna, gene as usize),
                    None => self.mrna.add(gene as usize),
                }
            }
        }
        if let Some(mut births) = births {
            births.apply(&mut self.mrna);
        }
    }

    /// Translation: the granted ribosomes polymerise `ribosomes × elongation × dt` amino
    /// acids, limited by the ATP granted. Each protein started picks its message uniformly
    /// among the mRNAs present and completes when its length has been paid for.
    fn translate<const W: usize>(
        &mut self,
        program: &Program,
        grant: Resources,
        tick_seconds: f64,
        rng: &mut CellStream<W>,
    ) {
        let by_ribosomes = grant.ribosomes as f64 * program.profile.elongation_aa_per_s * tick_seconds;
        let by_atp = grant.atp as f64 / ATP_PER_AMINO_ACID_ALL_IN;
        // The loop works on locals, written back once: an E. coli cell completes ~1,900
        // proteins a tick, and storing the carry and the pending gene to the cell and
        // loading them back each time stalled it on the stores.
        // In whole amino acids, an integer, and a fraction: see `crate::carry`.
        let mut budget = Budget::of(self.aa_carry + by_ribosomes.min(by_atp));
        let mut pending = self.pending_gene;
        let (mut made, mut total, mut mass) = (0u64, self.proteins_total, self.mass_aa);
        let decays = !program.protein_decay.is_empty();
        loop {
            let gene = match pending {
                Some(g) => g as usize,
                None => {
                    let molecules = self.mrna.total();
                    if molecules == 0 {
                        // Ribosomes without messages polymerise nothing; keep at most one
                        // protein's worth (the longest) so a long mRNA drought cannot bank
                        // credit. So `aa_carry` never exceeds `protein_aa_max`.
                        budget.at_most(program.protein_aa_max);
                        break;
                    }
                    self.mrna.gene_at(pick(molecules, rng))
                }
            };
            let aa = program.protein_aa[gene];
            if !budget.take(aa) {
                pending = Some(gene as u32);
                break;
            }
            pending = None;
            made += 1;
            if decays && Self::degraded_when_made(program, gene, rng) {
                continue;
            }
            // Saturating: a cell's counts are bounded by its growth (the gate keeps a newborn
            // from more than doubling in a tick), but a restored state is only checked to
            // fit its types.
            self.proteins.add_one(gene);
            total = total.saturating_add(1);
            mass = mass.saturating_add(u64::from(aa));
        }
        (self.aa_carry, self.pending_gene, self.proteins_total, self.mass_aa) = (budget.carry(), pending, total, mass);
        self.stats.proteins_made = self.stats.proteins_made.saturating_add(made);
    }

    /// Whether a molecule of `gene` completed this tick is degraded before the tick ends
    /// (tagged proteins only; see `ProteinDecay::born_surviving`). One draw, made only for
    /// tagged genes.
    fn degraded_when_made<const W: usize>(program: &Program, gene: usize, rng: &mut CellStream<W>) -> bool {
        match program.protein_decay.binary_search_by_key(&(gene as u32), |d| d.gene) {
            Ok(k) => unit(rng) >= program.protein_decay[k].born_surviving,
            Err(_) => false,
        }
    }

    /// Protein decay of actively degraded proteins (tagged ones) there at the start of the
    /// tick: per gene, the number lost is binomial in its count. Runs whatever the grant:
    /// proteases need no ribosomes.
    fn degrade<const W: usize>(&mut self, program: &Program, rng: &mut CellStream<W>) {
        for decay in &program.protein_decay {
            let g = decay.gene as usize;
            let lost = decay.draws.sample(rng, u64::from(self.proteins.get(g))) as u32;
            if lost > 0 {
                self.proteins.remove(g, lost);
                self.proteins_total -= u64::from(lost);
                self.mass_aa -= u64::from(lost) * u64::from(program.protein_aa[g]);
            }
        }
    }

    /// Division, once the cell has added a newborn's mass since birth: every molecule goes
    /// to the kept daughter with probability ½ (binomial partition); the VM follows that
    /// daughter.
    fn divide<const W: usize>(&mut self, program: &Program, rng: &mut CellStream<W>) {
        // Proteins, then mRNA, each gene in order: one binomial per nonzero count.
        let mut halve = |count: u32| binomial(rng, u64::from(count), 0.5) as u32;
        self.proteins.thin(&mut halve);
        self.mrna.thin(|_, count| halve(count));
        self.proteins_total = self.proteins.total();
        self.mass_aa = mass_of(&self.proteins, program);
        self.birth_mass_aa = self.mass_aa.max(1);
        self.stats.divisions += 1;
        self.stats.cycle_ticks_total += self.ticks_since_division;
        self.ticks_since_division = 0;
    }
}

/// What a cell's machinery asks for in a tick at `scale` × a newborn's, its ribosomes at
/// most `ribosomes_max` (as many as its messages can hold): [`Vm::demand`], and a
/// newborn's held grant in `crate::network`.
pub(crate) fn machinery_demand(program: &Program, scale: f64, ribosomes_max: u64, tick_seconds: f64) -> Resources {
    let profile = &program.profile;
    let ribosomes = ceil_u64(profile.active_ribosomes() * scale).min(ribosomes_max);
    let rnap = ceil_u64(profile.active_rnap() * scale);
    let atp = ceil_u64(ribosomes as f64 * profile.elongation_aa_per_s * tick_seconds * ATP_PER_AMINO_ACID_ALL_IN);
    Resources { atp, ribosomes, rnap }
}

/// Protein mass in amino acids, saturating like the running total it resets (each product
/// of a u32 count and a u32 length fits a u64; only their sum could pass it).
fn mass_of(proteins: &Proteins, program: &Program) -> u64 {
    let mut sum = 0u64;
    proteins.each(|g, n| sum = sum.saturating_add(u64::from(n) * u64::from(program.protein_aa[g])));
    sum
}

/// [`mass_of`] with every product and sum checked: for counts from untrusted bytes.
fn checked_mass(proteins: &Proteins, program: &Program) -> Option<u64> {
    let mut sum = Some(0u64);
    proteins.each(|g, n| {
        sum = sum.and_then(|s| s.checked_add(u64::from(n).checked_mul(u64::from(*program.protein_aa.get(g)?))?));
    });
    sum
}

/// What makes a VM's decoded state unusable with its program.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VmStateError {
    /// The state's gene vectors do not match the genome.
    #[error("state has {mrna} mRNA and {proteins} protein counts for a genome of {genes} genes")]
    GeneCount {
        /// mRNA counts in the state.
        mrna: usize,
        /// Protein counts in the state.
        proteins: usize,
        /// Genes in the genome.
        genes: usize,
    },
    /// More mRNA than a cell can hold.
    #[error("{0} mRNA molecules, more than a cell may hold (2^22)")]
    MrnaTotal(u64),
    /// mRNA of a gene that makes no protein.
    #[error("mRNA for gene #{0}, which codes for no protein")]
    MessageWithoutProtein(usize),
    /// Protein molecules of an RNA gene past the last protein gene.
    #[error("proteins for gene #{0}, which codes for no protein")]
    ProteinWithoutGene(usize),
    /// The protein being finished, or the translation in hand, is impossible.
    #[error("translation state out of range")]
    Translation,
    /// The repressed units are not a sorted set of the program's units.
    #[error("repressed transcription units out of order or beyond the genome's {units}")]
    Units {
        /// Units in the program.
        units: usize,
    },
    /// The proteins' mass overflows.
    #[error("protein counts whose mass overflows")]
    Mass,
    /// Packages the scenario does not have, or installed twice.
    #[error("installed packages the scenario does not have, or one twice")]
    Packages,
    /// Inducers out of order, repeated, or at impossible concentrations.
    #[error("inducer concentrations out of order or out of range")]
    Inducers,
    /// Counters larger than the ticks run.
    #[error("counters larger than the {tick} ticks run")]
    Counters {
        /// Ticks run.
        tick: u64,
    },
}

/// A uniform pick of one of `molecules` mRNAs (at most `MRNA_PER_CELL_MAX` = 2²², so below
/// 2³²) for translation. A cell on the eight-block stream, one whose program draws many
/// words (`Program::draws_many`: E. coli), takes each pick from one 32-bit word
/// ([`below32_from`]); every other cell from a 64-bit word ([`below_from`]), as all did
/// before, so their digests stand. Both are exact. Measured: E. coli ×1.123 (1.116–1.130,
/// 7 pairs; fewer words to make and a narrower product); syn3A would gain ×1.08 but keeps
/// its digests. `pick_statistics` holds the two ways to each other's statistics.
#[inline(always)]
fn pick<const W: usize>(molecules: u64, rng: &mut CellStream<W>) -> u64 {
    const _: () = assert!(MRNA_PER_CELL_MAX < 1 << 32);
    if W == EIGHT_BLOCKS {
        u64::from(below32_from(molecules as u32, || rng.word32()))
    } else {
        below_from(molecules, || rng.word64())
    }
}

#[cfg(test)]
#[path = "pick_statistics.rs"]
mod pick_statistics;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::biology::Organism;
    use crate::genome::Genome;
    use crate::rng::vm_stream;

    /// A state decoded from untrusted bytes that would run away (a carry of 10^300 amino
    /// acids, a message of a gene that makes no protein: either loops for ever in one tick)
    /// or overflow is refused by restore, each with its own error.
    #[test]
    fn restore_refuses_states_that_would_run_away() {
        use crate::scenario::GenomeSource;
        let program = Program::compile(&Genome::builtin(Organism::Syn3a), Organism::Syn3a, GenomeSource::Builtin, 1.0);
        let fresh = || Vm::new(&program, vm_stream(1, "x"));
        let rna_gene = (0..program.genes()).find(|&g| program.protein_aa[g] == 0).unwrap() as u32;
        type Edit = Box<dyn Fn(&mut Vm)>;
        let cases: Vec<(&str, Edit, VmStateError)> = vec![
            ("huge carry", Box::new(|vm| vm.aa_carry = 1e300), VmStateError::Translation),
            ("NaN carry", Box::new(|vm| vm.aa_carry = f64::NAN), VmStateError::Translation),
            ("pending RNA gene", Box::new(move |vm| vm.pending_gene = Some(rna_gene)), VmStateError::Translation),
            ("pending past the genome", Box::new(|vm| vm.pending_gene = Some(1 << 30)), VmStateError::Translation),
            (
                "message of an RNA gene",
                Box::new(move |vm| (0..3).for_each(|_| vm.mrna.add(rna_gene as usize))),
                VmStateError::MessageWithoutProtein(rna_gene as usize),
            ),
            ("counters past the tick", Box::new(|vm| vm.stats.running_ticks = 11), VmStateError::Counters { tick: 10 }),
        ];
        for (name, edit, expected) in cases {
            let mut vm = fresh();
            edit(&mut vm);
            let e = vm.restore(&program, 10).err().unwrap_or_else(|| panic!("{name}: accepted"));
            assert_eq!(e, expected, "{name}");
        }
        assert!(fresh().restore(&program, 0).is_ok());
        // Counts that claim more molecules than a cell may hold are refused before the
        // list of them is built (it would take two bytes a molecule).
        let mut cell = fresh().cell();
        cell.mrna[0] = u32::MAX;
        cell.mrna[1] = u32::MAX;
        let total = cell.mrna.iter().map(|&n| u64::from(n)).sum();
        assert_eq!(Vm::from_cell(cell, &program, 0, 1.0).err(), Some(VmStateError::MrnaTotal(total)));
        let mut cell = fresh().cell();
        cell.proteins.pop();
        let e = Vm::from_cell(cell, &program, 0, 1.0).err();
        assert_eq!(e, Some(VmStateError::GeneCount { mrna: 493, proteins: 492, genes: 493 }));
        // The RNA genes listed after the last protein gene have no protein counts held:
        // a state claiming some is refused, not silently dropped.
        let mut cell = fresh().cell();
        *cell.proteins.last_mut().unwrap() = 5;
        let e = Vm::from_cell(cell, &program, 0, 1.0).err();
        assert_eq!(e, Some(VmStateError::ProteinWithoutGene(492)));
        let cell = fresh().cell();
        assert_eq!(Vm::from_cell(cell.clone(), &program, 0, 1.0).unwrap().cell(), cell, "a cell round-trips");
    }

    /// The built-in E. coli's lac operon starts repressed: no transcripts at birth and none
    /// made while it stays off; switched on, it is transcribed like any other unit.
    #[test]
    fn a_repressed_operon_is_silent_until_switched_on() {
        use crate::scenario::GenomeSource;
        let genome = Genome::builtin(Organism::Ecoli);
        let program = Program::compile(&genome, Organism::Ecoli, GenomeSource::Builtin, 1.0);
        let lac: Vec<usize> = (0..3).map(|i| genome.gene_index(["lacZ", "lacY", "lacA"][i]).unwrap()).collect();
        let lac_mrna = |vm: &Vm| lac.iter().map(|&g| vm.mrna_of(g)).sum::<u32>();
        let run = |vm: &mut Vm, ticks: usize| {
            for _ in 0..ticks {
                let d = vm.demand(&program, 1.0);
                vm.advance(&program, d, d, 1.0);
            }
        };
        let mut off = Vm::new(&program, vm_stream(3, "coli"));
        assert!(!off.transcribes(0));
        assert_eq!(lac_mrna(&off), 0);
        run(&mut off, 3_000);
        assert_eq!(lac_mrna(&off), 0, "a repressed operon made transcripts");
        let mut on = Vm::new(&program, vm_stream(3, "coli"));
        on.switch_transcription(0, true);
        assert!(on.transcribes(0));
        let mut made = 0;
        for _ in 0..30 {
            run(&mut on, 100);
            made += lac_mrna(&on);
        }
        assert!(made > 0, "an induced operon made no transcripts in 3,000 s");
        on.switch_transcription(0, false);
        assert_eq!(on.controls.units_off(), [0]);
    }

    #[test]
    fn starved_cell_makes_nothing_and_fed_cell_grows() {
        let program = Program::compile(
            &Genome::builtin(Organism::Syn3a),
            Organism::Syn3a,
            crate::scenario::GenomeSource::Builtin,
            1.0,
        );
        let mut fed = Vm::new(&program, vm_stream(1, "fed"));
        let mut starved = Vm::new(&program, vm_stream(1, "starved"));
        let mass0 = fed.summary().mass_aa;
        for _ in 0..600 {
            let d = fed.demand(&program, 1.0);
            fed.advance(&program, d, d, 1.0);
            let d = starved.demand(&program, 1.0);
            starved.advance(&program, d, Resources::ZERO, 1.0);
        }
        assert!(fed.summary().mass_aa > mass0 + 1_000_000);
        assert_eq!(starved.stats.proteins_made, 0);
        assert_eq!(starved.stats.starved_ticks, 600);
        assert_eq!(fed.stats.starved_ticks, 0);
    }
}
