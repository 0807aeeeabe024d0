//! Runs the generator on a real seL4 5.0.0 tree (SEL4_SOURCE) with the
//! project's debug config and checks facts taken from the kernel's own
//! Python generators (`invocation_header_gen.py`, `syscall_header_gen.py`,
//! `syscall_stub_gen.py -a aarch64`). Then compiles the output against a
//! mock of the `sel4` crate's API: once as `#![no_std]` with warnings denied,
//! once as a program that calls the generated methods and checks what they
//! put in the message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sel4_bindgen::{generate, Config};

/// The kernel tree to check against. A plain `cargo test` before `make
/// kernel` has none and skips with a note; `make test` sets
/// SEL4_REQUIRE_KERNEL_TESTS=1, and then a missing tree is a failure.
fn kernel_source() -> Option<PathBuf> {
    let required = std::env::var_os("SEL4_REQUIRE_KERNEL_TESTS").is_some_and(|v| v == "1");
    let src = std::env::var_os("SEL4_SOURCE").map(PathBuf::from);
    // .cargo/config.toml points SEL4_SOURCE at the build's copy, which
    // exists only after `make kernel`.
    match src {
        Some(src) if src.join("libsel4").is_dir() => Some(src),
        _ if required => panic!("SEL4_REQUIRE_KERNEL_TESTS=1 but SEL4_SOURCE has no prepared kernel tree"),
        Some(src) => {
            eprintln!("note: SEL4_SOURCE={} has no libsel4/ (not prepared yet): skipping", src.display());
            None
        }
        None => {
            eprintln!("note: SEL4_SOURCE is not set: skipping the checks against a real kernel tree");
            None
        }
    }
}

fn config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernel/config/debug.config")
}

/// The debug config's output, generated once per test binary.
fn debug_output() -> Option<&'static str> {
    static OUT: OnceLock<Option<String>> = OnceLock::new();
    OUT.get_or_init(|| {
        let src = kernel_source()?;
        let cfg = Config::load(&config_path()).expect("debug.config parses");
        Some(generate(&src, &cfg).unwrap_or_else(|e| panic!("generate failed: {e}")))
    })
    .as_deref()
}

/// The debug config plus hardware-debug API and two cores: every
/// conditional generic method appears.
fn all_methods_output(src: &Path) -> String {
    let text = std::fs::read_to_string(config_path()).unwrap();
    let text = text.replace("CONFIG_MAX_NUM_NODES=1", "CONFIG_MAX_NUM_NODES=2")
        + "CONFIG_HARDWARE_DEBUG_API=y\n";
    generate(src, &Config::parse(&text).unwrap()).unwrap()
}

/// `Name = value,` lines of one generated enum.
fn enum_variants(out: &str, name: &str) -> Vec<(String, u64)> {
    let start = out
        .find(&format!("pub enum {name} {{"))
        .unwrap_or_else(|| panic!("no enum {name}"));
    let body = &out[start..start + out[start..].find("\n}").unwrap()];
    body.lines()
        .filter_map(|l| {
            let (n, v) = l.trim().trim_end_matches(',').split_once(" = ")?;
            Some((n.to_string(), v.parse().ok()?))
        })
        .collect()
}

#[test]
fn syscall_numbers() {
    let Some(out) = debug_output() else { return };
    for line in [
        "pub const CALL: i64 = -1;",
        "pub const REPLY_RECV: i64 = -2;",
        "pub const NB_SEND: i64 = -4;",
        "pub const NB_RECV: i64 = -8;",
        "pub const DEBUG_PUT_CHAR: i64 = -9;",
        "pub const DEBUG_NAME_THREAD: i64 = -13;",
    ] {
        assert!(out.contains(line), "missing `{line}`");
    }
    // Disabled blocks are left out (their numbers stay reserved).
    assert!(!out.contains("DEBUG_RUN") && !out.contains("BENCHMARK") && !out.contains("VM_ENTER"));
}

/// `nArchInvocationLabels` and every label, as the kernel's generator and
/// the C compiler number them for the debug config.
#[test]
fn invocation_labels_match_the_kernel_tool() {
    let Some(out) = debug_output() else { return };
    let expected = [
        "InvalidInvocation",
        "UntypedRetype",
        "TCBReadRegisters",
        "TCBWriteRegisters",
        "TCBCopyRegisters",
        "TCBConfigure",
        "TCBSetPriority",
        "TCBSetMCPriority",
        "TCBSetIPCBuffer",
        "TCBSetSpace",
        "TCBSuspend",
        "TCBResume",
        "TCBBindNotification",
        "TCBUnbindNotification",
        "CNodeRevoke",
        "CNodeDelete",
        "CNodeCancelBadgedSends",
        "CNodeCopy",
        "CNodeMint",
        "CNodeMove",
        "CNodeMutate",
        "CNodeRotate",
        "CNodeSaveCaller",
        "IRQIssueIRQHandler",
        "IRQAckIRQ",
        "IRQSetIRQHandler",
        "IRQClearIRQHandler",
        "DomainSetSet",
        "ARMPageGlobalDirectoryClean_Data",
        "ARMPageGlobalDirectoryInvalidate_Data",
        "ARMPageGlobalDirectoryCleanInvalidate_Data",
        "ARMPageGlobalDirectoryUnify_Instruction",
        "ARMPageUpperDirectoryMap",
        "ARMPageUpperDirectoryUnmap",
        "ARMPageDirectoryMap",
        "ARMPageDirectoryUnmap",
        "ARMPageTableMap",
        "ARMPageTableUnmap",
        "ARMPageMap",
        "ARMPageRemap",
        "ARMPageUnmap",
        "ARMPageClean_Data",
        "ARMPageInvalidate_Data",
        "ARMPageCleanInvalidate_Data",
        "ARMPageUnify_Instruction",
        "ARMPageGetAddress",
        "ARMASIDControlMakePool",
        "ARMASIDPoolAssign",
    ];
    let got = enum_variants(out, "InvocationLabel");
    let want: Vec<(String, u64)> = expected
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), i as u64))
        .collect();
    assert_eq!(got, want);
    assert!(out.contains("pub const INVOCATION_COUNT: u64 = 48;"));
}

#[test]
fn conditional_methods_shift_the_labels() {
    let Some(src) = kernel_source() else { return };
    let out = all_methods_output(&src);
    let got = enum_variants(&out, "InvocationLabel");
    let at = |n: &str| got.iter().find(|(x, _)| x == n).map(|(_, v)| *v);
    // Numbers from the kernel's headers compiled with these two options.
    assert_eq!(at("TCBSetAffinity"), Some(14));
    assert_eq!(at("TCBSetBreakpoint"), Some(15));
    assert_eq!(at("TCBGetBreakpoint"), Some(16));
    assert_eq!(at("TCBConfigureSingleStepping"), Some(18));
    assert_eq!(at("CNodeRevoke"), Some(19));
    assert_eq!(at("ARMPageTableMap"), Some(41));
    assert_eq!(at("ARMASIDPoolAssign"), Some(52));
    assert!(out.contains("pub const INVOCATION_COUNT: u64 = 53;"));
    // Outputs come back as a tuple in declaration order.
    assert!(out.contains("pub fn tcb_get_breakpoint(self, bp_num: u16) -> crate::Result<(crate::Word, crate::Word, crate::Word, crate::Word, bool)>"));
}

#[test]
fn object_types_errors_and_constants() {
    let Some(out) = debug_output() else { return };
    let names = [
        "Untyped",
        "Tcb",
        "Endpoint",
        "Notification",
        "CapTable",
        "HugePage",
        "PageUpperDirectory",
        "PageGlobalDirectory",
        "SmallPage",
        "LargePage",
        "PageTable",
        "PageDirectory",
    ];
    let want: Vec<(String, u64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), i as u64))
        .collect();
    assert_eq!(enum_variants(out, "ObjectType"), want);
    let errors = enum_variants(out, "ErrorCode");
    assert_eq!(errors.first(), Some(&("NoError".to_string(), 0)));
    assert_eq!(errors.last(), Some(&("NotEnoughMemory".to_string(), 10)));
    for line in [
        "pub const PAGE_BITS: u64 = 12;",
        "pub const SLOT_BITS: u64 = 5;",
        "pub const TCB_BITS: u64 = 11;",
        "pub const MIN_UNTYPED_BITS: u64 = 4;",
        "pub const MSG_MAX_LENGTH: u64 = 120;",
        "pub const MAX_PRIO: u64 = 255;",
        "pub const IP: usize = 0;",
        "pub const PREFETCH_FAULT: usize = 2;",
        "pub const VM_FAULT: u64 = 5;",
        "pub const CAP_INIT_THREAD_CNODE: u64 = 2;",
        "pub const DEBUG_BUILD: bool = true;",
        "pub const USER_CONTEXT_WORDS: usize = 34;",
    ] {
        assert!(out.contains(line), "missing `{line}`");
    }
}

#[test]
fn output_is_deterministic() {
    let Some(out) = debug_output() else { return };
    let src = kernel_source().unwrap();
    let again = generate(&src, &Config::load(&config_path()).unwrap()).unwrap();
    assert!(out.len() > 10_000);
    assert!(out == again, "two runs differ");
}

/// Every `crate::cap_type::X` the output names, so the mock defines them.
fn cap_types(out: &str) -> Vec<String> {
    let mut v: Vec<String> = out
        .split("crate::cap_type::")
        .skip(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The parts of the `sel4` crate the generated code calls; `invoke` records
/// its arguments and answers with reply words 100, 101, ...
fn mock(out: &str, no_std: bool) -> String {
    let caps: String = cap_types(out)
        .iter()
        .map(|c| format!("#[derive(Clone, Copy)] pub struct {c};\n"))
        .collect();
    let invoke = if no_std {
        "let _ = (service, label, words, caps); for (i, r) in reply.iter_mut().enumerate() { *r = 100 + i as u64; } Ok(())"
    } else {
        "LOG.with(|l| l.borrow_mut().push((service.0, label as u64, words.to_vec(), caps.iter().map(|c| c.0).collect()))); \
         for (i, r) in reply.iter_mut().enumerate() { *r = 100 + i as u64; } Ok(())"
    };
    format!(
        r#"
pub type Word = u64;
#[derive(Clone, Copy, Debug, PartialEq, Eq)] pub struct CPtr(pub u64);
impl CPtr {{ pub const fn bits(self) -> u64 {{ self.0 }} }}
pub mod cap_type {{ {caps} }}
pub struct Cap<T>(pub CPtr, pub core::marker::PhantomData<T>);
impl<T> Clone for Cap<T> {{ fn clone(&self) -> Self {{ *self }} }}
impl<T> Copy for Cap<T> {{}}
impl<T> Cap<T> {{ pub const fn new(v: u64) -> Self {{ Cap(CPtr(v), core::marker::PhantomData) }} pub const fn cptr(self) -> CPtr {{ self.0 }} }}
#[derive(Clone, Copy)] pub struct CapRights(pub u64);
impl CapRights {{ pub fn into_word(self) -> u64 {{ self.0 }} }}
#[derive(Clone, Copy)] pub struct CapData(pub u64);
impl CapData {{ pub fn into_word(self) -> u64 {{ self.0 }} }}
#[derive(Clone, Copy)] pub struct PrioProps(pub u64);
impl PrioProps {{ pub fn into_word(self) -> u64 {{ self.0 }} }}
#[derive(Clone, Copy)] pub struct VmAttributes(pub u64);
impl VmAttributes {{ pub const fn into_word(self) -> u64 {{ self.0 }} }}
#[derive(Debug)] pub struct Error;
pub type Result<T> = core::result::Result<T, Error>;
mod invocation {{
    #[cfg(not(no_std_check))]
    thread_local! {{ pub static LOG: core::cell::RefCell<Vec<(u64, u64, Vec<u64>, Vec<u64>)>> = const {{ core::cell::RefCell::new(Vec::new()) }}; }}
    pub(crate) fn invoke(service: crate::CPtr, label: crate::generated::InvocationLabel, words: &[u64], caps: &[crate::CPtr], reply: &mut [u64]) -> crate::Result<()> {{
        {invoke}
    }}
}}
pub mod generated {{ include!("generated.rs"); }}
"#
    )
}

fn rustc(dir: &Path, args: &[&str]) {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let res = Command::new(&rustc)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run rustc");
    assert!(
        res.status.success() && res.stderr.is_empty(),
        "rustc {args:?} in {} failed or warned:\n{}",
        dir.display(),
        String::from_utf8_lossy(&res.stderr)
    );
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn compiles_warning_free_in_a_no_std_crate() {
    let Some(src) = kernel_source() else { return };
    for (name, out) in [
        ("nostd-debug", debug_output().unwrap().to_string()),
        ("nostd-all", all_methods_output(&src)),
    ] {
        let dir = scratch(name);
        std::fs::write(dir.join("generated.rs"), &out).unwrap();
        let lib = format!("#![no_std]\n#![deny(warnings)]\n{}", mock(&out, true));
        std::fs::write(dir.join("lib.rs"), lib).unwrap();
        rustc(
            &dir,
            &[
                "--edition",
                "2021",
                "--crate-type",
                "lib",
                "--crate-name",
                "mock_sel4",
                "--emit",
                "metadata",
                "--cfg",
                "no_std_check",
                "-o",
                "mock.rmeta",
                "lib.rs",
            ],
        );
    }
}

/// Calls generated methods and checks the words, caps and labels they send
/// against `syscall_stub_gen.py`'s aarch64 stubs.
const BEHAVIOUR: &str = r#"
use generated::*;
fn last() -> (u64, u64, Vec<u64>, Vec<u64>) { invocation::LOG.with(|l| l.borrow().last().cloned().unwrap()) }
fn main() {
    let m = seL4_MessageInfo::new(0xabcde, 5, 3, 0x55);
    assert_eq!(m.0[0], (0xabcde << 12) | (5 << 9) | (3 << 7) | 0x55);
    assert_eq!((m.get_label(), m.get_caps_unwrapped(), m.get_extra_caps(), m.get_length()), (0xabcde, 5, 3, 0x55));
    let mut m2 = m;
    m2.set_length(0xfff);
    assert_eq!(m2.get_length(), 0x7f);
    assert_eq!(m2.get_extra_caps(), 3);
    assert_eq!(seL4_CapRights::new(1, 0, 1).0[0], 0b101);

    let tcb: Cap<cap_type::Tcb> = Cap::new(7);
    let cnode: Cap<cap_type::CNode> = Cap::new(2);
    let mut ctx = UserContext::default();
    tcb.tcb_read_registers(true, 0xab, 9, &mut ctx).unwrap();
    assert_eq!(last(), (7, InvocationLabel::TCBReadRegisters as u64, vec![1 | (0xab << 8), 9], vec![]));
    assert_eq!((ctx.pc, ctx.sp, ctx.x0, ctx.x16, ctx.x28), (100, 101, 103, 112, 133));

    ctx.pc = 0x1000;
    ctx.x28 = 0x28;
    tcb.tcb_write_registers(false, 1, 34, &ctx).unwrap();
    let (_, label, words, _) = last();
    assert_eq!(label, InvocationLabel::TCBWriteRegisters as u64);
    assert_eq!(words.len(), 36);
    assert_eq!((words[0], words[1], words[2], words[35]), (1 << 8, 34, 0x1000, 0x28));

    tcb.tcb_copy_registers(Cap::new(8), true, false, true, true, 0x3).unwrap();
    assert_eq!(last().2, vec![0b1101 | (0x3 << 8)]);
    assert_eq!(last().3, vec![8]);

    tcb.tcb_configure(11, PrioProps(0xff), cnode, CapData(0xc), Cap::new(3), CapData(0xd), 0x5000, CPtr(12)).unwrap();
    assert_eq!(last().2, vec![11, 0xff, 0xc, 0xd, 0x5000]);
    assert_eq!(last().3, vec![2, 3, 12]);

    cnode.cnode_copy(5, 64, Cap::new(2), 6, 32, CapRights(7)).unwrap();
    assert_eq!(last(), (2, InvocationLabel::CNodeCopy as u64, vec![5, 64, 6, 32, 7], vec![2]));
    cnode.cnode_rotate(1, 2, CapData(3), Cap::new(4), 5, 6, CapData(7), Cap::new(8), 9, 10).unwrap();
    assert_eq!(last().2, vec![1, 2, 3, 5, 6, 7, 9, 10]);
    assert_eq!(last().3, vec![4, 8]);

    let irq: Cap<cap_type::IrqControl> = Cap::new(4);
    irq.irq_control_get(-1, cnode, 77, 64).unwrap();
    assert_eq!(last().2, vec![0xffff_ffff, 77, 64]);

    let untyped: Cap<cap_type::Untyped> = Cap::new(20);
    untyped.untyped_retype(ObjectType::Tcb as u64, 0, cnode, 0, 0, 100, 1).unwrap();
    assert_eq!(last(), (20, 1, vec![1, 0, 0, 0, 100, 1], vec![2]));

    let page: Cap<cap_type::Page> = Cap::new(30);
    page.page_map(CPtr(3), 0x40_0000, CapRights(3), VmAttributes(4)).unwrap();
    assert_eq!(last().2, vec![0x40_0000, 3, 4]);
    assert_eq!(page.page_get_address().unwrap(), 100);

    let asid: Cap<cap_type::AsidControl> = Cap::new(5);
    asid.asid_control_make_pool(untyped, cnode, 40, 64).unwrap();
    assert_eq!(last().2, vec![40, 64]);
    assert_eq!(last().3, vec![20, 2]);
    println!("behaviour ok");
}
"#;

#[test]
fn generated_methods_marshal_like_the_kernel_stubs() {
    let Some(out) = debug_output() else { return };
    let dir = scratch("behaviour");
    std::fs::write(dir.join("generated.rs"), out).unwrap();
    std::fs::write(
        dir.join("main.rs"),
        format!("#![allow(dead_code)]\n{}\n{BEHAVIOUR}", mock(out, false)),
    )
    .unwrap();
    rustc(
        &dir,
        &[
            "--edition",
            "2021",
            "--crate-name",
            "behaviour",
            "-o",
            "behaviour",
            "main.rs",
        ],
    );
    let run = Command::new(dir.join("behaviour"))
        .output()
        .expect("run the behaviour check");
    assert!(
        run.status.success(),
        "behaviour check failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}
