//! Fuzz target: bioxen::untrusted::package_text (see that function for the input path it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::package_text(bytes));
