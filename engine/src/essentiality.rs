//! Published gene essentiality, for genomes whose annotations do not carry it.
//!
//! GenBank has no essentiality qualifier, so an annotation's genes are non-essential
//! unless a published classification says otherwise. For JCVI-syn3A that is Breuer et
//! al. 2019 (eLife 8:e36842): each of 455 loci essential, quasi-essential (disrupting it
//! slows growth severely) or non-essential, from transposon mutagenesis. The table is
//! `data/syn3a_essentiality.txt` (one `number class` line per `JCVISYN3A_<number>` locus
//! tag), compiled in. A gene counts as essential when its class is essential;
//! quasi-essential genes are reported as such, not as essential.

/// A gene's class in a published essentiality screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Essentiality {
    /// Cells without it do not grow.
    Essential,
    /// Cells without it grow, but much more slowly.
    QuasiEssential,
    /// Cells without it grow normally.
    NonEssential,
}

/// Breuer et al. 2019's classification of JCVI-syn3A's loci.
const SYN3A: &str = include_str!("data/syn3a_essentiality.txt");

/// The published class of the gene with locus tag `locus_tag`, if a screen covers it.
pub fn of(locus_tag: &str) -> Option<Essentiality> {
    let number = locus_tag.strip_prefix("JCVISYN3A_")?;
    SYN3A.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (n, class) = line.split_once(' ')?;
        (n == number).then_some(match class {
            "E" => Essentiality::Essential,
            "Q" => Essentiality::QuasiEssential,
            _ => Essentiality::NonEssential,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_breuers_counts() {
        let classes: Vec<Essentiality> = SYN3A
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| of(&format!("JCVISYN3A_{}", &l[..4])).expect("every line parses"))
            .collect();
        let count = |c| classes.iter().filter(|&&x| x == c).count();
        assert_eq!(classes.len(), 455);
        assert_eq!(
            (count(Essentiality::Essential), count(Essentiality::QuasiEssential), count(Essentiality::NonEssential)),
            (270, 113, 72)
        );
        assert_eq!(of("JCVISYN3A_0001"), Some(Essentiality::Essential)); // dnaA
        assert_eq!(of("JCVISYN3A_0004"), Some(Essentiality::NonEssential)); // ksgA
        assert_eq!(of("JCVISYN3A_0003"), Some(Essentiality::QuasiEssential)); // rnmV
        assert_eq!(of("b0344"), None);
    }
}
