//! Symbols `microkit-tool build` fills in (see `monitor_spec::abi::symbol`):
//! the PD's name and the sets of channel ids it was granted. They start out
//! zero, so an image not built by the tool has no name and no rights.

use monitor_spec::abi::MAX_NAME_LEN;

#[no_mangle]
#[used]
static microkit_name: [u8; MAX_NAME_LEN] = [0; MAX_NAME_LEN];
#[no_mangle]
#[used]
static microkit_notifications: u64 = 0;
#[no_mangle]
#[used]
static microkit_pps: u64 = 0;
#[no_mangle]
#[used]
static microkit_irqs: u64 = 0;
#[no_mangle]
#[used]
static microkit_children: u64 = 0;
#[no_mangle]
#[used]
static microkit_child_entries: [u64; 64] = [0; 64];

/// Volatile, so the compiler does not fold in the zeros it compiled.
fn read<T: Copy>(value: &'static T) -> T {
    // SAFETY: a read of our own immutable static.
    unsafe { core::ptr::read_volatile(value) }
}

pub fn pd_name() -> &'static str {
    // The tool wrote the name before the PD started; nothing writes it since.
    let bytes: &'static [u8; MAX_NAME_LEN] = &microkit_name;
    let len = read(bytes).iter().position(|&b| b == 0).unwrap_or(MAX_NAME_LEN);
    core::str::from_utf8(&bytes[..len]).unwrap_or("?")
}

pub(crate) fn notifications() -> u64 {
    read(&microkit_notifications)
}
pub(crate) fn pps() -> u64 {
    read(&microkit_pps)
}
pub(crate) fn irqs() -> u64 {
    read(&microkit_irqs)
}
pub(crate) fn children() -> u64 {
    read(&microkit_children)
}
pub(crate) fn child_entry(id: u8) -> u64 {
    read(&microkit_child_entries).get(usize::from(id)).copied().unwrap_or(0)
}
