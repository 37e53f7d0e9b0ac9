//! The binary as built, on Linux with glibc: it needs no shared library but those the image's
//! base (`gcr.io/distroless/cc-debian12`: glibc and libgcc) holds, and its relative relocations
//! are packed (`DT_RELR`, see build.rs), so a fresh process does not map a 670 KB `RELA` table.

#![cfg(all(target_os = "linux", target_env = "gnu", target_endian = "little"))]

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_RELASZ: u64 = 8;
const DT_RELRSZ: u64 = 35;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The offsets of an ELF64 file's program headers.
fn program_headers(elf: &[u8]) -> impl Iterator<Item = usize> + '_ {
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[4], 2, "not a 64-bit ELF file");
    let (phoff, phentsize, phnum) = (
        u64_at(elf, 0x20) as usize,
        u16_at(elf, 0x36) as usize,
        u16_at(elf, 0x38) as usize,
    );
    (0..phnum).map(move |i| phoff + i * phentsize)
}

/// The file offset of virtual address `vaddr` (in a `PT_LOAD` segment).
fn file_offset(elf: &[u8], vaddr: u64) -> usize {
    program_headers(elf)
        .filter(|&ph| u32_at(elf, ph) == PT_LOAD)
        .find_map(|ph| {
            let (offset, start, size) = (
                u64_at(elf, ph + 0x08),
                u64_at(elf, ph + 0x10),
                u64_at(elf, ph + 0x20),
            );
            (start..start + size)
                .contains(&vaddr)
                .then(|| (vaddr - start + offset) as usize)
        })
        .expect("the address is in a loaded segment")
}

/// The `(tag, value)` entries of an ELF64 file's dynamic section.
fn dynamic_entries(elf: &[u8]) -> Vec<(u64, u64)> {
    let dynamic = program_headers(elf)
        .find(|&ph| u32_at(elf, ph) == PT_DYNAMIC)
        .expect("a dynamically linked binary has a PT_DYNAMIC segment");
    let (offset, size) = (
        u64_at(elf, dynamic + 0x08) as usize,
        u64_at(elf, dynamic + 0x20) as usize,
    );
    elf[offset..offset + size]
        .chunks_exact(16)
        .map(|entry| (u64_at(entry, 0), u64_at(entry, 8)))
        .take_while(|&(tag, _)| tag != DT_NULL)
        .collect()
}

#[test]
fn relative_relocations_are_packed() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_openai-weather-agent")).unwrap();
    let entries = dynamic_entries(&elf);
    let size_of = |tag| entries.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v);
    let relr = size_of(DT_RELRSZ).expect(
        "no DT_RELR table: build.rs did not pass -z pack-relative-relocs to the linker, or the \
         linker ignored it (GNU ld older than 2.38 on x86-64, 2.40 on aarch64)",
    );
    assert!(relr > 0);
    // What stays in RELA is the few relocations against symbols (a few KB, not 670 KB).
    let rela = size_of(DT_RELASZ).unwrap_or(0);
    assert!(
        rela < 64 * 1024,
        "RELA still holds {rela} bytes: the relative relocations were not packed"
    );
}

#[test]
fn needs_only_what_the_image_base_holds() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_openai-weather-agent")).unwrap();
    let entries = dynamic_entries(&elf);
    let strtab = entries
        .iter()
        .find(|(tag, _)| *tag == DT_STRTAB)
        .map(|(_, vaddr)| file_offset(&elf, *vaddr))
        .expect("a dynamic string table");
    let needed: Vec<String> = entries
        .iter()
        .filter(|(tag, _)| *tag == DT_NEEDED)
        .map(|(_, name)| {
            let name = &elf[strtab + *name as usize..];
            let end = name.iter().position(|&b| b == 0).unwrap();
            String::from_utf8_lossy(&name[..end]).into_owned()
        })
        .collect();
    assert!(needed.iter().any(|n| n == "libc.so.6"), "{needed:?}");
    // glibc (libc, libm, the loader) and libgcc_s: what distroless/cc adds to distroless/base. A
    // library beyond these (OpenSSL, say) would make the image fail at start.
    for name in &needed {
        assert!(
            ["libc.so.6", "libm.so.6", "libgcc_s.so.1"].contains(&name.as_str())
                || name.starts_with("ld-linux"),
            "the binary needs {name}, which the image's base does not hold (all: {needed:?})"
        );
    }
}
