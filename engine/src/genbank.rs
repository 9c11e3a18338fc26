//! Loading a genome from a GenBank annotation.
//!
//! Genes are the CDS, rRNA, tRNA, tmRNA and ncRNA features (the `gene` features duplicate
//! them). GenBank says nothing of essentiality, so loaded genes are marked non-essential;
//! it says nothing of operons either, so each gene is its own transcription unit.

use crate::genome::{Gene, GeneKind, Genome};
use std::path::Path;

/// Why a GenBank file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum GenbankError {
    /// The file could not be read.
    #[error("{path}: cannot read GenBank file: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The parser rejected the file.
    #[error("{path}: not a valid GenBank file: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What the parser said.
        message: String,
    },
    /// The file parsed but holds nothing usable.
    #[error("{path}: {message}")]
    Content {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Largest GenBank file accepted (a bacterial genome with sequence is ~15 MB; a yeast
/// chromosome set ~40 MB). Bounds the memory a bad path can make us use.
pub const GENBANK_BYTES_MAX: u64 = 256 * 1024 * 1024;

/// Loads the first record of a GenBank file as a genome.
pub fn load(path: &Path) -> Result<Genome, GenbankError> {
    let shown = path.display().to_string();
    let io = |source| GenbankError::Io { path: shown.clone(), source };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > GENBANK_BYTES_MAX {
        return Err(GenbankError::Content {
            path: shown,
            message: format!("file is {size} bytes, more than the {GENBANK_BYTES_MAX} accepted"),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let records = gb_io::reader::parse_slice(&bytes)
        .map_err(|e| GenbankError::Parse { path: shown.clone(), message: e.to_string() })?;
    let Some(record) = records.into_iter().next() else {
        return Err(GenbankError::Content { path: shown, message: "no GenBank record".into() });
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
        let (start, end) = feature.location.find_bounds().map_err(|e| GenbankError::Content {
            path: shown.clone(),
            message: format!("{} feature with unusable location: {e:?}", feature.kind),
        })?;
        let length_bp = u32::try_from((end - start).max(1)).unwrap_or(u32::MAX);
        let locus = feature.qualifier_values("locus_tag").next();
        let name = feature.qualifier_values("gene").next();
        let id = locus.or(name).map(str::to_string).unwrap_or_else(|| format!("feature_{start}"));
        genes.push(Gene {
            name: name.map(str::to_string).unwrap_or_else(|| id.clone()),
            id,
            length_bp,
            kind,
            essential: false,
            operon: None,
        });
    }
    if genes.is_empty() {
        return Err(GenbankError::Content { path: shown, message: "no CDS, rRNA or tRNA features".into() });
    }
    let length_bp = record.len.map(|l| l as u64).unwrap_or_else(|| record.seq.len() as u64);
    Ok(Genome { source: shown, length_bp, genes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syn3a_annotation_loads_with_published_feature_counts() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/syn3a/syn3A.gb");
        if !path.exists() {
            eprintln!("skipped: {} is absent", path.display());
            return;
        }
        let genome = load(&path).unwrap();
        assert_eq!(genome.length_bp, 543_379);
        assert_eq!(genome.genes.len(), 496);
        assert_eq!(genome.protein_genes(), 458);
        let dnaa = &genome.genes[0];
        assert_eq!((dnaa.name.as_str(), dnaa.id.as_str()), ("dnaA", "JCVISYN3A_0001"));
        assert_eq!(dnaa.length_bp, 1353);
    }

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("bioxen-gb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.gb");
        std::fs::write(&path, b"LOCUS   nonsense\nFEATURES\n   CDS  ???\n//\n").unwrap();
        assert!(load(&path).is_err());
        assert!(matches!(load(&dir.join("absent.gb")), Err(GenbankError::Io { .. })));
    }
}
