//! Request decoding and validation of agentcore-identity-local: the first byte picks one of the
//! operations (modulo their number), the rest is its HTTP request body. Any panic is a finding; so is a status the
//! service must never answer at this stage.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&op, body)) = data.split_first() else {
        return;
    };
    let status = agentcore_identity_local::fuzz_hook::decode_and_validate(op, body);
    assert!(
        matches!(status, 200 | 400 | 403),
        "unexpected status {status} from decoding and validation"
    );
});
