//! The program's arguments, as XNU laid them out on the stack.

/// argv: `argc` NUL-terminated strings, and the bootstrap port.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
    bootstrap: u32,
}

impl Args {
    /// # Safety
    /// `argv` points to `argc` pointers, each to a NUL-terminated string,
    /// all of which stay unchanged for the program's life.
    pub(crate) unsafe fn from_raw(argc: usize, argv: *const *const u8, bootstrap: u32) -> Self {
        Args { argc, argv, bootstrap }
    }

    /// The send right the parent gave as our bootstrap port (0: none).
    pub fn bootstrap_port(&self) -> u32 {
        self.bootstrap
    }

    pub fn len(&self) -> usize {
        self.argc
    }

    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// Argument `i` (0 is the program's name); not UTF-8 reads as "".
    pub fn get(&self, i: usize) -> Option<&'static str> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: `i < argc`, so the pointer and its string exist (`from_raw`).
        unsafe {
            let s = *self.argv.add(i);
            let mut len = 0;
            while *s.add(len) != 0 {
                len += 1;
            }
            Some(core::str::from_utf8(core::slice::from_raw_parts(s, len)).unwrap_or(""))
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.argc).filter_map(move |i| self.get(i))
    }
}
