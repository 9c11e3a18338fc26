//! The bounds every scenario is held to, and what each one keeps in range. They are far
//! beyond any cell (the comments say how far), and together they make every sum and
//! product the engine forms from inputs fit its integer type, and every loop's length
//! bounded by the cell rather than by a number someone typed.

/// Longest run: 10⁸ ticks (three years of one-second ticks). With pools of at most
/// [`POOL_MAX`] a tick, every counter summed over a run (grants, demands, pools offered)
/// stays below 10⁸ × 10¹¹ = 10¹⁹ < 2⁶⁴.
pub const TICKS_MAX: u64 = 100_000_000;

/// Longest tick, in simulated seconds: mRNA half-lives are a few minutes, so a tick much
/// longer than a minute would let a message decay and be translated in the same step.
pub const TICK_SECONDS_MAX: f64 = 60.0;

/// Largest pool of any kind (ribosomes or RNA polymerases per tick, ATP per second, the
/// ATP store): 10¹¹, ten thousand times a yeast cell's ATP production (9.1 × 10⁶ /s,
/// `crate::chassis`) and enough for the benchmark's largest chassis ([`VMS_MAX`] syn3A
/// cells need 4 × 10¹⁰ ATP/s).
pub const POOL_MAX: u64 = 100_000_000_000;

/// Most DNA space, in kb: 10⁹ kb (a terabase), 40,000 times a diploid yeast's 24 Mb.
pub const DNA_SPACE_KB_MAX: u64 = 1_000_000_000;

/// Most VMs in one scenario, 2²⁰ (a million cells run on one machine: ~2 kB each on the
/// engine). A tick's record of that many VMs takes up to ~100 MB, more than a frame holds,
/// so a trace splits it over frames of at most `crate::trace::VMS_PER_FRAME` records.
pub const VMS_MAX: u32 = 1 << 20;

/// Most timeline events, 2¹⁶: hand-written timelines hold tens.
pub const EVENTS_MAX: usize = 1 << 16;

/// Largest VM weight: Xen's credit scheduler takes weights 1–65535 (xl `sched-credit -w`),
/// and BioXen's 256 default is Xen's. Bounds the credit policy's arithmetic (entitlement
/// = period × weight, in i128) and a lottery's tickets (Σ weights < 2³⁶).
pub const WEIGHT_MAX: u32 = 65_535;

/// Longest round-robin turn, in ticks.
pub const QUANTUM_TICKS_MAX: u32 = 1_000_000;

/// Most lottery and stride quanta per VM per tick: each tick hands out at most
/// `quanta_per_vm × VMs + VMs` quanta per resource, one loop iteration each.
pub const QUANTA_PER_VM_MAX: u32 = 1024;

/// Longest credit accounting period, in ticks. A period's credit is `period × 10⁶`, so a
/// balance stays within ±2 × 10¹⁸ (`crate::policy::Credit`), inside an i64.
pub const CREDIT_PERIOD_TICKS_MAX: u32 = 1_000_000;

/// Most genes in one genome, 2¹⁶ (yeast has ~6,000, E. coli ~4,400). Also what keeps one
/// genome within a trace frame.
pub const GENES_MAX: usize = 1 << 16;

/// Longest gene, in base pairs: 2²⁴ ≈ 16.8 Mb, far beyond the longest known (~2.3 Mb,
/// human dystrophin). Keeps protein lengths within u32 and a cell's mass within u64.
pub const GENE_BP_MAX: u32 = 1 << 24;

/// Longest name, in bytes: VM ids, gene ids and names, operon names, genome sources.
pub const NAME_BYTES_MAX: usize = 256;

/// Most process scripts on one timeline: a script per simulated hour for ten days. All of
/// a run's timeline scripts share one budget of work (`bioxen::script::timeline_limits`),
/// so fewer scripts leave each more of it.
pub const SCRIPTS_MAX: usize = 256;

/// Longest process script, in bytes: a page of protocol is a few kilobytes.
pub const SCRIPT_BYTES_MAX: usize = 1024 * 1024;

/// Most bytes of all a timeline's scripts together, so that a scenario's scripts stay far
/// within memory and a decoder stops reading them early.
pub const SCRIPTS_TOTAL_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Most mRNA molecules one cell may hold, 2²²: a bacterium holds a few thousand (E. coli
/// ~1,400–4,000 per cell, Bremer & Dennis 2008, EcoSal Plus 3.2.3; a syn3A cell ~140 in
/// the engine). A cell keeps them as a list of two bytes each
/// (`crate::transcripts::Transcripts`), so this caps one cell's list at 8 MiB: what a
/// cell from untrusted bytes (a checkpoint, a snapshot, another process) may make the
/// decoder allocate, however large the counts it claims. A running cell that reaches it
/// makes no more transcripts until some decay (only a cell with ten promoters at the
/// package gate's most, 1,000 copies at 1 transcript/s each, could), so every state a run
/// reaches can be restored.
pub const MRNA_PER_CELL_MAX: u64 = 1 << 22;
