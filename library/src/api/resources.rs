//! `BioResourceManager`: a VM's reservations of ATP, ribosomes and DNA space, in the
//! model's units, and the original library's limits and targets mapped onto them.
//!
//! **Units.** ATP is a percentage of the guests' ATP pool each tick, DNA space is kb. A
//! ribosome request says its unit ([`Ribosomes`]): the original library's (shares of its
//! E. coli chassis' pool of 80, of which its hypervisor kept 15 % overhead, mapped to the
//! same share of this chassis; the README's table gives every number per chassis) or
//! ribosomes per tick. What is read back (usage, limits, what is free) is ribosomes per
//! tick; [`Ribosomes::original`] converts.

use super::error::{ApiError, ApiResult};
use super::host::{Shared, lock};
use super::types::BiologicalType;
use super::units::Ribosomes;
use super::vm::BiologicalVm;
use bioxen_engine::chassis::Chassis;
use bioxen_engine::scenario::{Action, AllocationChange};

/// `count` of the original's ribosomes as ribosomes per tick on `chassis`.
fn original(count: u32, chassis: &Chassis) -> u64 {
    Ribosomes::Original(f64::from(count)).per_tick(chassis)
}

/// The most a VM of one organism may reserve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceLimits {
    /// Ribosomes per tick.
    pub ribosomes: u64,
    /// ATP, percent of the guests' pool.
    pub atp_percent: f64,
    /// DNA space beyond the genome, kb.
    pub memory_kb: u64,
}

/// The original's limits: syn3a 50 ribosomes, 80 % ATP, 200 kb; ecoli 100, 90 %, 500 kb;
/// minimal_cell 20, 60 %, 100 kb (ribosomes mapped onto `chassis`).
pub fn resource_limits(t: BiologicalType, chassis: &Chassis) -> ResourceLimits {
    let (ribosomes, atp_percent, memory_kb) = match t {
        BiologicalType::Syn3a => (50, 80.0, 200),
        BiologicalType::Ecoli => (100, 90.0, 500),
        BiologicalType::MinimalCell => (20, 60.0, 100),
    };
    ResourceLimits { ribosomes: original(ribosomes, chassis), atp_percent, memory_kb }
}

/// The original's targets for `optimize_resources_for_biological_type`: syn3a 60 % ATP
/// and 10 ribosomes, ecoli 80 % and 25, minimal_cell 50 % and 8 (mapped onto `chassis`).
pub fn resource_targets(t: BiologicalType, chassis: &Chassis) -> (f64, u64) {
    let (atp, ribosomes) = match t {
        BiologicalType::Syn3a => (60.0, 10),
        BiologicalType::Ecoli => (80.0, 25),
        BiologicalType::MinimalCell => (50.0, 8),
    };
    (atp, original(ribosomes, chassis))
}

/// What a VM holds: its reservations and caps (from the next tick), and what it was
/// granted in its last tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceUsage {
    /// ATP reserved, percent of the guests' pool.
    pub atp_percent: f64,
    /// Ribosomes reserved per tick.
    pub ribosomes: u64,
    /// DNA space reserved beyond the genome, kb.
    pub memory_kb: u64,
    /// ATP cap, percent.
    pub atp_cap_percent: f64,
    /// Ribosome cap per tick.
    pub ribosome_cap: Option<u64>,
    /// DNA space the genome occupies, kb.
    pub genome_kb: u64,
    /// ATP asked for in the VM's last tick.
    pub atp_demanded: u64,
    /// Ribosomes asked for in the VM's last tick.
    pub ribosomes_demanded: u64,
    /// ATP granted in the VM's last tick.
    pub atp_granted: u64,
    /// Ribosomes granted in the VM's last tick.
    pub ribosomes_granted: u64,
}

/// What is left to reserve on a host.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AvailableResources {
    /// ATP not reserved, percent of the guests' pool.
    pub atp_percent: f64,
    /// Guests' ribosomes per tick not reserved.
    pub ribosomes: u64,
    /// DNA space not held by a genome or reserved, kb.
    pub memory_kb: u64,
}

/// The pools of a host less what its VMs hold (as it will be from the next tick).
pub(crate) fn available(host: &super::host::Host) -> AvailableResources {
    let chassis = &host.scenario().chassis;
    let guests_ribosomes = (chassis.ribosomes as f64 * (1.0 - chassis.ribosome_reserve_fraction)).floor() as u64;
    let atp: f64 = host.vms.iter().map(|v| v.allocation.atp_reserve_percent).sum();
    let ribosomes: u64 = host.vms.iter().map(|v| v.allocation.ribosome_reserve).sum();
    let genomes: u64 = host.scenario().vms.iter().map(|v| v.memory_kb).sum();
    let reserved: u64 = host.vms.iter().map(|v| v.memory_reserved_kb).sum();
    AvailableResources {
        atp_percent: (100.0 - atp).max(0.0),
        ribosomes: guests_ribosomes.saturating_sub(ribosomes),
        memory_kb: chassis.dna_space_kb.saturating_sub(genomes + reserved),
    }
}

/// A VM's reservations. Each allocation is a reservation (what is available shrinks by
/// it) and raises the VM's cap to at least that much; it takes effect at the next tick. A
/// request over the VM's limit or over what is free is an error naming both numbers, and
/// nothing changes.
pub struct BioResourceManager {
    host: Shared,
    vm: usize,
    id: String,
    biological_type: BiologicalType,
}

impl BioResourceManager {
    /// The resource manager of `vm`.
    pub fn new(vm: &BiologicalVm) -> BioResourceManager {
        let (host, index) = vm.parts();
        BioResourceManager {
            host: host.clone(),
            vm: index,
            id: vm.id().to_string(),
            biological_type: vm.biological_type(),
        }
    }

    fn refuse(&self, message: String) -> ApiError {
        ApiError::Resources { vm: self.id.clone(), message }
    }

    /// The chassis of the VM's host (what [`Ribosomes`] convert on).
    pub fn chassis(&self) -> Chassis {
        lock(&self.host).config.chassis
    }

    /// Reserves `percent` of the guests' ATP pool every tick (and raises the VM's ATP cap
    /// to at least that).
    ///
    /// ```
    /// use bioxen::api::{create_bio_vm, BioResourceManager};
    /// let vm = create_bio_vm("s", "syn3a", "basic", None)?;
    /// let resources = BioResourceManager::new(&vm);
    /// resources.allocate_atp(50.0)?;
    /// assert_eq!(resources.get_available_resources().atp_percent, 50.0);
    /// let e = resources.allocate_atp(90.0).unwrap_err();
    /// assert!(e.to_string().contains("90 % ATP is over the syn3a limit of 80 %"));
    /// # Ok::<(), bioxen::api::ApiError>(())
    /// ```
    pub fn allocate_atp(&self, percent: f64) -> ApiResult<()> {
        let mut host = lock(&self.host);
        let change = self.atp_change(&host, percent)?;
        host.schedule(self.vm, Action::Set(change))
    }

    /// Refuses `asked` over the organism's `limit` or over what is `free` (what is
    /// available plus what the VM already holds, which the request replaces), naming both
    /// numbers: `50 % ATP is over the syn3a limit of 80 %`, `600 ribosomes asked, 400 free`.
    fn within<T: PartialOrd + std::fmt::Display>(
        &self,
        asked: T,
        limit: T,
        free: T,
        unit: &str,
        what: &str,
    ) -> ApiResult<()> {
        if asked > limit {
            let organism = self.biological_type.name();
            return Err(self.refuse(format!("{asked}{unit} {what} is over the {organism} limit of {limit}{unit}")));
        }
        if asked > free {
            return Err(self.refuse(format!("{asked}{unit} {what} asked, {free}{unit} free")));
        }
        Ok(())
    }

    /// The change reserving `percent` ATP, if it is within the limit and free.
    fn atp_change(&self, host: &super::host::Host, percent: f64) -> ApiResult<AllocationChange> {
        if !(percent.is_finite() && percent >= 0.0) {
            return Err(self.refuse(format!(
                "an ATP allocation is a percentage, not {}",
                bioxen_engine::scenario::number(percent)
            )));
        }
        let limit = resource_limits(self.biological_type, &host.config.chassis).atp_percent;
        let held = host.vms[self.vm].allocation.atp_reserve_percent;
        self.within(percent, limit, available(host).atp_percent + held, " %", "ATP")?;
        let cap = host.vms[self.vm].allocation.atp_cap_percent;
        Ok(AllocationChange {
            atp_reserve_percent: Some(percent),
            atp_cap_percent: (cap < percent).then_some(percent),
            ..AllocationChange::default()
        })
    }

    /// Reserves `count` ribosomes every tick (and raises the VM's ribosome cap to at least
    /// that), in either unit.
    ///
    /// ```
    /// use bioxen::api::{create_bio_vm, BioResourceManager, Ribosomes};
    /// let vm = create_bio_vm("s", "syn3a", "basic", None)?;
    /// let resources = BioResourceManager::new(&vm);
    /// resources.allocate_ribosomes(Ribosomes::Original(20.0))?; // the original's 20
    /// assert_eq!(resources.get_resource_usage().ribosomes, 10_000); // per tick on E. coli
    /// let e = resources.allocate_ribosomes(Ribosomes::Original(60.0)).unwrap_err();
    /// assert!(e.to_string().contains("60 of the original's ribosomes (30000 per tick) is over the syn3a limit"));
    /// # Ok::<(), bioxen::api::ApiError>(())
    /// ```
    pub fn allocate_ribosomes(&self, count: Ribosomes) -> ApiResult<()> {
        let mut host = lock(&self.host);
        let change = self.ribosome_change(&host, count)?;
        host.schedule(self.vm, Action::Set(change))
    }

    /// The change reserving `count` ribosomes, if it is within the limit and free.
    fn ribosome_change(&self, host: &super::host::Host, count: Ribosomes) -> ApiResult<AllocationChange> {
        let chassis = &host.config.chassis;
        count.check().map_err(|m| self.refuse(m))?;
        let asked = count.per_tick(chassis);
        let limit = resource_limits(self.biological_type, chassis).ribosomes;
        let held = host.vms[self.vm].allocation.ribosome_reserve;
        let free = available(host).ribosomes + held;
        // Said in the unit asked in, with ribosomes per tick beside the original's.
        let say = |n: u64, unit: &str| match count {
            Ribosomes::Original(_) => {
                format!(
                    "{}{unit} ({n} per tick)",
                    bioxen_engine::scenario::number(Ribosomes::PerTick(n).original(chassis))
                )
            }
            Ribosomes::PerTick(_) => format!("{n}{unit}"),
        };
        let unit = match count {
            Ribosomes::Original(_) => " of the original's ribosomes",
            Ribosomes::PerTick(_) => " ribosomes per tick",
        };
        if asked > limit {
            let organism = self.biological_type.name();
            return Err(self.refuse(format!(
                "{} is over the {organism} limit of {}",
                say(asked, unit),
                say(limit, "")
            )));
        }
        if asked > free {
            return Err(self.refuse(format!("{} asked, {} free", say(asked, unit), say(free, ""))));
        }
        let cap = host.vms[self.vm].allocation.ribosome_cap;
        Ok(AllocationChange {
            ribosome_reserve: Some(asked),
            ribosome_cap: cap.filter(|&c| c < asked).map(|_| asked),
            ..AllocationChange::default()
        })
    }

    /// Any of the three reservations, all checked before any is made.
    pub(crate) fn allocate(
        &self,
        atp: Option<f64>,
        ribosomes: Option<Ribosomes>,
        memory_kb: Option<u64>,
    ) -> ApiResult<()> {
        let mut host = lock(&self.host);
        let atp = atp.map(|p| self.atp_change(&host, p)).transpose()?;
        let ribosomes = ribosomes.map(|r| self.ribosome_change(&host, r)).transpose()?;
        if let Some(kb) = memory_kb {
            self.memory_check(&host, kb)?;
        }
        for change in [atp, ribosomes].into_iter().flatten() {
            host.schedule(self.vm, Action::Set(change))?;
        }
        if let Some(kb) = memory_kb {
            host.vms[self.vm].memory_reserved_kb = kb;
        }
        Ok(())
    }

    /// Reserves `kb` of DNA space beyond the genome (the room plasmids and packages use).
    /// DNA space is bookkeeping of the host: the model's dynamics do not depend on it, so
    /// the reservation is not an event of the run.
    pub fn allocate_memory(&self, kb: u64) -> ApiResult<()> {
        let mut host = lock(&self.host);
        self.memory_check(&host, kb)?;
        host.vms[self.vm].memory_reserved_kb = kb;
        Ok(())
    }

    fn memory_check(&self, host: &super::host::Host, kb: u64) -> ApiResult<()> {
        let limit = resource_limits(self.biological_type, &host.config.chassis).memory_kb;
        let held = host.vms[self.vm].memory_reserved_kb;
        self.within(kb, limit, available(host).memory_kb + held, " kb", "of DNA space")
    }

    /// The VM's reservations, caps and last grant.
    pub fn get_resource_usage(&self) -> ResourceUsage {
        usage(&lock(&self.host), self.vm)
    }

    /// What is left to reserve on the VM's host.
    pub fn get_available_resources(&self) -> AvailableResources {
        available(&lock(&self.host))
    }

    /// The most this VM may reserve.
    pub fn get_resource_limits(&self) -> ResourceLimits {
        resource_limits(self.biological_type, &lock(&self.host).config.chassis)
    }

    /// Reserves the original's targets for the VM's organism (syn3a 60 % ATP and 10 of its
    /// ribosomes, ecoli 80 % and 25, minimal_cell 50 % and 8), returning what was
    /// reserved. If either does not fit, neither is made.
    pub fn optimize_resources_for_biological_type(&self) -> ApiResult<(f64, u64)> {
        let mut host = lock(&self.host);
        let (atp, ribosomes) = resource_targets(self.biological_type, &host.config.chassis);
        let atp_change = self.atp_change(&host, atp)?;
        let ribosome_change = self.ribosome_change(&host, Ribosomes::PerTick(ribosomes))?;
        host.schedule(self.vm, Action::Set(atp_change))?;
        host.schedule(self.vm, Action::Set(ribosome_change))?;
        Ok((atp, ribosomes))
    }
}

/// VM `vm`'s usage, from the host's mirror and its last record.
pub(crate) fn usage(host: &super::host::Host, vm: usize) -> ResourceUsage {
    let e = &host.vms[vm];
    // Nothing asked or granted before the VM's first tick.
    let (demand, grant) = e.last.map_or_else(Default::default, |r| (r.demand, r.grant));
    ResourceUsage {
        atp_percent: e.allocation.atp_reserve_percent,
        ribosomes: e.allocation.ribosome_reserve,
        memory_kb: e.memory_reserved_kb,
        atp_cap_percent: e.allocation.atp_cap_percent,
        ribosome_cap: e.allocation.ribosome_cap,
        genome_kb: e.genome.length_kb(),
        atp_demanded: demand.atp,
        ribosomes_demanded: demand.ribosomes,
        atp_granted: grant.atp,
        ribosomes_granted: grant.ribosomes,
    }
}
