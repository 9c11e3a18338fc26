//! Measured expression: a CSV of mean mRNA count per locus tag (as the syn3A whole-cell
//! model's `mRNA_counts.csv`, Thornburg et al. 2022), given to an annotated genome in
//! place of uniform expression ([`crate::program::Program::compile`] uses the counts as
//! the genes' expression weights).

use crate::genome::{GeneKind, Genome};
use crate::scenario::limits::GENES_MAX;
use std::collections::BTreeMap;

/// The largest mean mRNA count a gene may have (a bacterium holds a few thousand mRNAs in
/// all; this keeps every sum of weights far from overflow and from losing precision).
pub(crate) const COUNT_MAX: f64 = 1e6;

/// Reads an expression CSV: a header naming a locus-tag column (`LocusTag` or
/// `locus_tag`) and a count column (`Count` or `mean_mrna`), then one row per gene. Other
/// columns are ignored. Errors name `file:line`.
pub fn parse(text: &str, file: &str) -> Result<BTreeMap<String, f64>, String> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or_else(|| format!("{file}:1: empty; expected a header line"))?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let find = |names: &[&str]| columns.iter().position(|c| names.contains(c));
    let (Some(tag), Some(count)) = (find(&["LocusTag", "locus_tag"]), find(&["Count", "mean_mrna"])) else {
        return Err(format!("{file}:1: the header must name a `LocusTag` and a `Count` column"));
    };
    let mut counts = BTreeMap::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let at = i + 1;
        if counts.len() >= GENES_MAX {
            return Err(format!("{file}:{at}: more than {GENES_MAX} rows"));
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let (Some(&locus), Some(&value)) = (fields.get(tag), fields.get(count)) else {
            return Err(format!("{file}:{at}: fewer columns than the header"));
        };
        let value: f64 =
            value.parse().map_err(|_| format!("{file}:{at}: count `{}` is not a number", excerpt(value)))?;
        if !(value.is_finite() && (0.0..=COUNT_MAX).contains(&value)) {
            return Err(format!("{file}:{at}: count {value} is not in [0, {COUNT_MAX}]"));
        }
        if locus.is_empty() || locus.len() > crate::scenario::limits::NAME_BYTES_MAX {
            return Err(format!("{file}:{at}: a locus tag must be 1 to 256 bytes"));
        }
        if counts.insert(locus.to_string(), value).is_some() {
            return Err(format!("{file}:{at}: locus tag `{}` appears twice", excerpt(locus)));
        }
    }
    Ok(counts)
}

fn excerpt(s: &str) -> String {
    crate::diagnostic::excerpt(s)
}

/// What applying counts to a genome did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Protein genes given a measured count.
    pub measured: usize,
    /// Protein genes without one: they keep the default weight (the measured mean).
    pub unmeasured: usize,
    /// Rows naming no gene of the genome.
    pub(crate) unknown: usize,
}

/// Gives `genome` the measured `counts`, by gene id (locus tag).
pub fn apply(genome: &mut Genome, counts: &BTreeMap<String, f64>) -> Applied {
    let per_gene: Vec<Option<f64>> = genome.genes.iter().map(|g| counts.get(&g.id).copied()).collect();
    let protein = |i: usize| genome.genes[i].kind == GeneKind::Protein;
    let measured = (0..per_gene.len()).filter(|&i| protein(i) && per_gene[i].is_some()).count();
    let unmeasured = (0..per_gene.len()).filter(|&i| protein(i) && per_gene[i].is_none()).count();
    // Rows counted by the ids they name, not by the genes that matched: two genes may
    // share a locus tag (and both take its count), so matches can outnumber rows.
    let ids: std::collections::BTreeSet<&str> = genome.genes.iter().map(|g| g.id.as_str()).collect();
    let unknown = counts.keys().filter(|id| !ids.contains(id.as_str())).count();
    genome.expression = Some(per_gene);
    Applied { measured, unmeasured, unknown }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_measured_format_and_refuses_what_it_cannot_use() {
        let good = ",LocusTag,Count\n0,JCVISYN3A_0001,0.25\n1,JCVISYN3A_0002,3\n";
        let counts = parse(good, "m.csv").unwrap();
        assert_eq!(counts["JCVISYN3A_0002"], 3.0);
        for (text, message) in [
            ("", "m.csv:1: empty"),
            ("a,b\n", "must name a `LocusTag`"),
            (",LocusTag,Count\n0,X\n", "m.csv:2: fewer columns"),
            (",LocusTag,Count\n0,X,lots\n", "m.csv:2: count `lots` is not a number"),
            (",LocusTag,Count\n0,X,-1\n", "is not in [0"),
            (",LocusTag,Count\n0,X,NaN\n", "is not in [0"),
            (",LocusTag,Count\n0,X,1\n1,X,2\n", "m.csv:3: locus tag `X` appears twice"),
        ] {
            let e = parse(text, "m.csv").unwrap_err();
            assert!(e.contains(message), "{e}");
        }
    }

    /// Found by the `genome_files` fuzz target: two genes with one locus tag both take its
    /// row, and the rows naming no gene are still counted right (it underflowed).
    #[test]
    fn a_locus_tag_shared_by_two_genes_counts_one_row() {
        let gene = |id: &str| crate::genome::Gene {
            id: id.into(),
            name: id.into(),
            length_bp: 300,
            kind: GeneKind::Protein,
            essential: false,
            operon: None,
        };
        let mut genome = Genome::builtin(crate::biology::Organism::Syn3a);
        genome.genes = vec![gene("A"), gene("A"), gene("B")];
        let counts = parse("LocusTag,Count\nA,2\nZ,1\n", "m.csv").unwrap();
        let applied = apply(&mut genome, &counts);
        assert_eq!((applied.measured, applied.unmeasured, applied.unknown), (2, 1, 1));
        assert_eq!(genome.expression, Some(vec![Some(2.0), Some(2.0), None]));
    }
}
