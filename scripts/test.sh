#!/usr/bin/env bash
# Runs every check and test of the workspace on a fresh machine: installs the test OpenID
# provider (npm oidc-provider, pinned by testkit/idp/package-lock.json), then builds once and
# runs all tests from that build. The local identity service is started in-process by the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> installing the test OpenID provider (npm ci)"
npm ci --prefix testkit/idp --no-audit --no-fund --loglevel=error

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo machete (no unused dependencies)"
if ! cargo machete --version >/dev/null 2>&1; then
    cargo install cargo-machete@0.9.2 --locked --quiet
fi
cargo machete

echo "==> cargo test (all crates, all features)"
cargo test --workspace --all-features --no-fail-fast

echo "==> cargo clippy -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

echo "==> cargo doc -D warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps --quiet

echo "all checks passed"
