//! Compile-time behaviour: what must expand cleanly, and the exact errors for each mistake.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p agentcore-identity-macros
//! --test ui` and review the diff like code. One toolchain only: stderr text changes between
//! releases.

#[rustversion::stable]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
