//! Fuzz target: bioxen::untrusted::config_text (a VM configuration's text, JSON and TOML).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::config_text(bytes));
