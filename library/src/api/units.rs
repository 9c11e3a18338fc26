//! Ribosome numbers with their unit, so that one number never has two meanings.
//!
//! The original library counted ribosomes in a pool of its own: its E. coli chassis had 80
//! (`EcoliChassis`: `max_ribosomes=80`), and its defaults, limits and its users' calls
//! (`allocate_ribosomes(20)`, `"max_ribosomes": 30`) are shares of that pool. The model
//! counts ribosomes per tick of the chassis the VM runs on (tens of thousands). A
//! [`Ribosomes`] says which it is, and converts either way on a given chassis.

use bioxen_engine::chassis::Chassis;

/// The ribosome pool of the original library's E. coli chassis, which its ribosome
/// numbers are shares of (BioXen_jcvi_vm_lib, `EcoliChassis`: `max_ribosomes=80`).
pub const ORIGINAL_RIBOSOME_POOL: u64 = 80;

/// The largest number of the original's units taken (far beyond any chassis: 10¹² of
/// them are 5 × 10¹⁴ ribosomes on the E. coli chassis), so a conversion never overflows.
pub const ORIGINAL_UNITS_MAX: f64 = 1e12;

/// A number of ribosomes and its unit.
///
/// ```
/// use bioxen::api::Ribosomes;
/// use bioxen::engine::chassis::ChassisKind;
/// let ecoli = ChassisKind::Ecoli.defaults();
/// assert_eq!(Ribosomes::Original(15.0).per_tick(&ecoli), 7_500);
/// assert!((Ribosomes::PerTick(247).original(&ecoli) - 0.494).abs() < 1e-9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ribosomes {
    /// The original library's units: shares of its 80-ribosome E. coli pool, mapped to the
    /// same share of the chassis the VM runs on (15 are 7,500 ribosomes per tick on the
    /// E. coli chassis). Fractions are allowed: what a VM is granted reads back as one.
    Original(f64),
    /// Ribosomes per tick, the model's unit.
    PerTick(u64),
}

impl Ribosomes {
    /// Ribosomes per tick on `chassis` (the original's units rounded down).
    pub fn per_tick(self, chassis: &Chassis) -> u64 {
        match self {
            Ribosomes::PerTick(n) => n,
            // A float conversion saturates; `check` keeps the number finite and bounded.
            Ribosomes::Original(x) => (x.clamp(0.0, ORIGINAL_UNITS_MAX) * chassis.ribosomes as f64
                / ORIGINAL_RIBOSOME_POOL as f64)
                .floor() as u64,
        }
    }

    /// The same number in the original's units on `chassis` (a fraction where it is less
    /// than one of them).
    pub fn original(self, chassis: &Chassis) -> f64 {
        match self {
            Ribosomes::Original(x) => x,
            Ribosomes::PerTick(_) if chassis.ribosomes == 0 => 0.0,
            Ribosomes::PerTick(n) => n as f64 * ORIGINAL_RIBOSOME_POOL as f64 / chassis.ribosomes as f64,
        }
    }

    /// Refuses a number of the original's units that is not finite, negative or past
    /// [`ORIGINAL_UNITS_MAX`], saying why.
    pub fn check(self) -> Result<Ribosomes, String> {
        match self {
            Ribosomes::Original(x) if !(x.is_finite() && (0.0..=ORIGINAL_UNITS_MAX).contains(&x)) => Err(format!(
                "a number of ribosomes in the original's units is in [0, 1e12], not {}",
                bioxen_engine::scenario::number(x)
            )),
            r => Ok(r),
        }
    }

    /// Whether it is zero ribosomes (in either unit).
    pub fn is_zero(self) -> bool {
        match self {
            Ribosomes::Original(x) => x == 0.0,
            Ribosomes::PerTick(n) => n == 0,
        }
    }
}

impl std::fmt::Display for Ribosomes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ribosomes::Original(x) => write!(f, "{} of the original's ribosomes", bioxen_engine::scenario::number(*x)),
            Ribosomes::PerTick(n) => write!(f, "{n} ribosomes per tick"),
        }
    }
}
