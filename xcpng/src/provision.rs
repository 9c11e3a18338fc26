//! What BioXen does in a pool: make a VM from a template, tagged with the run's id, sized,
//! on the chosen network and storage, started, with its address awaited — and unmake it:
//! shut down (cleanly, then hard after a timeout), destroyed with the disks it was given
//! (`VM.destroy` alone leaks them). A failure half-way tears down what was made; what a
//! crashed run left carries its run id and is found by [`orphans`].

use crate::client::Xapi;
use crate::error::{XapiError, XapiResult};
use crate::json;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The `other_config` key every VM and disk BioXen makes carries: its run's id.
pub const RUN_TAG: &str = "bioxen_run";
const NULL: &str = "OpaqueRef:NULL";

/// The VM to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmSpec {
    /// The template's name label.
    pub template_name: String,
    /// The new VM's name label.
    pub name: String,
    /// Its memory in bytes (`None`: the template's).
    pub memory_bytes: Option<u64>,
    /// Its VCPUs (`None`: the template's).
    pub vcpus: Option<u64>,
    /// The network its one interface joins (UUID; `None`: the template's interfaces).
    pub network_uuid: Option<String>,
    /// The storage its disks are copied to (SR UUID; `None`: the template's, by clone).
    pub storage_repository: Option<String>,
    /// The run's id, the tag of everything made.
    pub run_id: String,
    /// How long to wait for the VM's address once started.
    pub ip_timeout: Duration,
    /// How long a clean shutdown may take before a hard one.
    pub shutdown_timeout: Duration,
    /// How often the guest metrics are asked for, at most (sooner at first).
    pub poll: Duration,
}

/// A VM made and started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provisioned {
    /// Its reference.
    pub vm: String,
    /// Its address (IPv4 preferred).
    pub ip: String,
}

/// Makes, starts and addresses the VM `spec` describes; on any failure after it exists
/// (`cancelled` answering true included), tears it down before returning the error.
pub fn provision(xapi: &mut Xapi, spec: &VmSpec, cancelled: &dyn Fn() -> bool) -> XapiResult<Provisioned> {
    let template = find_template(xapi, &spec.template_name)?;
    let vm = match &spec.storage_repository {
        Some(sr_uuid) => {
            let sr = xapi.call_str("SR.get_by_uuid", &[json!(sr_uuid)]).map_err(|e| named(e, "storage_repository"))?;
            xapi.call_str("VM.copy", &[json!(template), json!(spec.name), json!(sr)])?
        }
        None => xapi.call_str("VM.clone", &[json!(template), json!(spec.name)])?,
    };
    // Tagged at once: if this process dies from here on, `orphans` finds it.
    let made = xapi
        .call("VM.add_to_other_config", &[json!(vm), json!(RUN_TAG), json!(spec.run_id)])
        .and_then(|_| set_up_and_start(xapi, &vm, spec, cancelled));
    match made {
        Ok(ip) => Ok(Provisioned { vm, ip }),
        Err(e) => {
            if let Err(t) = teardown(xapi, &vm, spec.shutdown_timeout) {
                tracing::error!("tearing down {vm} after a failure: {t}");
            }
            Err(e)
        }
    }
}

fn set_up_and_start(xapi: &mut Xapi, vm: &str, spec: &VmSpec, cancelled: &dyn Fn() -> bool) -> XapiResult<String> {
    let step = |xapi: &mut Xapi, method: &str, args: &[Value]| -> XapiResult<()> {
        if cancelled() {
            return Err(XapiError::Cancelled);
        }
        xapi.call(method, args).map(drop)
    };
    step(xapi, "VM.provision", &[json!(vm)])?;
    step(xapi, "VM.set_is_a_template", &[json!(vm), json!(false)])?;
    step(xapi, "VM.set_name_description", &[json!(vm), json!(format!("BioXen run {}", spec.run_id))])?;
    for vdi in disks(xapi, vm)? {
        step(xapi, "VDI.add_to_other_config", &[json!(vdi), json!(RUN_TAG), json!(spec.run_id)])?;
    }
    if let Some(bytes) = spec.memory_bytes {
        step(xapi, "VM.set_memory", &[json!(vm), json!(bytes)]).map_err(|e| named(e, "vm_memory"))?;
    }
    if let Some(n) = spec.vcpus {
        set_vcpus(xapi, vm, n).map_err(|e| named(e, "vm_vcpus"))?;
    }
    if let Some(uuid) = &spec.network_uuid {
        join_network(xapi, vm, uuid).map_err(|e| named(e, "network_uuid"))?;
    }
    step(xapi, "VM.start", &[json!(vm), json!(false), json!(false)])?;
    wait_for_ip(xapi, vm, spec, cancelled)
}

/// An error that a configuration key caused, saying which.
fn named(e: XapiError, key: &str) -> XapiError {
    match e {
        XapiError::Refused { method, code, params } => {
            XapiError::Refused { method: format!("{method} (for xcpng_config.{key})"), code, params }
        }
        other => other,
    }
}

/// The template labelled `name`: labels are not unique, and a VM may share one, so only
/// templates count; among several, the first by reference (and a warning).
pub fn find_template(xapi: &mut Xapi, name: &str) -> XapiResult<String> {
    let mut found = Vec::new();
    for r in xapi.call_refs("VM.get_by_name_label", &[json!(name)])? {
        let record = xapi.call("VM.get_record", &[json!(r)])?;
        if record.get("is_a_template").and_then(Value::as_bool) == Some(true) {
            found.push(r);
        }
    }
    found.sort();
    match found.len() {
        0 => Err(XapiError::Config(format!("xcpng_config.template_name: no template `{name}` in the pool"))),
        1 => Ok(found.remove(0)),
        n => {
            tracing::warn!("{n} templates are labelled `{name}`; using {}", found[0]);
            Ok(found.remove(0))
        }
    }
}

/// The templates in the pool: `(name label, reference)`, by name.
pub fn templates(xapi: &mut Xapi) -> XapiResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = records(xapi, "VM.get_all_records")?
        .into_iter()
        .filter(|(_, r)| r.get("is_a_template").and_then(Value::as_bool) == Some(true))
        .map(|(reference, r)| (r.get("name_label").map(json::text).unwrap_or_default(), reference))
        .collect();
    out.sort();
    Ok(out)
}

/// The disks (`Disk` VBDs' VDIs; CD drives hold shared ISOs, never ours) of `vm`.
fn disks(xapi: &mut Xapi, vm: &str) -> XapiResult<Vec<String>> {
    let mut vdis = Vec::new();
    for vbd in xapi.call_refs("VM.get_VBDs", &[json!(vm)])? {
        let record = xapi.call("VBD.get_record", &[json!(vbd)])?;
        let vdi = record.get("VDI").map(json::text).unwrap_or_default();
        if record.get("type").map(json::text).as_deref() == Some("Disk") && vdi != NULL && !vdi.is_empty() {
            vdis.push(vdi);
        }
    }
    Ok(vdis)
}

/// VCPUs at startup never above the maximum: so the order of the two calls follows the
/// direction of the change.
fn set_vcpus(xapi: &mut Xapi, vm: &str, n: u64) -> XapiResult<()> {
    let record = xapi.call("VM.get_record", &[json!(vm)])?;
    let now = record.get("VCPUs_at_startup").and_then(json::int).unwrap_or(1);
    let order = if n as i64 >= now {
        ["VM.set_VCPUs_max", "VM.set_VCPUs_at_startup"]
    } else {
        ["VM.set_VCPUs_at_startup", "VM.set_VCPUs_max"]
    };
    for method in order {
        xapi.call(method, &[json!(vm), json!(n)])?;
    }
    Ok(())
}

/// Replaces the VM's interfaces by one on the network `uuid`.
fn join_network(xapi: &mut Xapi, vm: &str, uuid: &str) -> XapiResult<()> {
    let network = xapi.call_str("network.get_by_uuid", &[json!(uuid)])?;
    for vif in xapi.call_refs("VM.get_VIFs", &[json!(vm)])? {
        xapi.call("VIF.destroy", &[json!(vif)])?;
    }
    let record = json!({
        "device": "0", "network": network, "VM": vm, "MAC": "", "MTU": 1500,
        "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {},
    });
    xapi.call("VIF.create", &[record]).map(drop)
}

fn wait_for_ip(xapi: &mut Xapi, vm: &str, spec: &VmSpec, cancelled: &dyn Fn() -> bool) -> XapiResult<String> {
    let deadline = Instant::now() + spec.ip_timeout;
    // Asked often at first (a VM already up answers at once), then every `poll`.
    let mut wait = spec.poll.min(Duration::from_millis(250));
    loop {
        if cancelled() {
            return Err(XapiError::Cancelled);
        }
        let metrics = xapi.call_str("VM.get_guest_metrics", &[json!(vm)])?;
        if metrics != NULL {
            let networks = xapi.call("VM_guest_metrics.get_networks", &[json!(metrics)])?;
            if let Some(ip) = pick_ip(&networks) {
                return Ok(ip);
            }
        }
        if Instant::now() >= deadline {
            return Err(XapiError::Timeout {
                what: format!("XCP-ng VM not started or IP not available ({} has no address yet)", spec.name),
                seconds: spec.ip_timeout.as_secs(),
            });
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(spec.poll);
    }
}

/// The VM's address from its guest metrics' networks: `0/ipv4/0`, else `0/ip`, else the
/// first other IPv4 by key; never a link-local one.
pub fn pick_ip(networks: &Value) -> Option<String> {
    let map = networks.as_object()?;
    let usable = |key: &str| {
        map.get(key).map(json::text).filter(|ip| {
            let ip = ip.trim();
            !ip.is_empty() && !ip.starts_with("169.254.") && !ip.to_ascii_lowercase().starts_with("fe80:")
        })
    };
    let mut others: Vec<&String> = map.keys().filter(|k| k.contains("/ipv4/")).collect();
    others.sort();
    usable("0/ipv4/0").or_else(|| usable("0/ip")).or_else(|| others.into_iter().find_map(|k| usable(k)))
}

/// Shuts `vm` down (cleanly, hard after `shutdown_timeout`) and destroys it and its disks.
/// A VM already gone is not an error.
pub fn teardown(xapi: &mut Xapi, vm: &str, shutdown_timeout: Duration) -> XapiResult<()> {
    let state = match xapi.call_str("VM.get_power_state", &[json!(vm)]) {
        Err(e) if e.code() == Some("HANDLE_INVALID") => return Ok(()),
        other => other?,
    };
    if state != "Halted" {
        let clean = xapi.call_within("VM.clean_shutdown", &[json!(vm)], Some(shutdown_timeout));
        let halted = clean.is_ok() && xapi.call_str("VM.get_power_state", &[json!(vm)])? == "Halted";
        if !halted {
            tracing::info!("{vm} did not shut down cleanly; forcing it");
            xapi.call("VM.hard_shutdown", &[json!(vm)])?;
        }
    }
    let disks = disks(xapi, vm)?;
    xapi.call("VM.destroy", &[json!(vm)])?;
    for vdi in disks {
        xapi.call("VDI.destroy", &[json!(vdi)])?;
    }
    Ok(())
}

/// What runs left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Orphans {
    /// VMs: `(reference, name label)`.
    pub vms: Vec<(String, String)>,
    /// Disks (references).
    pub vdis: Vec<String>,
}

/// The VMs and disks tagged with a run id that `is_orphan` says is no longer running.
pub fn orphans(xapi: &mut Xapi, is_orphan: &dyn Fn(&str) -> bool) -> XapiResult<Orphans> {
    let tagged = |r: &Value| {
        r.get("other_config").and_then(|o| o.get(RUN_TAG)).map(json::text).is_some_and(|run| is_orphan(&run))
    };
    let vms = records(xapi, "VM.get_all_records")?
        .into_iter()
        .filter(|(_, r)| tagged(r) && r.get("is_a_template").and_then(Value::as_bool) != Some(true))
        .map(|(reference, r)| (reference, r.get("name_label").map(json::text).unwrap_or_default()))
        .collect();
    let vdis = records(xapi, "VDI.get_all_records")?.into_iter().filter(|(_, r)| tagged(r)).map(|(r, _)| r).collect();
    Ok(Orphans { vms, vdis })
}

/// Destroys what [`orphans`] finds: each VM with its disks, then the disks left alone.
/// Returns how many VMs and disks went.
pub fn destroy_orphans(
    xapi: &mut Xapi,
    is_orphan: &dyn Fn(&str) -> bool,
    shutdown_timeout: Duration,
) -> XapiResult<(usize, usize)> {
    let vms = orphans(xapi, is_orphan)?.vms;
    for (vm, name) in &vms {
        tracing::info!("destroying orphaned VM {name} ({vm})");
        teardown(xapi, vm, shutdown_timeout)?;
    }
    let vdis = orphans(xapi, is_orphan)?.vdis;
    for vdi in &vdis {
        xapi.call("VDI.destroy", &[json!(vdi)])?;
    }
    Ok((vms.len(), vdis.len()))
}

/// A `get_all_records` answer: reference → record, in reference order.
fn records(xapi: &mut Xapi, method: &str) -> XapiResult<BTreeMap<String, Value>> {
    match xapi.call(method, &[])? {
        Value::Object(map) => Ok(map.into_iter().collect()),
        other => Err(XapiError::Protocol {
            url: xapi.url().to_string(),
            method: method.into(),
            message: format!("records expected, {other} given"),
        }),
    }
}

/// A size as the original's `vm_memory` gives it (`"4GB"`, `"512 MiB"`, or bytes), in
/// bytes; K/M/G/T with or without `i`, and with or without `B`, are binary multiples, as
/// XCP-ng means them.
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a size such as \"4GB\""))?;
    let shift = match unit.trim().to_ascii_uppercase().trim_end_matches('B').trim_end_matches('I') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("`{text}`: unknown unit `{}` (KB, MB, GB, TB)", unit.trim())),
    };
    n.checked_mul(1 << shift)
        .filter(|b| *b >= 64 << 20)
        .ok_or_else(|| format!("`{text}` is not a VM's memory (at least 64 MB)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_picked_as_xapi_reports_them() {
        let pick = |v: Value| pick_ip(&v);
        assert_eq!(pick(json!({"0/ip": "10.0.0.5", "0/ipv4/0": "10.0.0.6"})), Some("10.0.0.6".into()));
        assert_eq!(pick(json!({"0/ip": "10.0.0.5", "0/ipv6/0": "fe80::1"})), Some("10.0.0.5".into()));
        assert_eq!(pick(json!({"0/ipv4/0": "169.254.1.2", "1/ipv4/0": "192.168.1.9"})), Some("192.168.1.9".into()));
        assert_eq!(pick(json!({"0/ipv6/0": "fe80::1", "0/ip": "169.254.0.1"})), None);
        assert_eq!(pick(json!("not a map")), None);
    }

    #[test]
    fn memory_sizes_are_read_as_the_original_writes_them() {
        assert_eq!(parse_memory("4GB"), Ok(4 << 30));
        assert_eq!(parse_memory("512 MiB"), Ok(512 << 20));
        assert_eq!(parse_memory("2g"), Ok(2 << 30));
        assert_eq!(parse_memory("1073741824"), Ok(1 << 30));
        for bad in ["", "GB", "4 parsecs", "1KB", "99999999999TB", "-4GB"] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }
}
