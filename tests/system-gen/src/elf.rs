//! A minimal ELF64 AArch64 executable writer: program headers, segment
//! bytes, and optionally a symbol table of absolute symbols.

#[derive(Debug, Clone, Default)]
pub struct Segment {
    pub vaddr: u64,
    pub mem_size: u64,
    /// PF_X = 1, PF_W = 2, PF_R = 4.
    pub flags: u32,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Symbol {
    pub name: String,
    pub vaddr: u64,
    pub size: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Elf {
    pub entry: u64,
    pub segments: Vec<Segment>,
    pub symbols: Vec<Symbol>,
    /// Without one, the file has no sections at all.
    pub symbol_table: bool,
}

const PAGE: u64 = 0x1000;
const EHDR: u64 = 64;
const PHDR: u64 = 56;
const SYM: u64 = 24;
const SHDR: u64 = 64;

fn put(out: &mut Vec<u8>, words: &[u64], size: usize) {
    for w in words {
        out.extend_from_slice(&w.to_le_bytes()[..size]);
    }
}

impl Elf {
    pub fn to_bytes(&self) -> Vec<u8> {
        // Segment bytes first, each at a file offset congruent to its vaddr.
        let mut offset = EHDR + PHDR * self.segments.len() as u64;
        let mut offsets = Vec::new();
        for s in &self.segments {
            offset = offset.next_multiple_of(PAGE) + s.vaddr % PAGE;
            offsets.push(offset);
            offset += s.data.len() as u64;
        }
        let mut strtab = vec![0u8];
        let mut names = Vec::new();
        for s in &self.symbols {
            names.push(strtab.len() as u64);
            strtab.extend_from_slice(s.name.as_bytes());
            strtab.push(0);
        }
        let shstrtab = b"\0.symtab\0.strtab\0.shstrtab\0";
        let symtab_off = offset.next_multiple_of(8);
        let symtab_size = SYM * (self.symbols.len() as u64 + 1);
        let strtab_off = symtab_off + symtab_size;
        let shstrtab_off = strtab_off + strtab.len() as u64;
        let shoff = (shstrtab_off + shstrtab.len() as u64).next_multiple_of(8);
        let (shoff_field, shnum, shstrndx) = if self.symbol_table { (shoff, 4, 3) } else { (0, 0, 0) };

        let mut e = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        put(&mut e, &[2, 183], 2); // ET_EXEC, EM_AARCH64
        put(&mut e, &[1], 4);
        put(&mut e, &[self.entry, EHDR, shoff_field], 8);
        put(&mut e, &[0], 4);
        put(&mut e, &[EHDR, PHDR, self.segments.len() as u64, SHDR, shnum, shstrndx], 2);
        for (s, &off) in self.segments.iter().zip(&offsets) {
            put(&mut e, &[1, u64::from(s.flags)], 4); // PT_LOAD
            put(&mut e, &[off, s.vaddr, s.vaddr, s.data.len() as u64, s.mem_size, PAGE], 8);
        }
        for (s, &off) in self.segments.iter().zip(&offsets) {
            e.resize(off as usize, 0);
            e.extend_from_slice(&s.data);
        }
        if !self.symbol_table {
            return e;
        }
        e.resize(symtab_off as usize, 0);
        e.extend_from_slice(&[0; SYM as usize]);
        for (s, &name) in self.symbols.iter().zip(&names) {
            put(&mut e, &[name], 4);
            e.extend_from_slice(&[0x11, 0]); // GLOBAL OBJECT
            put(&mut e, &[0xfff1], 2); // SHN_ABS
            put(&mut e, &[s.vaddr, s.size], 8);
        }
        e.extend_from_slice(&strtab);
        e.extend_from_slice(shstrtab);
        e.resize(shoff as usize, 0);
        e.extend_from_slice(&[0; SHDR as usize]);
        let mut section = |name: u64, kind: u64, off: u64, size: u64, link: u64, info: u64, align: u64, entsize: u64| {
            put(&mut e, &[name, kind], 4);
            put(&mut e, &[0, 0, off, size], 8);
            put(&mut e, &[link, info], 4);
            put(&mut e, &[align, entsize], 8);
        };
        section(1, 2, symtab_off, symtab_size, 2, 1, 8, SYM); // SHT_SYMTAB
        section(9, 3, strtab_off, strtab.len() as u64, 0, 0, 1, 0); // SHT_STRTAB
        section(17, 3, shstrtab_off, shstrtab.len() as u64, 0, 0, 1, 0);
        e
    }
}
