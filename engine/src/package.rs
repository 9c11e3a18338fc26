//! Packages: gene circuits carried on a plasmid, installed into a running VM.
//!
//! A package is a versioned TOML file (`scenarios/packages/*.toml`): its genes (lengths,
//! protein half-lives, the inducer that binds each protein), its promoters (the genes each
//! transcribes, the rate per plasmid copy, and the regulation of that rate by a protein of
//! the package, with Hill kinetics) and the plasmid (size, copy number, the organisms its
//! replicon works in). [`parse`] turns the text into a [`Package`], checked; scenarios embed
//! the packages they install as they embed genomes, so editing a package file never changes
//! an old replay. [`SHIPPED`] holds the packages shipped with BioXen, compiled in.
//!
//! # The regulation model
//!
//! A promoter transcribes at `copies × per_copy_per_s` when fully on. A regulated promoter's
//! rate is multiplied by `leak + (1 − leak) × h(P)`, where `P` is the number of molecules of
//! its regulator protein in the cell and `h` is Hill's function: `1 / (1 + (P/K)^n)` for a
//! repressor, `(P/K)^n / (1 + (P/K)^n)` for an activator (`K` in molecules per cell, `n` the
//! cooperativity). An inducer bound to the regulator takes it out of play: only
//! `P / (1 + (I/K_I)^m)` molecules act, `I` the inducer's concentration in µM. The engine
//! samples this by thinning ([`crate::vm`]): a transcription event at a regulated promoter
//! happens with probability equal to that factor.
//!
//! Proteins are removed two ways: **dilution by growth**, which every protein undergoes
//! (division hands each molecule to the kept daughter with probability ½), and **decay**,
//! for proteins given a `half_life_min` (the ssrA-tagged repressors of the repressilator):
//! each molecule survives a tick with probability `2^(−tick/half-life)`. The repressilator
//! oscillates only with its tagged, decaying repressors (Elowitz & Leibler 2000).

use crate::biology::Organism;
use crate::diagnostic::{ScenarioError, excerpt, excerpt_of, locate, number};
use crate::scenario::limits::{GENE_BP_MAX, NAME_BYTES_MAX};
use crate::text::shown_name;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use toml::Spanned;

/// The package file format this engine reads.
pub(crate) const PACKAGE_FORMAT_VERSION: u32 = 1;

/// Most genes in one package: circuits have a handful; this keeps a cell's gene vectors and
/// a package's frame small.
pub(crate) const PACKAGE_GENES_MAX: usize = 64;

/// Most plasmid copies per cell: high-copy pUC plasmids reach 500–700 per cell (Lin-Chao et
/// al. 1992, Mol Microbiol 6:3385); 1,000 keeps every rate product in range.
pub(crate) const COPIES_MAX: u32 = 1_000;

/// Fastest promoter, transcripts per second per copy: RNA polymerase leaves a promoter at
/// most about once a second (the strongest rRNA promoters fire ~1/s; Bremer & Dennis
/// 2008, EcoSal Plus).
pub(crate) const PER_COPY_PER_S_MAX: f64 = 1.0;

/// Largest Hill constant, in molecules per cell (or µM for inducers): far above any
/// protein's count in a bacterium (10⁷, a few times E. coli's whole proteome).
pub(crate) const HILL_K_MAX: f64 = 1e7;

/// Largest Hill coefficient: the steepest measured gene-regulatory responses are n ≈ 4–5;
/// 10 keeps `(P/K)^n` finite for every count a cell can hold.
pub(crate) const HILL_N_MAX: f64 = 10.0;

/// Highest inducer concentration a scenario or script may set, in µM: 1 M (IPTG is used at
/// 0.1–1 mM; aTc at tens of nM).
pub const INDUCER_UM_MAX: f64 = 1e6;

/// Shortest protein half-life, in minutes: the fastest ssrA/LVA-tagged proteins are gone in
/// a few minutes (Andersen et al. 1998, Appl Environ Microbiol 64:2240: ~40 min for
/// GFP-LVA, faster variants to ~10 min); half a minute is below all of them.
pub(crate) const HALF_LIFE_MIN_MIN: f64 = 0.5;

/// Largest plasmid, in bp: BACs carry ~300 kb; 2 Mb is beyond any plasmid.
pub(crate) const PLASMID_BP_MAX: u32 = 2_000_000;

/// A small molecule that binds a regulator and takes it out of play.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Inducer {
    /// Isopropyl β-D-1-thiogalactopyranoside: binds LacI, freeing its operators.
    Iptg,
    /// Anhydrotetracycline: binds TetR, freeing its operators.
    Atc,
}

impl Inducer {
    /// Every inducer, in the order of their codes.
    pub(crate) const ALL: [Inducer; 2] = [Inducer::Iptg, Inducer::Atc];

    /// The name scenarios, packages and scripts use.
    pub fn name(self) -> &'static str {
        match self {
            Inducer::Iptg => "IPTG",
            Inducer::Atc => "aTc",
        }
    }

    /// The inducer called `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Inducer> {
        Inducer::ALL.into_iter().find(|i| i.name().eq_ignore_ascii_case(name))
    }

    /// The names, for error messages.
    pub fn names() -> String {
        Inducer::ALL.map(Inducer::name).join(", ")
    }
}

/// How an inducer binds a protein: `P / (1 + (I/k_um)^n)` of its molecules stay active.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct InducerBinding {
    /// The inducer.
    pub(crate) inducer: Inducer,
    /// Concentration at which half the protein is bound, µM.
    pub(crate) k_um: f64,
    /// Hill coefficient of the binding.
    pub(crate) n: f64,
}

/// One gene of a package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackageGene {
    /// Its name (unique in the package).
    pub name: String,
    /// Coding length in base pairs (with the stop codon).
    pub(crate) length_bp: u32,
    /// Protein half-life in minutes, if the protein is actively degraded (a degradation
    /// tag); `None`: stable, removed only by dilution.
    pub(crate) half_life_min: Option<f64>,
    /// The inducer that binds this protein, if any.
    pub(crate) inducer: Option<InducerBinding>,
}

impl PackageGene {
    /// Protein length in amino acids (codons less the stop codon), as for genome genes.
    pub(crate) fn protein_aa(&self) -> u32 {
        (self.length_bp / 3).saturating_sub(1).max(1)
    }
}

/// Repression or activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Mode {
    /// The regulator shuts the promoter: `1 / (1 + (P/K)^n)`.
    Repress,
    /// The regulator turns the promoter on: `(P/K)^n / (1 + (P/K)^n)`.
    Activate,
}

/// A promoter's regulation by a protein of the same package.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Regulation {
    /// The regulator: an index into [`Package::genes`].
    pub(crate) regulator: u32,
    /// Repression or activation.
    pub(crate) mode: Mode,
    /// Molecules per cell at half effect.
    pub(crate) k: f64,
    /// Hill coefficient (cooperativity).
    pub(crate) n: f64,
    /// Fraction of the full rate left when the promoter is fully off.
    pub(crate) leak: f64,
}

/// One promoter: the genes it transcribes together and its rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Promoter {
    /// Its name, for status and errors.
    pub(crate) name: String,
    /// The genes it transcribes, in order: indices into [`Package::genes`].
    pub genes: Vec<u32>,
    /// Transcripts per second per plasmid copy when fully on.
    pub(crate) per_copy_per_s: f64,
    /// Its regulation, if any (constitutive otherwise).
    pub(crate) regulation: Option<Regulation>,
}

/// A gene circuit on a plasmid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// Its name (the file's stem for the shipped ones).
    pub name: String,
    /// The package's own version, as written (`1.0.0`).
    pub version: String,
    /// One line about what it is.
    pub description: String,
    /// Organisms its replicon works in.
    pub organisms: Vec<Organism>,
    /// Plasmid length in base pairs.
    pub plasmid_bp: u32,
    /// Copies per cell.
    pub copies: u32,
    /// Its genes.
    pub genes: Vec<PackageGene>,
    /// Its promoters; every gene is transcribed by exactly one.
    pub promoters: Vec<Promoter>,
}

impl Package {
    /// DNA space the plasmid takes in a cell: every copy, in kb, rounded up.
    pub(crate) fn dna_kb(&self) -> u64 {
        (u64::from(self.plasmid_bp) * u64::from(self.copies)).div_ceil(1000)
    }

    /// BLAKE3 of the package's content: what an `install` event carries into the digest.
    pub fn content_hash(&self) -> [u8; 32] {
        blake3::derive_key("bioxen.package.v1", &crate::codec::encode(self))
    }

    /// The gene called `name`, if the package has one.
    pub fn gene_index(&self, name: &str) -> Option<usize> {
        self.genes.iter().position(|g| g.name == name)
    }

    /// Whether the package's replicon works in `organism`.
    pub(crate) fn supports(&self, organism: Organism) -> bool {
        self.organisms.contains(&organism)
    }

    /// Checks everything the engine relies on (the gate's rules for a package, for
    /// packages decoded from untrusted bytes as for parsed ones).
    pub(crate) fn check(&self) -> Result<(), String> {
        name(&self.name).map_err(|m| format!("name: {m}"))?;
        if self.version.is_empty() {
            return Err(format!("version: must be 1 to {NAME_BYTES_MAX} bytes"));
        }
        shown_name(&self.version, NAME_BYTES_MAX).map_err(|m| format!("version: {m}"))?;
        shown_name(&self.description, 4 * NAME_BYTES_MAX).map_err(|m| format!("description: {m}"))?;
        if self.organisms.is_empty() {
            return Err("organisms: a package must name at least one organism".into());
        }
        if self.plasmid_bp == 0 || self.plasmid_bp > PLASMID_BP_MAX {
            return Err(format!("plasmid_bp: {} is not within 1..={PLASMID_BP_MAX}", self.plasmid_bp));
        }
        if self.copies == 0 || self.copies > COPIES_MAX {
            return Err(format!("copies: {} is not within 1..={COPIES_MAX}", self.copies));
        }
        if self.genes.is_empty() || self.genes.len() > PACKAGE_GENES_MAX {
            return Err(format!("gene: a package has 1 to {PACKAGE_GENES_MAX} genes, not {}", self.genes.len()));
        }
        self.check_genes()?;
        self.check_promoters()
    }

    /// The genes: named once each, of a sane length, half-life and inducer binding, and
    /// fitting the plasmid together.
    fn check_genes(&self) -> Result<(), String> {
        let mut coding = 0u64;
        for (i, g) in self.genes.iter().enumerate() {
            let at = |m: String| format!("gene `{}`: {m}", excerpt(&g.name));
            name(&g.name).map_err(at)?;
            if self.genes[..i].iter().any(|h| h.name == g.name) {
                return Err(at("the name is used twice".into()));
            }
            if g.length_bp < 6 || g.length_bp > GENE_BP_MAX {
                return Err(at(format!("length_bp {} is not within 6..={GENE_BP_MAX}", g.length_bp)));
            }
            coding += u64::from(g.length_bp);
            if let Some(h) = g.half_life_min {
                in_range(h, HALF_LIFE_MIN_MIN, 1e6).map_err(|m| at(format!("half_life_min {m}")))?;
            }
            if let Some(b) = g.inducer {
                in_range(b.k_um, f64::MIN_POSITIVE, INDUCER_UM_MAX).map_err(|m| at(format!("inducer_k_um {m}")))?;
                in_range(b.n, 0.1, HILL_N_MAX).map_err(|m| at(format!("inducer_n {m}")))?;
            }
        }
        if coding > u64::from(self.plasmid_bp) {
            return Err(format!("plasmid_bp: {} bp cannot hold its genes' {coding} bp", self.plasmid_bp));
        }
        Ok(())
    }

    /// The promoters: named once each, every gene transcribed by exactly one, rates and
    /// regulation within their bounds.
    fn check_promoters(&self) -> Result<(), String> {
        if self.promoters.is_empty() || self.promoters.len() > PACKAGE_GENES_MAX {
            return Err(format!("promoter: a package has 1 to {PACKAGE_GENES_MAX} promoters"));
        }
        let mut transcribed = vec![false; self.genes.len()];
        for (i, p) in self.promoters.iter().enumerate() {
            let at = |m: String| format!("promoter `{}`: {m}", excerpt(&p.name));
            name(&p.name).map_err(at)?;
            if self.promoters[..i].iter().any(|q| q.name == p.name) {
                return Err(at("the name is used twice".into()));
            }
            if p.genes.is_empty() {
                return Err(at("it transcribes no gene".into()));
            }
            for &g in &p.genes {
                match transcribed.get_mut(g as usize) {
                    None => return Err(at(format!("gene #{g}, but the package has {}", self.genes.len()))),
                    Some(true) => return Err(at("a gene is transcribed by two promoters".into())),
                    Some(seen) => *seen = true,
                }
            }
            in_range(p.per_copy_per_s, 0.0, PER_COPY_PER_S_MAX).map_err(|m| at(format!("per_copy_per_s {m}")))?;
            if let Some(r) = p.regulation {
                if r.regulator as usize >= self.genes.len() {
                    return Err(at(format!("regulator #{}, but the package has {}", r.regulator, self.genes.len())));
                }
                in_range(r.k, f64::MIN_POSITIVE, HILL_K_MAX).map_err(|m| at(format!("k {m}")))?;
                in_range(r.n, 0.1, HILL_N_MAX).map_err(|m| at(format!("n {m}")))?;
                in_range(r.leak, 0.0, 1.0).map_err(|m| at(format!("leak {m}")))?;
            }
        }
        if let Some(g) = transcribed.iter().position(|&t| !t) {
            return Err(format!("gene `{}`: no promoter transcribes it", excerpt(&self.genes[g].name)));
        }
        Ok(())
    }
}

fn name(n: &str) -> Result<(), String> {
    let ok = !n.is_empty()
        && n.len() <= NAME_BYTES_MAX
        && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '\''));
    if ok { Ok(()) } else { Err(format!("`{}` is not 1 to {NAME_BYTES_MAX} of A–Z a–z 0–9 _ - . '", excerpt(n))) }
}

fn in_range(v: f64, low: f64, high: f64) -> Result<(), String> {
    if v.is_finite() && v >= low && v <= high {
        Ok(())
    } else {
        Err(format!("{} is not within {}..={}", number(v), number(low), number(high)))
    }
}

/// The factor a regulated promoter's full rate is multiplied by, with `regulator` molecules
/// of its regulator and `inducer_um` µM of the inducer that binds it (if one does): see the
/// module's documentation. Every float function is `libm`'s.
pub(crate) fn promoter_activity(
    r: &Regulation,
    regulator: u32,
    binding: Option<&InducerBinding>,
    inducer_um: f64,
) -> f64 {
    let mut active = f64::from(regulator);
    if let Some(b) = binding
        && inducer_um > 0.0
    {
        active /= 1.0 + libm::pow(inducer_um / b.k_um, b.n);
    }
    let x = libm::pow(active / r.k, r.n);
    // Both written as 1/(1 + …), so an x that overflows to infinity gives 0 or 1, never NaN.
    let h = match r.mode {
        Mode::Repress => 1.0 / (1.0 + x),
        Mode::Activate => 1.0 / (1.0 + 1.0 / x),
    };
    r.leak + (1.0 - r.leak) * h
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackage {
    format_version: Spanned<i64>,
    name: Spanned<String>,
    version: Spanned<String>,
    description: Spanned<String>,
    organisms: Spanned<Vec<String>>,
    plasmid_bp: Spanned<u32>,
    copies: Spanned<u32>,
    #[serde(rename = "gene")]
    genes: Spanned<Vec<RawGene>>,
    #[serde(rename = "promoter")]
    promoters: Spanned<Vec<RawPromoter>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGene {
    name: Spanned<String>,
    length_bp: Spanned<u32>,
    half_life_min: Option<Spanned<f64>>,
    inducer: Option<Spanned<String>>,
    inducer_k_um: Option<Spanned<f64>>,
    inducer_n: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPromoter {
    name: Spanned<String>,
    genes: Spanned<Vec<String>>,
    per_copy_per_s: Spanned<f64>,
    repressor: Option<Spanned<String>>,
    activator: Option<Spanned<String>>,
    k: Option<Spanned<f64>>,
    n: Option<Spanned<f64>>,
    leak: Option<Spanned<f64>>,
}

/// Parses and checks a package file's text; `file` names it in errors, which give
/// `line:column`.
pub fn parse(text: &str, file: &str) -> Result<Package, ScenarioError> {
    let at = |span: Range<usize>, message: String| locate(text, file, &span, message);
    let raw: RawPackage =
        toml::from_str(text).map_err(|e| at(e.span().unwrap_or(0..0), excerpt_of(e.message().trim(), 200)))?;
    if *raw.format_version.get_ref() != i64::from(PACKAGE_FORMAT_VERSION) {
        return Err(at(
            raw.format_version.span(),
            format!(
                "format_version {} is not supported; this bioxen reads package format_version = \
                 {PACKAGE_FORMAT_VERSION}",
                raw.format_version.get_ref()
            ),
        ));
    }
    let organisms = organisms_of(&raw.organisms, &at)?;
    let genes = raw.genes.get_ref().iter().map(|g| gene_of(g, &at)).collect::<Result<Vec<_>, _>>()?;
    let promoters = raw.promoters.get_ref().iter().map(|p| promoter_of(p, &genes, &at)).collect::<Result<_, _>>()?;
    let package = Package {
        name: raw.name.get_ref().clone(),
        version: raw.version.get_ref().clone(),
        description: raw.description.get_ref().clone(),
        organisms,
        plasmid_bp: *raw.plasmid_bp.get_ref(),
        copies: *raw.copies.get_ref(),
        genes,
        promoters,
    };
    // The gate's message placed at what it names.
    package.check().map_err(|m| at(span_named(&raw, &m), m))?;
    Ok(package)
}

/// Where a parse error goes: a span of the text and a message.
type At<'a> = &'a dyn Fn(Range<usize>, String) -> ScenarioError;

/// The organisms a package lists, each once, in order.
fn organisms_of(listed: &Spanned<Vec<String>>, at: At) -> Result<Vec<Organism>, ScenarioError> {
    let mut organisms = Vec::new();
    for o in listed.get_ref() {
        let organism = Organism::from_name(o).ok_or_else(|| {
            let names: Vec<_> = Organism::ALL.iter().map(|o| o.name()).collect();
            at(listed.span(), format!("unknown organism `{}`; expected any of: {}", excerpt(o), names.join(", ")))
        })?;
        if !organisms.contains(&organism) {
            organisms.push(organism);
        }
    }
    Ok(organisms)
}

/// A gene as the file gives it, with its inducer resolved.
fn gene_of(g: &RawGene, at: At) -> Result<PackageGene, ScenarioError> {
    let inducer = match (&g.inducer, &g.inducer_k_um, &g.inducer_n) {
        (None, None, None) => None,
        (Some(i), Some(k), n) => {
            let inducer = Inducer::from_name(i.get_ref()).ok_or_else(|| {
                at(
                    i.span(),
                    format!("unknown inducer `{}`; expected one of: {}", excerpt(i.get_ref()), Inducer::names()),
                )
            })?;
            Some(InducerBinding { inducer, k_um: *k.get_ref(), n: n.as_ref().map_or(1.0, |n| *n.get_ref()) })
        }
        _ => return Err(at(g.name.span(), "an inducer needs both `inducer` and `inducer_k_um`".into())),
    };
    Ok(PackageGene {
        name: g.name.get_ref().clone(),
        length_bp: *g.length_bp.get_ref(),
        half_life_min: g.half_life_min.as_ref().map(|h| *h.get_ref()),
        inducer,
    })
}

/// The index of the gene called `name` among `genes`, or an error at `span`.
fn gene_index_in(genes: &[PackageGene], name: &str, span: Range<usize>, at: At) -> Result<u32, ScenarioError> {
    genes
        .iter()
        .position(|g| g.name == name)
        .map(|i| i as u32)
        .ok_or_else(|| at(span, format!("no gene `{}` in this package", excerpt(name))))
}

/// A promoter as the file gives it: its genes and regulator resolved among `genes`.
fn promoter_of(p: &RawPromoter, genes: &[PackageGene], at: At) -> Result<Promoter, ScenarioError> {
    let members =
        p.genes.get_ref().iter().map(|g| gene_index_in(genes, g, p.genes.span(), at)).collect::<Result<_, _>>()?;
    let regulation = match (&p.repressor, &p.activator) {
        (None, None) => {
            if let Some(extra) = p.k.as_ref().map(|k| k.span()).or(p.n.as_ref().map(|n| n.span())) {
                return Err(at(
                    extra,
                    "`k` and `n` belong to a regulated promoter (give `repressor` or `activator`)".into(),
                ));
            }
            None
        }
        (Some(_), Some(a)) => return Err(at(a.span(), "a promoter has a repressor or an activator, not both".into())),
        (Some(by), None) | (None, Some(by)) => {
            let mode = if p.repressor.is_some() { Mode::Repress } else { Mode::Activate };
            let need = |what: &str| at(by.span(), format!("a regulated promoter needs {what}"));
            let k = p.k.as_ref().ok_or_else(|| need("`k` (molecules per cell)"))?;
            let n = p.n.as_ref().ok_or_else(|| need("`n` (Hill coefficient)"))?;
            Some(Regulation {
                regulator: gene_index_in(genes, by.get_ref(), by.span(), at)?,
                mode,
                k: *k.get_ref(),
                n: *n.get_ref(),
                leak: p.leak.as_ref().map_or(0.0, |l| *l.get_ref()),
            })
        }
    };
    Ok(Promoter {
        name: p.name.get_ref().clone(),
        genes: members,
        per_copy_per_s: *p.per_copy_per_s.get_ref(),
        regulation,
    })
}

/// Where the gate's message `m` about a parsed package belongs in its file: at the gene or
/// promoter it names, or at the top-level field.
fn span_named(raw: &RawPackage, m: &str) -> Range<usize> {
    let named = |prefix: &str| m.strip_prefix(prefix).map(|rest| rest.split('`').next().unwrap_or(""));
    if let Some(gname) = named("gene `") {
        raw.genes.get_ref().iter().find(|g| g.name.get_ref() == gname).map_or(raw.genes.span(), |g| g.name.span())
    } else if let Some(pname) = named("promoter `") {
        let found = raw.promoters.get_ref().iter().find(|p| p.name.get_ref() == pname);
        found.map_or(raw.promoters.span(), |p| p.name.span())
    } else {
        match m.split(':').next().unwrap_or("") {
            "name" => raw.name.span(),
            "version" => raw.version.span(),
            "description" => raw.description.span(),
            "organisms" => raw.organisms.span(),
            "plasmid_bp" => raw.plasmid_bp.span(),
            "copies" => raw.copies.span(),
            "promoter" => raw.promoters.span(),
            _ => raw.genes.span(),
        }
    }
}

/// The packages shipped with BioXen (`scenarios/packages/`), compiled in: their names and
/// texts, sorted by name.
pub const SHIPPED: [(&str, &str); 4] = [
    ("gfp", include_str!("../../scenarios/packages/gfp.toml")),
    ("lac", include_str!("../../scenarios/packages/lac.toml")),
    ("repressilator", include_str!("../../scenarios/packages/repressilator.toml")),
    ("toggle", include_str!("../../scenarios/packages/toggle.toml")),
];

/// The shipped package called `name`, parsed (the shipped packages are checked by this
/// crate's tests, so parsing one cannot fail in a released build).
pub fn shipped(name: &str) -> Option<Package> {
    let (_, text) = SHIPPED.iter().find(|(n, _)| *n == name)?;
    Some(parse(text, &format!("scenarios/packages/{name}.toml")).unwrap_or_else(|e| panic!("shipped package: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_packages_parse_and_are_named_as_their_files() {
        for (file, _) in SHIPPED {
            assert_eq!(shipped(file).unwrap().name, file);
        }
    }

    #[test]
    fn hill_functions() {
        let r = Regulation { regulator: 0, mode: Mode::Repress, k: 40.0, n: 2.0, leak: 0.0 };
        assert_eq!(promoter_activity(&r, 0, None, 0.0), 1.0);
        assert!((promoter_activity(&r, 40, None, 0.0) - 0.5).abs() < 1e-12);
        let a = Regulation { mode: Mode::Activate, ..r };
        assert_eq!(promoter_activity(&a, 0, None, 0.0), 0.0);
        assert!((promoter_activity(&a, 40, None, 0.0) - 0.5).abs() < 1e-12);
        // Inducer at its K halves the active repressor: 80 molecules act like 40.
        let b = InducerBinding { inducer: Inducer::Iptg, k_um: 10.0, n: 1.0 };
        assert!((promoter_activity(&r, 80, Some(&b), 10.0) - 0.5).abs() < 1e-12);
        let leaky = Regulation { leak: 0.001, ..r };
        assert!(promoter_activity(&leaky, 1_000_000, None, 0.0) >= 0.001);
    }

    #[test]
    fn bad_packages_are_errors_at_their_place() {
        let good = SHIPPED[0].1;
        for (edit, message) in [
            (good.replace("format_version = 1", "format_version = 9"), "format_version 9 is not supported"),
            (good.replace("copies = ", "copies = 0 #"), "copies: 0 is not within"),
            (good.replace("organisms = [", "organisms = [\"yeast\", "), "unknown organism `yeast`"),
            (good.replace("genes = [\"gfp\"]", "genes = [\"gpf\"]"), "no gene `gpf`"),
            (format!("{good}\nsurprise = 1\n"), "unknown field"),
            (
                good.replacen("description = \"", "description = \"\\u001b[2J", 1),
                "description: has an unprintable character",
            ),
            (good.replacen("version = \"", "version = \"\\u0008", 1), "version: has an unprintable character"),
            (
                good.to_string() + "\n[[promoter]]\nname = \"PLtetO-1\"\ngenes = [\"gfp\"]\nper_copy_per_s = 0.1\n",
                "promoter `PLtetO-1`: the name is used twice",
            ),
        ] {
            let e = parse(&edit, "p.toml").unwrap_err();
            assert!(e.to_string().contains(message), "expected `{message}` in {e}");
            assert!(e.where_.contains(':'), "no line:column in {e}");
        }
    }
}
