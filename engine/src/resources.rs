//! The three rationed resources as one integer vector.
//!
//! Grants are integers (molecules) so that sums are exact and order-independent: the
//! scheduler never adds floating-point numbers whose order could vary.

use serde::{Deserialize, Serialize};
use std::ops::{Add, AddAssign, Sub};

/// Which pool a quantity is drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) enum Resource {
    /// ATP molecules.
    Atp,
    /// Ribosomes (count engaged for one tick).
    Ribosomes,
    /// RNA polymerases (count engaged for one tick).
    Rnap,
}

impl Resource {
    /// All resources in canonical order.
    pub(crate) const ALL: [Resource; 3] = [Resource::Atp, Resource::Ribosomes, Resource::Rnap];

    /// Its name, for the policies' test messages.
    #[cfg(test)]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Resource::Atp => "atp",
            Resource::Ribosomes => "ribosomes",
            Resource::Rnap => "rnap",
        }
    }
}

/// An amount of each resource: a pool, a demand, a cap or a grant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resources {
    /// ATP molecules.
    pub atp: u64,
    /// Ribosomes.
    pub ribosomes: u64,
    /// RNA polymerases.
    pub rnap: u64,
}

impl Resources {
    /// Nothing of anything.
    pub(crate) const ZERO: Resources = Resources { atp: 0, ribosomes: 0, rnap: 0 };

    /// Builds a vector from its parts.
    pub const fn new(atp: u64, ribosomes: u64, rnap: u64) -> Resources {
        Resources { atp, ribosomes, rnap }
    }

    /// The amount of one resource.
    pub(crate) fn get(&self, r: Resource) -> u64 {
        match r {
            Resource::Atp => self.atp,
            Resource::Ribosomes => self.ribosomes,
            Resource::Rnap => self.rnap,
        }
    }

    /// A mutable reference to one resource.
    pub(crate) fn get_mut(&mut self, r: Resource) -> &mut u64 {
        match r {
            Resource::Atp => &mut self.atp,
            Resource::Ribosomes => &mut self.ribosomes,
            Resource::Rnap => &mut self.rnap,
        }
    }

    /// Element-wise minimum.
    pub(crate) fn min(self, other: Resources) -> Resources {
        Resources::new(self.atp.min(other.atp), self.ribosomes.min(other.ribosomes), self.rnap.min(other.rnap))
    }

    /// Element-wise saturating subtraction.
    pub(crate) fn saturating_sub(self, other: Resources) -> Resources {
        Resources::new(
            self.atp.saturating_sub(other.atp),
            self.ribosomes.saturating_sub(other.ribosomes),
            self.rnap.saturating_sub(other.rnap),
        )
    }

    /// True when every component is ≤ the other's.
    pub(crate) fn fits_within(&self, other: &Resources) -> bool {
        self.atp <= other.atp && self.ribosomes <= other.ribosomes && self.rnap <= other.rnap
    }

    /// Element-wise sum of a list, saturating.
    pub fn sum<'a>(items: impl IntoIterator<Item = &'a Resources>) -> Resources {
        items.into_iter().fold(Resources::ZERO, |acc, r| acc + *r)
    }
}

impl Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources::new(
            self.atp.saturating_add(o.atp),
            self.ribosomes.saturating_add(o.ribosomes),
            self.rnap.saturating_add(o.rnap),
        )
    }
}

impl AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl Sub for Resources {
    type Output = Resources;
    fn sub(self, o: Resources) -> Resources {
        self.saturating_sub(o)
    }
}
