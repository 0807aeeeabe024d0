//! Interrupts: IRQ handler caps, delivery to notifications, ack.
