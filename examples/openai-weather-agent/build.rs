//! Links the agent's binary with packed relative relocations (`DT_RELR`) on Linux with glibc.
//!
//! A position-independent binary of this size carries about 28,000 relative relocations; as
//! `RELA` entries (24 bytes each) the table is 670 KB that the dynamic loader reads, and so maps
//! into every fresh process: about 0.6 MiB of its resident memory at start, an eighth of the
//! 16 MiB cold-start budget (bench/README.md, "Cold start"). Packed (`-z pack-relative-relocs`)
//! it is 7 KB. Needs glibc 2.36 at run time (Debian 12, the image's base, has it; the binary
//! then names `GLIBC_ABI_DT_RELR`, so an older glibc refuses it at load instead of misbehaving)
//! and GNU ld 2.38 (x86-64; 2.40 for aarch64, as Debian 12 and the image's build stage have), lld
//! 15 or mold to take effect (an older GNU ld ignores it with a warning).

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
