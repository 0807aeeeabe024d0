//! Interrupts: IRQ handler caps, delivery to notifications, ack.
//!
//! Delivery uses the PL011 UART's transmit interrupt: QEMU raises it each time a
//! byte is written, so a test can cause real interrupts without outside input;
//! and the physical generic timer, which EL0 programs itself.

use sel4::cap_type::IrqHandler;
use sel4::{Cap, CapRights, Error, VmAttributes, Word};
use pl011::Pl011;
use sel4_test::{check, check_eq, check_err, test_case, Env, Failure, ResultExt, TestResult};

/// The QEMU virt PL011 UART's interrupt: free for user handlers (the kernel polls the UART).
const UART_IRQ: i32 = 33;
/// The kernel's own timer interrupt (the virtual timer PPI).
const KERNEL_TIMER_IRQ: i32 = 27;
/// The highest interrupt number on QEMU virt (the kernel's maxIRQ).
const MAX_IRQ: i32 = 159;

/// Asks IRQ control for `irq`'s handler cap in a fresh slot.
fn get_handler(env: &mut Env, irq: i32) -> Result<sel4::Result<Cap<IrqHandler>>, Failure> {
    let slot = env.alloc_slot()?;
    Ok(env.irq_control.irq_control_get(irq, env.cnode, slot, 64).map(|()| Cap::from_bits(slot)))
}

test_case!(IRQ0001, "only one handler cap per IRQ (RevokeFirst); deleting it lets the IRQ be issued again", irq0001);
fn irq0001(env: &mut Env) -> TestResult {
    let handler = get_handler(env, UART_IRQ)?.or_fail("first handler for the UART IRQ")?;
    check_err!(get_handler(env, UART_IRQ)?, Error::RevokeFirst);
    env.cnode.cnode_delete(handler.bits(), 64).or_fail("delete the handler")?;
    get_handler(env, UART_IRQ)?.or_fail("handler after deleting the first")?;
    Ok(())
}

test_case!(IRQ0002, "IRQ numbers above maxIRQ are RangeError; the kernel's timer IRQ is already taken (RevokeFirst)", irq0002);
fn irq0002(env: &mut Env) -> TestResult {
    check_err!(get_handler(env, MAX_IRQ + 1)?, Error::RangeError);
    check_err!(get_handler(env, -1)?, Error::RangeError);
    check_err!(get_handler(env, KERNEL_TIMER_IRQ)?, Error::RevokeFirst);
    get_handler(env, MAX_IRQ)?.or_fail("handler for the highest IRQ")?;
    Ok(())
}

test_case!(IRQ0006, "an IRQ number above maxIRQ that names a valid IRQ once narrowed to 16 bits (0x10000 + 33) is RangeError (patch 0011; 5.0.0 narrowed it first and issued IRQ 33's handler)", irq0006);
fn irq0006(env: &mut Env) -> TestResult {
    let issued = get_handler(env, 0x1_0000 + UART_IRQ)?;
    if cfg!(patch_irq_range_before_cast) {
        check_err!(issued, Error::RangeError);
        get_handler(env, UART_IRQ)?.or_fail("IRQ 33 is still free")?;
    } else {
        issued.or_fail("5.0.0 issues the narrowed number")?;
        check_err!(get_handler(env, UART_IRQ)?, Error::RevokeFirst);
    }
    Ok(())
}

test_case!(IRQ0003, "a handler cap cannot be issued into an occupied slot (DeleteFirst)", irq0003);
fn irq0003(env: &mut Env) -> TestResult {
    let occupied = env.notification()?;
    check_err!(env.irq_control.irq_control_get(UART_IRQ, env.cnode, occupied.bits(), 64), Error::DeleteFirst);
    // The failed attempt did not claim the IRQ.
    get_handler(env, UART_IRQ)?.or_fail("handler after the failed attempt")?;
    Ok(())
}

test_case!(IRQ0004, "set_notification takes a notification cap with send right only (InvalidCapability); ack and clear succeed", irq0004);
fn irq0004(env: &mut Env) -> TestResult {
    let handler = get_handler(env, UART_IRQ)?.or_fail("handler for the UART IRQ")?;
    let ntfn = env.notification()?;
    let endpoint = env.endpoint()?;
    let no_send = env.mint(ntfn, CapRights::read_only(), 0)?;
    check_err!(handler.irq_handler_set_notification(endpoint.cptr()), Error::InvalidCapability);
    check_err!(handler.irq_handler_set_notification(no_send.cptr()), Error::InvalidCapability);
    handler.irq_handler_set_notification(ntfn.cptr()).or_fail("set the notification")?;
    handler.irq_handler_ack().or_fail("ack")?;
    handler.irq_handler_clear().or_fail("clear")?;
    handler.irq_handler_ack().or_fail("ack with no notification set")?;
    Ok(())
}

/// Maps the PL011's registers uncached into the test's window.
fn map_uart(env: &mut Env) -> Result<Pl011, Failure> {
    let frame = env.uart_frame()?;
    let base = env.reserve_pages(1)?;
    env.map(frame, base, CapRights::read_write(), VmAttributes::NONE)?;
    // SAFETY: mapped just above; the mapping lasts until the test ends.
    Ok(unsafe { Pl011::at(base) })
}

/// Sends a carriage return: invisible in the log (the harness trims it), and
/// it raises the TX interrupt.
fn transmit(uart: &Pl011) {
    uart.write(Pl011::DR, u32::from(b'\r'));
}

test_case!(IRQ0005, "the PL011 interrupt is delivered to a notification; ack re-arms it", irq0005);
fn irq0005(env: &mut Env) -> TestResult {
    const BADGE: Word = 0x33;
    let uart = map_uart(env)?;
    let ntfn = env.notification()?;
    let badged = env.mint(ntfn, CapRights::all(), BADGE)?;
    let handler = get_handler(env, UART_IRQ)?.or_fail("handler for the UART IRQ")?;
    handler.irq_handler_set_notification(badged.cptr()).or_fail("set notification")?;

    uart.write(Pl011::ICR, Pl011::TX_INTERRUPT);
    uart.write(Pl011::IMSC, Pl011::TX_INTERRUPT);
    transmit(&uart);
    check_eq!(ntfn.wait(), BADGE);
    check!(uart.read(Pl011::MIS) & Pl011::TX_INTERRUPT != 0, "delivered, but the UART shows no TX interrupt");

    // Until acked the IRQ stays masked: the still-asserted line delivers nothing.
    transmit(&uart);
    check_eq!(ntfn.poll(), 0);
    // Ack unmasks it, and the pending interrupt arrives at once.
    handler.irq_handler_ack().or_fail("ack")?;
    check_eq!(ntfn.wait(), BADGE);

    // Quiet the device again before the handler cap goes away with the test.
    uart.write(Pl011::IMSC, 0);
    uart.write(Pl011::ICR, Pl011::TX_INTERRUPT);
    handler.irq_handler_ack().or_fail("final ack")?;
    Ok(())
}

test_case!(IRQ0007, "EL0 reads CNTPCT_EL0 and CNTFRQ_EL0 and programs the physical timer (CNTP_CVAL_EL0, CNTP_CTL_EL0): its PPI 30 reaches a notification once the counter passes the compare value; masked, the timer shows the condition and raises nothing", irq0007);
fn irq0007(env: &mut Env) -> TestResult {
    use generic_timer::{CTL_ENABLE, CTL_IMASK, CTL_ISTATUS};
    const BADGE: Word = 0x30;
    let ntfn = env.notification()?;
    let badged = env.mint(ntfn, CapRights::all(), BADGE)?;
    let handler = get_handler(env, generic_timer::IRQ as i32)?.or_fail("handler for the physical timer's IRQ")?;
    handler.irq_handler_set_notification(badged.cptr()).or_fail("set notification")?;
    handler.irq_handler_ack().or_fail("ack")?;

    let hz = generic_timer::frequency();
    check!(hz != 0, "CNTFRQ_EL0 reads 0");
    let before = generic_timer::counter();
    let deadline = generic_timer::counter() + hz / 1000;
    check!(deadline > before, "the counter did not move forward");
    generic_timer::set_compare(deadline);
    check_eq!(generic_timer::compare(), deadline);
    generic_timer::set_control(CTL_ENABLE);
    check_eq!(ntfn.wait(), BADGE);
    let woken = generic_timer::counter();
    check!(woken >= deadline, "the interrupt came at {:#x}, before the compare value {:#x}", woken, deadline);
    check_eq!(generic_timer::control(), CTL_ENABLE | CTL_ISTATUS);

    // Masked, the condition still shows, and the level-sensitive line stays
    // low: after the ack nothing arrives.
    generic_timer::set_control(CTL_ENABLE | CTL_IMASK);
    handler.irq_handler_ack().or_fail("ack after masking")?;
    sel4::r#yield();
    check_eq!(ntfn.poll(), 0);
    check_eq!(generic_timer::control(), CTL_ENABLE | CTL_IMASK | CTL_ISTATUS);
    // Disabled before the handler cap goes away with the test (ISTATUS is
    // then UNKNOWN, so not checked).
    generic_timer::set_control(0);
    check_eq!(generic_timer::control() & (CTL_ENABLE | CTL_IMASK), 0);
    Ok(())
}
