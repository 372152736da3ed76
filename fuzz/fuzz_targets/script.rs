#![no_main]

use libfuzzer_sys::fuzz_target;

// libFuzzer's panic hook aborts on every panic, also on one the engine
// contains (a dependency's defect, reported as `engine-failed` or a
// refused script): that would stop the run on a handled input. This hook
// only prints; a panic that escapes the entry point still aborts, since
// the harness aborts on an unwinding input.
static QUIET_CONTAINED_PANICS: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    QUIET_CONTAINED_PANICS.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("panic (contained unless the run aborts): {info}");
        }));
    });
    sieve_imip::fuzzing::script(data)
});
