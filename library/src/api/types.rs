//! The names the original library took: biological types and VM types.

use super::error::{ApiError, ApiResult};
use bioxen_engine::biology::Organism;

/// An organism a VM can run: the original's `biological_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BiologicalType {
    /// JCVI-syn3A.
    Syn3a,
    /// E. coli K-12.
    Ecoli,
    /// JCVI-syn3.0, the minimal cell.
    MinimalCell,
}

impl BiologicalType {
    /// Every type, in the original's order.
    pub const ALL: [BiologicalType; 3] = [BiologicalType::Syn3a, BiologicalType::Ecoli, BiologicalType::MinimalCell];

    /// Its name (`syn3a`, `ecoli`, `minimal_cell`).
    pub fn name(self) -> &'static str {
        self.organism().name()
    }

    /// The engine's organism.
    pub fn organism(self) -> Organism {
        match self {
            BiologicalType::Syn3a => Organism::Syn3a,
            BiologicalType::Ecoli => Organism::Ecoli,
            BiologicalType::MinimalCell => Organism::MinimalCell,
        }
    }

    /// The type of an organism.
    pub fn of(organism: Organism) -> BiologicalType {
        match organism {
            Organism::Syn3a => BiologicalType::Syn3a,
            Organism::Ecoli => BiologicalType::Ecoli,
            Organism::MinimalCell => BiologicalType::MinimalCell,
        }
    }

    /// Parses a name, with the original's error.
    pub fn parse(name: &str) -> ApiResult<BiologicalType> {
        BiologicalType::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| ApiError::UnsupportedBiologicalType(name.to_string()))
    }
}

/// Where a VM runs: the original's `vm_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VmType {
    /// In this process, on the actor runtime.
    Basic,
    /// On an XCP-ng VM provisioned through XAPI (the remote-hosts work; not in this build).
    Xcpng,
}

impl VmType {
    /// Every type.
    pub const ALL: [VmType; 2] = [VmType::Basic, VmType::Xcpng];

    /// Its name (`basic`, `xcpng`).
    pub fn name(self) -> &'static str {
        match self {
            VmType::Basic => "basic",
            VmType::Xcpng => "xcpng",
        }
    }

    /// Parses a name, with the original's error.
    pub fn parse(name: &str) -> ApiResult<VmType> {
        VmType::ALL.into_iter().find(|t| t.name() == name).ok_or_else(|| ApiError::UnsupportedVmType(name.to_string()))
    }
}
