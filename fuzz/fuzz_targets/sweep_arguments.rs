//! Fuzz target: bioxen::untrusted::sweep_arguments (see that function for the input path it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::sweep_arguments(bytes));
