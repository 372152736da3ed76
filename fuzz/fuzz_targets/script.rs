#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sieve_imip::fuzzing::print_contained_panics();
    sieve_imip::fuzzing::script(data)
});
