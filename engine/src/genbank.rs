//! Loading a genome from a GenBank annotation.
//!
//! Genes are the CDS, rRNA, tRNA, tmRNA and ncRNA features (the `gene` features duplicate
//! them). GenBank says nothing of essentiality, so a gene is essential only where a
//! published screen says so (`crate::essentiality`: Breuer et al. 2019 for syn3A's
//! locus tags) and non-essential otherwise; it says nothing of operons either, so each
//! gene is its own transcription unit.

use crate::genome::{Gene, GeneKind, Genome, GenomeOrigin};

/// Why bytes are not a usable GenBank annotation.
#[derive(Debug, thiserror::Error)]
pub enum GenbankError {
    /// The parser rejected the bytes. Its own message is not repeated: it quotes the
    /// input, which can be megabytes (and the input could be any file a scenario names).
    #[error("{what}: not a GenBank file{hint}")]
    Parse {
        /// The file.
        what: String,
        /// A short hint at where, if the parser gave one.
        hint: String,
    },
    /// The file parsed but holds nothing usable.
    #[error("{what}: {message}")]
    Content {
        /// The file.
        what: String,
        /// What is wrong.
        message: String,
    },
}

/// Largest GenBank file accepted (a bacterial genome with sequence is ~15 MB; a yeast
/// chromosome set ~40 MB). Callers bound their reads by it.
pub const GENBANK_BYTES_MAX: u64 = 256 * 1024 * 1024;

/// Parses the first record of a GenBank file's bytes as a genome; `what` names the file.
pub fn parse(bytes: &[u8], what: &str) -> Result<Genome, GenbankError> {
    let records = gb_io::reader::parse_slice(bytes)
        .map_err(|e| GenbankError::Parse { what: what.to_string(), hint: hint(&e.to_string()) })?;
    let Some(record) = records.into_iter().next() else {
        return Err(GenbankError::Content { what: what.to_string(), message: "no GenBank record".into() });
    };
    let mut genes = Vec::new();
    for feature in &record.features {
        let kind = match feature.kind.as_ref() {
            "CDS" => GeneKind::Protein,
            "rRNA" => GeneKind::Rrna,
            "tRNA" => GeneKind::Trna,
            "tmRNA" | "ncRNA" => GeneKind::Other,
            _ => continue,
        };
        let Ok((start, end)) = feature.location.find_bounds() else {
            return Err(GenbankError::Content {
                what: what.to_string(),
                message: format!("a {} feature has a location with no bounds", feature.kind),
            });
        };
        let length_bp = u32::try_from((end - start).max(1)).unwrap_or(u32::MAX);
        let locus = feature.qualifier_values("locus_tag").next();
        let name = feature.qualifier_values("gene").next();
        let id = locus.or(name).map(str::to_string).unwrap_or_else(|| format!("feature_{start}"));
        let essential = crate::essentiality::of(&id) == Some(crate::essentiality::Essentiality::Essential);
        genes.push(Gene {
            name: name.map(str::to_string).unwrap_or_else(|| id.clone()),
            id,
            length_bp,
            kind,
            essential,
            operon: None,
        });
    }
    if genes.is_empty() {
        return Err(GenbankError::Content { what: what.to_string(), message: "no CDS, rRNA or tRNA features".into() });
    }
    let length_bp = record.len.map(|l| l as u64).unwrap_or_else(|| record.seq.len() as u64);
    Ok(Genome { origin: GenomeOrigin::annotation(what), length_bp, genes, repressed: Vec::new(), expression: None })
}

/// The start of the parser's message, if it is short and readable: gb_io's messages can
/// quote the whole remaining input as decimal bytes.
fn hint(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    let readable = first.len() <= 80 && !first.contains('[');
    if readable && !first.is_empty() { format!(" ({first})") } else { String::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test reads the annotation in place from ../shared (the library code never opens
    // a file).
    #[allow(clippy::disallowed_methods)]
    #[test]
    fn syn3a_annotation_loads_with_published_feature_counts() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/syn3a/syn3A.gb");
        let Ok(bytes) = std::fs::read(&path) else {
            // Skipped with the reason: the annotation is read in place from ../shared.
            return;
        };
        let genome = parse(&bytes, "syn3A.gb").unwrap();
        assert_eq!(genome.length_bp, 543_379);
        assert_eq!(genome.genes.len(), 496);
        assert_eq!(genome.protein_genes(), 458);
        let dnaa = &genome.genes[0];
        assert_eq!((dnaa.name.as_str(), dnaa.id.as_str()), ("dnaA", "JCVISYN3A_0001"));
        assert_eq!(dnaa.length_bp, 1353);
    }

    #[test]
    fn garbage_is_a_short_parse_error_not_a_panic() {
        let e = parse(b"LOCUS   nonsense\nFEATURES\n   CDS  ???\n//\n", "bad.gb").unwrap_err();
        assert!(e.to_string().starts_with("bad.gb: not a GenBank file"), "{e}");
        let noise: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let e = parse(&noise, "noise.gb").unwrap_err().to_string();
        assert!(e.len() < 200, "an error of {} bytes", e.len());
    }
}
