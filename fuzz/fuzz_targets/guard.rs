//! The Host / Origin / Sec-Fetch-Site guard of agentcore-identity-local: the first byte picks the
//! method, the rest is `\n`-separated Host, Origin, Sec-Fetch-Site and path. Any panic is a
//! finding, in particular a request let through whose Host does not name the service.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = agentcore_identity_local::fuzz_hook::guard_lets_through(data);
});
