//! Guest genomes: genes with their lengths, kinds, essentiality and operons.
//!
//! A genome is either one of the built-in profiles (made from the published counts in
//! [`crate::biology`]) or loaded from a GenBank annotation ([`crate::genbank`]).

use crate::biology::{Organism, OrganismProfile};
use serde::{Deserialize, Serialize};

/// What a gene's product is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneKind {
    /// Protein-coding: transcribed to mRNA, then translated.
    Protein,
    /// Ribosomal RNA.
    Rrna,
    /// Transfer RNA.
    Trna,
    /// Any other stable RNA (tmRNA, ncRNA, ...).
    Other,
}

/// One gene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gene {
    /// Stable identifier (a locus tag where one exists).
    pub id: String,
    /// Gene name (`lacZ`), or the id when the gene has none.
    pub name: String,
    /// Length in base pairs.
    pub(crate) length_bp: u32,
    /// Product kind.
    pub kind: GeneKind,
    /// Whether the gene is essential for growth.
    pub essential: bool,
    /// The operon this gene is co-transcribed in, if any.
    pub operon: Option<String>,
}

impl Gene {
    /// Protein length in amino acids (codons less the stop codon); 0 for RNA genes.
    pub(crate) fn protein_aa(&self) -> u32 {
        match self.kind {
            GeneKind::Protein => (self.length_bp / 3).saturating_sub(1).max(1),
            _ => 0,
        }
    }
}

/// Where a genome came from, as the scenario named it: what messages and saved scenarios
/// call it. Encoded as its text ([`GenomeOrigin::text`]), as it always was, so traces and
/// checkpoints keep their bytes; the gate refuses the file names that would make that
/// text ambiguous ([`GenomeOrigin::check`]), so decoding it gives the value back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenomeOrigin {
    /// An organism's built-in genome (`builtin:syn3a`).
    Builtin(Organism),
    /// A GenBank annotation, by the path the scenario wrote (never a resolved path, which
    /// would make traces depend on where the checkout lives), and the measured expression
    /// applied to it, if any (`genome.gb + counts.csv`).
    Annotation {
        /// The `genome_file`, as written.
        genome_file: String,
        /// The `expression_file`, as written.
        expression_file: Option<String>,
    },
}

/// Joins an annotation's file to its expression file in a genome's origin text.
const EXPRESSION_JOIN: &str = " + ";
/// Starts a built-in genome's origin text.
const BUILTIN_PREFIX: &str = "builtin:";

impl GenomeOrigin {
    /// An annotation read from `genome_file`, without measured expression.
    pub(crate) fn annotation(genome_file: &str) -> GenomeOrigin {
        GenomeOrigin::Annotation { genome_file: genome_file.to_string(), expression_file: None }
    }

    /// The origin as text: `builtin:syn3a`, `genome.gb`, `genome.gb + counts.csv`.
    pub fn text(&self) -> String {
        match self {
            GenomeOrigin::Builtin(o) => format!("{BUILTIN_PREFIX}{}", o.name()),
            GenomeOrigin::Annotation { genome_file, expression_file: None } => genome_file.clone(),
            GenomeOrigin::Annotation { genome_file, expression_file: Some(e) } => {
                format!("{genome_file}{EXPRESSION_JOIN}{e}")
            }
        }
    }

    /// The origin its text names (the inverse of [`GenomeOrigin::text`] for every origin
    /// [`GenomeOrigin::check`] accepts).
    pub(crate) fn from_text(text: &str) -> GenomeOrigin {
        if let Some(o) = text.strip_prefix(BUILTIN_PREFIX).and_then(Organism::from_name) {
            return GenomeOrigin::Builtin(o);
        }
        match text.split_once(EXPRESSION_JOIN) {
            Some((g, e)) => GenomeOrigin::Annotation { genome_file: g.into(), expression_file: Some(e.into()) },
            None => GenomeOrigin::annotation(text),
        }
    }

    /// Refuses an origin whose text would not decode to it: a file name with `+` where
    /// the text joins a genome file to its expression file, or a genome file named like a
    /// built-in genome; and a name longer than `max_bytes`. The error reads after
    /// "genome file `…`".
    pub fn check(&self, max_bytes: usize) -> Result<(), String> {
        let GenomeOrigin::Annotation { genome_file, expression_file } = self else { return Ok(()) };
        let files =
            std::iter::once(("genome_file", genome_file)).chain(expression_file.iter().map(|e| ("expression_file", e)));
        for (key, name) in files {
            if name.len() > max_bytes {
                return Err(format!("has a {key} name of {} bytes, more than {max_bytes}", name.len()));
            }
        }
        let text = self.text();
        match GenomeOrigin::from_text(&text) {
            decoded if decoded == *self => Ok(()),
            GenomeOrigin::Builtin(_) => Err(format!(
                "has a genome_file name starting with `{BUILTIN_PREFIX}`, which names built-in genomes: rename the file"
            )),
            GenomeOrigin::Annotation { .. } => Err(format!(
                "has file names that traces could not tell apart (`{text}`: traces join a genome_file to its \
                 expression_file with `{EXPRESSION_JOIN}`): rename the file whose name has `+` in it"
            )),
        }
    }
}

impl std::fmt::Display for GenomeOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl Serialize for GenomeOrigin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for GenomeOrigin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(GenomeOrigin::from_text(&String::deserialize(d)?))
    }
}

/// A guest genome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Genome {
    /// Where the genome came from.
    pub origin: GenomeOrigin,
    /// Chromosome length in base pairs.
    pub(crate) length_bp: u64,
    /// Genes in chromosome order.
    pub genes: Vec<Gene>,
    /// Operons repressed in a newborn cell (no transcripts, not transcribed until switched
    /// on). Empty for annotations: GenBank carries no regulation.
    pub(crate) repressed: Vec<String>,
    /// Measured mean mRNA count per gene (`None` where unmeasured), from a scenario's
    /// `expression_file` ([`crate::expression`]); `None` for uniform expression.
    pub expression: Option<Vec<Option<f64>>>,
}

impl Genome {
    /// Length in kilobases, rounded up: the DNA space the genome occupies.
    pub fn length_kb(&self) -> u64 {
        self.length_bp.div_ceil(1000)
    }

    /// BLAKE3 of the genome's content — its length and genes, not where it was read from —
    /// so the same annotation gives the same digest from any path.
    /// Repressed operons and measured expression count only when there are any, so an
    /// annotation without them keeps the hash it had before they existed.
    pub(crate) fn content_hash(&self) -> [u8; 32] {
        let bytes = match (&self.expression, self.repressed.is_empty()) {
            (None, true) => crate::codec::encode(&(self.length_bp, &self.genes)),
            (None, false) => crate::codec::encode(&(self.length_bp, &self.genes, &self.repressed)),
            (Some(e), _) => crate::codec::encode(&(self.length_bp, &self.genes, &self.repressed, e)),
        };
        *blake3::hash(&bytes).as_bytes()
    }

    /// The gene called `name` (its name or its id), if there is one.
    pub fn gene_index(&self, name: &str) -> Option<usize> {
        self.genes.iter().position(|g| g.name == name).or_else(|| self.genes.iter().position(|g| g.id == name))
    }

    /// Up to `n` names of genes (names or ids) closest to `name`: same ignoring case, or
    /// within an edit distance of a third of its length, nearest first.
    /// Names longer than `CLOSE_MATCH_BYTES_MAX` get none (the search is quadratic in
    /// the name's length, and gene names are short).
    pub fn close_matches(&self, name: &str, n: usize) -> Vec<String> {
        if name.len() > CLOSE_MATCH_BYTES_MAX {
            return Vec::new();
        }
        let wanted = name.to_ascii_lowercase();
        let limit = (wanted.len() / 3).max(1);
        let mut scored: Vec<(usize, &str)> = self
            .genes
            .iter()
            .flat_map(|g| [g.name.as_str(), g.id.as_str()])
            .filter(|candidate| candidate.len().abs_diff(wanted.len()) <= limit)
            .filter_map(|candidate| {
                let d = edit_distance(&wanted, &candidate.to_ascii_lowercase());
                (d <= limit).then_some((d, candidate))
            })
            .collect();
        scored.sort();
        scored.dedup_by(|a, b| a.1 == b.1);
        scored.into_iter().take(n).map(|(_, c)| c.to_string()).collect()
    }

    /// Number of protein-coding genes.
    pub fn protein_genes(&self) -> usize {
        self.genes.iter().filter(|g| g.kind == GeneKind::Protein).count()
    }

    /// The built-in genome of an organism.
    pub fn builtin(organism: Organism) -> Genome {
        match organism {
            Organism::Syn3a => synthetic(organism, "syn3a", &[]),
            Organism::MinimalCell => synthetic(organism, "syn3", &[]),
            Organism::Ecoli => synthetic(organism, "ecoli", &ecoli_named_genes()),
        }
    }
}

/// The longest name [`Genome::close_matches`] looks for matches of.
pub(crate) const CLOSE_MATCH_BYTES_MAX: usize = 32;

/// Levenshtein distance between two short names (bytes), in O(|a|·|b|).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let next = (diagonal + usize::from(x != y)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Deterministic spread in [0, 1) for gene `i`: the fractional part of `i × α` for an
/// irrational `α` (a low-discrepancy sequence), so built-in genomes need no RNG and never
/// change when the RNG crate does.
pub(crate) fn spread(i: usize, alpha: f64) -> f64 {
    (i as f64 * alpha).fract()
}

/// Golden-ratio conjugate, for gene lengths.
const LENGTH_ALPHA: f64 = 0.618_033_988_749_895;

fn synthetic(organism: Organism, prefix: &str, named: &[Gene]) -> Genome {
    let profile: &OrganismProfile = organism.profile();
    let mut genes: Vec<Gene> = named.to_vec();
    let unnamed = profile.protein_genes as usize - named.len();
    for i in 0..unnamed {
        // Lengths from 0.4× to 1.6× the mean (mean preserved), a plausible bacterial spread.
        let aa = (f64::from(profile.mean_protein_aa) * (0.4 + 1.2 * spread(i + 1, LENGTH_ALPHA))).round() as u32;
        genes.push(Gene {
            id: format!("{prefix}_p{:04}", i + 1),
            name: format!("{prefix}_p{:04}", i + 1),
            length_bp: (aa + 1) * 3,
            kind: GeneKind::Protein,
            // ~7 % essential in E. coli (303 of ~4,300; Baba et al. 2006, Keio collection);
            // 270 of syn3A's 452 protein genes (Breuer et al. 2019; `essentiality.rs`),
            // spread evenly; every gene syn3.0 kept counts as essential (Hutchison et al.
            // 2016 kept only genes needed for growth, quasi-essential ones included).
            essential: match organism {
                Organism::Ecoli => i % 14 == 0,
                Organism::Syn3a => (i * 270) % 452 < 270,
                Organism::MinimalCell => true,
            },
            operon: None,
        });
    }
    let rrna = match organism {
        Organism::Ecoli => 21, // 7 rrn operons × 3 (Blattner et al. 1997)
        _ => 6,                // 2 rRNA operons × 3 (syn3A.gb: 6 rRNA features)
    };
    let trna = match organism {
        Organism::Ecoli => 86, // Blattner et al. 1997
        _ => 29,               // syn3A.gb: 29 tRNA features
    };
    let other = profile.rna_genes as usize - rrna - trna;
    let rna_kinds = std::iter::repeat_n((GeneKind::Rrna, "r", 1_500u32), rrna)
        .chain(std::iter::repeat_n((GeneKind::Trna, "t", 76), trna))
        .chain(std::iter::repeat_n((GeneKind::Other, "n", 350), other));
    for (i, (kind, tag, length_bp)) in rna_kinds.enumerate() {
        genes.push(Gene {
            id: format!("{prefix}_{tag}{:03}", i + 1),
            name: format!("{prefix}_{tag}{:03}", i + 1),
            length_bp,
            kind,
            essential: true,
            operon: None,
        });
    }
    // E. coli grown without lactose keeps lac shut by the LacI repressor (Jacob & Monod
    // 1961, J Mol Biol 3:318); the model's E. coli grows on a lactose-free medium, so its
    // lac operon starts repressed. Every other unit is constitutively on.
    let repressed = match organism {
        Organism::Ecoli => vec!["lac".to_string()],
        _ => Vec::new(),
    };
    Genome { origin: GenomeOrigin::Builtin(organism), length_bp: profile.genome_bp, genes, repressed, expression: None }
}

fn operon_gene(name: &str, id: &str, aa: u32, operon: &str) -> Gene {
    Gene {
        id: id.to_string(),
        name: name.to_string(),
        length_bp: (aa + 1) * 3,
        kind: GeneKind::Protein,
        essential: false,
        operon: Some(operon.to_string()),
    }
}

/// The lac and trp operons of E. coli K-12 under their real names, Blattner b-numbers and
/// protein lengths (UniProt P00722, P02920, P07464; P0AD92, P00895, P00904, P00909,
/// P0A879, P0A877). Neither is essential in rich medium (Baba et al. 2006).
fn ecoli_named_genes() -> Vec<Gene> {
    vec![
        operon_gene("lacZ", "b0344", 1024, "lac"),
        operon_gene("lacY", "b0343", 417, "lac"),
        operon_gene("lacA", "b0342", 203, "lac"),
        operon_gene("trpL", "b1265", 14, "trp"),
        operon_gene("trpE", "b1264", 520, "trp"),
        operon_gene("trpD", "b1263", 531, "trp"),
        operon_gene("trpC", "b1262", 452, "trp"),
        operon_gene("trpB", "b1261", 397, "trp"),
        operon_gene("trpA", "b1260", 268, "trp"),
    ]
}

/// Where a VM's genome comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GenomeSource {
    /// The organism's built-in profile.
    Builtin,
    /// An annotation: its index in [`crate::scenario::Scenario::genomes`].
    Annotation(u32),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every origin the gate accepts encodes as text (the bytes traces always held) and
    /// decodes to itself; the names that would make the text ambiguous are refused.
    #[test]
    fn a_genome_origin_is_its_text_and_back() {
        let builtin = GenomeOrigin::Builtin(Organism::MinimalCell);
        assert_eq!(builtin.text(), "builtin:minimal_cell");
        let measured =
            GenomeOrigin::Annotation { genome_file: "g.gb".into(), expression_file: Some("counts.csv".into()) };
        assert_eq!(measured.text(), "g.gb + counts.csv");
        for o in [builtin, measured, GenomeOrigin::annotation("data/syn3A.gb")] {
            assert_eq!(GenomeOrigin::from_text(&o.text()), o);
            assert_eq!(crate::codec::encode(&o), crate::codec::encode(&o.text()), "{o}");
        }
        let both =
            |g: &str, e: &str| GenomeOrigin::Annotation { genome_file: g.into(), expression_file: Some(e.into()) };
        let refused = [
            (GenomeOrigin::annotation("a + b.gb"), "could not tell apart (`a + b.gb`"),
            // Neither name has ` + `, but their join has two.
            (both("a +", " b"), "could not tell apart (`a + +  b`"),
            (GenomeOrigin::annotation("builtin:syn3a"), "starting with `builtin:`"),
            (GenomeOrigin::annotation(&"x".repeat(65)), "genome_file name of 65 bytes, more than 64"),
        ];
        // The first ` + ` is the join, so an expression file may have one of its own.
        assert_eq!(GenomeOrigin::from_text("g.gb + x + y.csv"), both("g.gb", "x + y.csv"));
        // A name only like a built-in one is no built-in genome, and stays a file.
        assert!(GenomeOrigin::annotation("builtin:yeast.gb").check(64).is_ok());
        for (o, message) in refused {
            let e = o.check(64).unwrap_err();
            assert!(e.contains(message), "{o}: {e}");
        }
    }

    proptest! {
        #[test]
        fn accepted_origins_survive_their_text(
            genome in "[ab +:]{1,12}|builtin:(syn3a|ecoli)",
            expression in proptest::option::of("[ab +]{1,12}"),
        ) {
            let o = GenomeOrigin::Annotation { genome_file: genome, expression_file: expression };
            // Accepted exactly when the text says it back.
            prop_assert_eq!(o.check(64).is_ok(), GenomeOrigin::from_text(&o.text()) == o);
        }
    }

    #[test]
    fn builtin_profiles_match_published_counts() {
        let syn3a = Genome::builtin(Organism::Syn3a);
        assert_eq!(syn3a.length_bp, 543_379);
        assert_eq!(syn3a.protein_genes(), 452);
        assert_eq!(syn3a.genes.len(), 493);
        let ecoli = Genome::builtin(Organism::Ecoli);
        assert_eq!(ecoli.protein_genes(), 4_288);
        let lac: Vec<&str> =
            ecoli.genes.iter().filter(|g| g.operon.as_deref() == Some("lac")).map(|g| g.name.as_str()).collect();
        assert_eq!(lac, ["lacZ", "lacY", "lacA"]);
        assert_eq!(ecoli.genes.iter().filter(|g| g.operon.as_deref() == Some("trp")).count(), 6);
        let minimal = Genome::builtin(Organism::MinimalCell);
        assert_eq!(minimal.genes.len(), 473);
        assert_eq!(minimal.protein_genes(), 438);
    }

    #[test]
    fn synthetic_mean_length_is_the_published_mean() {
        let g = Genome::builtin(Organism::Syn3a);
        let proteins: Vec<u32> = g.genes.iter().filter(|g| g.kind == GeneKind::Protein).map(Gene::protein_aa).collect();
        let mean = f64::from(proteins.iter().sum::<u32>()) / proteins.len() as f64;
        assert!((mean - 349.0).abs() < 5.0, "mean protein length {mean}");
    }
}
