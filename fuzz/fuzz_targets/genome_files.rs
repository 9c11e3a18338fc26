//! Fuzz target: bioxen::untrusted::genome_files (see that function for the input path it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::genome_files(bytes));
