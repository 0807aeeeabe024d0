//! `print!` and friends, on fds 1 and 2 (XNU's console).
use core::fmt;

/// A `fmt::Write` over a file descriptor.
pub struct Fd(pub u64);

impl fmt::Write for Fd {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        crate::bsd::write_all(self.0, s.as_bytes()).map_err(|_| fmt::Error)
    }
}

/// Formats into a line buffer first, so a line goes to XNU in one write.
pub fn print_to(fd: u64, args: fmt::Arguments) {
    let mut line = LineBuf { buf: [0; 256], len: 0, fd };
    let _ = fmt::write(&mut line, args);
    line.flush();
}

struct LineBuf {
    buf: [u8; 256],
    len: usize,
    fd: u64,
}

impl LineBuf {
    fn flush(&mut self) {
        let _ = crate::bsd::write_all(self.fd, &self.buf[..self.len]);
        self.len = 0;
    }
}

impl fmt::Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::print::print_to(1, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print::print_to(1, format_args!("{}\n", format_args!($($arg)*))) };
}

#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => { $crate::print::print_to(2, format_args!("{}\n", format_args!($($arg)*))) };
}
