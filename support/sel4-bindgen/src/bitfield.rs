//! The kernel's bitfield description language (`.bf`). The files first go
//! through `preprocess` (`#include`, `#ifdef`, `#endif`), as in the kernel build.
//!
//! Fields are listed from the most significant bit of the last word down to
//! bit 0 of word 0 (`bitfield_gen.py`'s `Block`), so a field's offset is the
//! total size minus the sizes of everything listed up to and including it.

use std::collections::HashMap;

use crate::config::parse_int;
use crate::error::{Error, Result};
use crate::preprocess::SrcLine;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// Bit offset from bit 0 of word 0.
    pub offset: u32,
    pub size: u32,
    /// `field_high`: the field holds the top `size` bits of a `base_bits` value.
    pub high: bool,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub name: String,
    pub base: u32,
    /// Significant bits of a `field_high` value (`base 64(48,1)`), and whether
    /// such values sign-extend from the top significant bit.
    pub base_bits: u32,
    pub sign_extend: bool,
    pub size: u32,
    /// Named fields in declaration order.
    pub fields: Vec<Field>,
    /// Argument order of the constructor: declaration order unless the block
    /// gives one (`block B(f1, f2) {...}`).
    pub visible_order: Vec<String>,
    pub file: String,
    pub line: usize,
}

impl Block {
    pub fn words(&self) -> u32 {
        self.size / self.base
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct TaggedUnion {
    pub name: String,
    pub tag_field: String,
    pub tags: Vec<(String, u64)>,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct BitfieldSpec {
    pub blocks: Vec<Block>,
    pub unions: Vec<TaggedUnion>,
}

impl BitfieldSpec {
    pub fn block(&self, name: &str) -> Option<&Block> {
        self.blocks.iter().find(|b| b.name == name)
    }

    pub fn union(&self, name: &str) -> Option<&TaggedUnion> {
        self.unions.iter().find(|u| u.name == name)
    }

    /// Checks what only makes sense across files: unique names, and tagged
    /// unions whose blocks exist and all hold the tag field.
    pub fn validate(&self) -> Result<()> {
        let mut names = HashMap::new();
        for b in &self.blocks {
            if let Some(prev) = names.insert(b.name.as_str(), (&b.file, b.line)) {
                return Err(Error::syntax(
                    &b.file,
                    b.line,
                    format!(
                        "block `{}` already defined at {}:{}",
                        b.name, prev.0, prev.1
                    ),
                ));
            }
        }
        for u in &self.unions {
            if let Some(prev) = names.insert(u.name.as_str(), (&u.file, u.line)) {
                return Err(Error::syntax(
                    &u.file,
                    u.line,
                    format!("`{}` already defined at {}:{}", u.name, prev.0, prev.1),
                ));
            }
            for (tag, _) in &u.tags {
                let Some(b) = self.block(tag) else {
                    return Err(Error::syntax(
                        &u.file,
                        u.line,
                        format!("tagged_union `{}`: no block `{tag}`", u.name),
                    ));
                };
                if b.field(&u.tag_field).is_none_or(|f| f.high) {
                    return Err(Error::syntax(
                        &u.file,
                        u.line,
                        format!(
                            "tagged_union `{}`: block `{tag}` has no plain field `{}`",
                            u.name, u.tag_field
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(u64),
    Punct(char),
}

struct Lexed {
    tok: Tok,
    file: String,
    line: usize,
}

fn lex(lines: &[SrcLine]) -> Result<Vec<Lexed>> {
    let mut out = Vec::new();
    for l in lines {
        let text = match l.text.find("--") {
            Some(i) => &l.text[..i],
            None => &l.text,
        };
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i] as char;
            let start = i;
            let tok = if c.is_whitespace() {
                i += 1;
                continue;
            } else if c.is_ascii_alphabetic() || c == '_' {
                while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                Tok::Ident(text[start..i].to_string())
            } else if c.is_ascii_digit() {
                while i < b.len() && (b[i] as char).is_ascii_alphanumeric() {
                    i += 1;
                }
                let lit = &text[start..i];
                match parse_int(lit).and_then(|v| u64::try_from(v).ok()) {
                    Some(v) => Tok::Int(v),
                    None => {
                        return Err(Error::syntax(
                            &l.file,
                            l.line,
                            format!("bad number `{lit}`"),
                        ))
                    }
                }
            } else if "{}(),".contains(c) {
                i += 1;
                Tok::Punct(c)
            } else {
                return Err(Error::syntax(
                    &l.file,
                    l.line,
                    format!("unexpected character `{c}`"),
                ));
            };
            out.push(Lexed {
                tok,
                file: l.file.clone(),
                line: l.line,
            });
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Lexed>,
    pos: usize,
    end: (String, usize),
}

impl Parser {
    fn here(&self) -> (String, usize) {
        self.toks
            .get(self.pos)
            .map(|t| (t.file.clone(), t.line))
            .unwrap_or_else(|| self.end.clone())
    }

    fn err(&self, msg: impl Into<String>) -> Error {
        let (f, l) = self.here();
        Error::syntax(&f, l, msg)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn ident(&mut self, what: &str) -> Result<String> {
        match self.peek() {
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            other => Err(self.err(format!("expected {what}, found {other:?}"))),
        }
    }

    fn int(&mut self, what: &str) -> Result<u64> {
        match self.peek() {
            Some(Tok::Int(v)) => {
                let v = *v;
                self.pos += 1;
                Ok(v)
            }
            other => Err(self.err(format!("expected {what}, found {other:?}"))),
        }
    }

    fn punct(&mut self, c: char) -> Result<()> {
        match self.peek() {
            Some(Tok::Punct(p)) if *p == c => {
                self.pos += 1;
                Ok(())
            }
            other => Err(self.err(format!("expected `{c}`, found {other:?}"))),
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Punct(p)) if *p == c);
        if hit {
            self.pos += 1;
        }
        hit
    }
}

fn small(v: u64, p: &Parser, what: &str) -> Result<u32> {
    u32::try_from(v)
        .ok()
        .filter(|&v| v <= 4096)
        .ok_or_else(|| p.err(format!("{what} {v} is too large")))
}

/// Parses preprocessed `.bf` source. A file's `base` applies to the blocks after it.
pub fn parse(lines: &[SrcLine]) -> Result<BitfieldSpec> {
    let end = lines
        .last()
        .map(|l| (l.file.clone(), l.line))
        .unwrap_or(("<bf>".into(), 0));
    let mut p = Parser {
        toks: lex(lines)?,
        pos: 0,
        end,
    };
    let mut spec = BitfieldSpec::default();
    let mut base: Option<(u32, u32, bool)> = None;
    while p.peek().is_some() {
        let (file, line) = p.here();
        match p.next() {
            Some(Tok::Ident(kw)) if kw == "base" => {
                let b = p.int("base size")?;
                let b = small(b, &p, "base")?;
                if ![8, 16, 32, 64].contains(&b) {
                    return Err(p.err(format!("unsupported base {b}")));
                }
                let (bits, sign) = if p.eat_punct('(') {
                    let bits = small(p.int("base bits")?, &p, "base bits")?;
                    p.punct(',')?;
                    let sign = p.int("sign extension flag")?;
                    p.punct(')')?;
                    if bits > b || sign > 1 {
                        return Err(p.err(format!("bad base arguments ({bits}, {sign})")));
                    }
                    (bits, sign == 1)
                } else {
                    (b, false)
                };
                base = Some((b, bits, sign));
            }
            Some(Tok::Ident(kw)) if kw == "block" => {
                let name = p.ident("block name")?;
                let Some((b, bits, sign)) = base else {
                    return Err(Error::syntax(
                        &file,
                        line,
                        format!("block `{name}` before any `base`"),
                    ));
                };
                let mut visible = None;
                if p.eat_punct('(') {
                    let mut v = Vec::new();
                    if !p.eat_punct(')') {
                        loop {
                            v.push(p.ident("field name")?);
                            if p.eat_punct(')') {
                                break;
                            }
                            p.punct(',')?;
                        }
                    }
                    visible = Some(v);
                }
                p.punct('{')?;
                let mut raw = Vec::new();
                loop {
                    match p.next() {
                        Some(Tok::Punct('}')) => break,
                        Some(Tok::Ident(k)) if k == "padding" => {
                            raw.push((None, small(p.int("padding size")?, &p, "size")?, false))
                        }
                        Some(Tok::Ident(k)) if k == "field" || k == "field_high" => {
                            let n = p.ident("field name")?;
                            let s = small(p.int("field size")?, &p, "size")?;
                            raw.push((Some(n), s, k == "field_high"));
                        }
                        other => {
                            p.pos -= 1;
                            return Err(p.err(format!("in block `{name}`: expected field, field_high, padding or `}}`, found {other:?}")));
                        }
                    }
                }
                spec.blocks.push(make_block(
                    name,
                    raw,
                    visible,
                    (b, bits, sign),
                    &file,
                    line,
                )?);
            }
            Some(Tok::Ident(kw)) if kw == "tagged_union" => {
                let name = p.ident("union name")?;
                let tag_field = p.ident("tag field name")?;
                p.punct('{')?;
                let mut tags = Vec::new();
                loop {
                    match p.next() {
                        Some(Tok::Punct('}')) => break,
                        // Masks only shape the C code's tag checks, not the layout.
                        Some(Tok::Ident(k)) if k == "mask" => {
                            p.int("mask size")?;
                            p.int("mask value")?;
                        }
                        Some(Tok::Ident(k)) if k == "tag" => {
                            let block = p.ident("tag block")?;
                            let value = p.int("tag value")?;
                            tags.push((block, value));
                        }
                        other => {
                            p.pos -= 1;
                            return Err(p.err(format!(
                                "in tagged_union `{name}`: expected tag or `}}`, found {other:?}"
                            )));
                        }
                    }
                }
                spec.unions.push(TaggedUnion {
                    name,
                    tag_field,
                    tags,
                    file,
                    line,
                });
            }
            other => {
                p.pos -= 1;
                return Err(p.err(format!(
                    "expected base, block or tagged_union, found {other:?}"
                )));
            }
        }
    }
    Ok(spec)
}

fn make_block(
    name: String,
    raw: Vec<(Option<String>, u32, bool)>,
    visible: Option<Vec<String>>,
    (base, base_bits, sign_extend): (u32, u32, bool),
    file: &str,
    line: usize,
) -> Result<Block> {
    let size: u32 = raw.iter().map(|r| r.1).sum();
    if size == 0 || !size.is_multiple_of(base) {
        return Err(Error::syntax(
            file,
            line,
            format!("block `{name}` is {size} bits, not a multiple of base {base}"),
        ));
    }
    let mut offset = size;
    let mut fields: Vec<Field> = Vec::new();
    for (fname, fsize, high) in raw {
        offset -= fsize;
        let Some(fname) = fname else { continue };
        if fsize == 0 || offset / base != (offset + fsize - 1) / base {
            return Err(Error::syntax(
                file,
                line,
                format!("field `{fname}` of block `{name}` crosses a word boundary"),
            ));
        }
        if high && fsize > base_bits {
            return Err(Error::syntax(
                file,
                line,
                format!("field_high `{fname}` is wider than the base"),
            ));
        }
        if fields.iter().any(|f| f.name == fname) {
            return Err(Error::syntax(
                file,
                line,
                format!("field `{fname}` repeated in block `{name}`"),
            ));
        }
        fields.push(Field {
            name: fname,
            offset,
            size: fsize,
            high,
        });
    }
    let visible_order = match visible {
        None => fields.iter().map(|f| f.name.clone()).collect(),
        Some(v) => {
            let mut missing: Vec<_> = fields
                .iter()
                .map(|f| f.name.as_str())
                .filter(|f| !v.iter().any(|x| x == f))
                .collect();
            missing.sort();
            if let Some(bad) = v.iter().find(|x| !fields.iter().any(|f| &f.name == *x)) {
                return Err(Error::syntax(
                    file,
                    line,
                    format!("nonexistent field `{bad}` in visible order of `{name}`"),
                ));
            }
            if !missing.is_empty() {
                return Err(Error::syntax(
                    file,
                    line,
                    format!("fields {missing:?} missing from visible order of `{name}`"),
                ));
            }
            v
        }
    };
    Ok(Block {
        name,
        base,
        base_bits,
        sign_extend,
        size,
        fields,
        visible_order,
        file: file.to_string(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::Config;
    use crate::preprocess::{preprocess, Mode};

    fn no_includes(_: &str) -> Option<(String, String)> {
        None
    }

    fn spec(text: &str, cfg: &str) -> Result<BitfieldSpec> {
        let cfg = Config::parse(cfg).unwrap();
        let out = preprocess("t.bf", text, &cfg, &Mode::Bitfield(&no_includes))?;
        let s = parse(&out.lines)?;
        s.validate()?;
        Ok(s)
    }

    #[test]
    fn field_positions_with_padding() {
        let s = spec(
            "-- a comment\nbase 64\nblock Msg {\n  padding 32\n  field label 20\n  field caps 3\n  field extra 2\n  field length 7\n}\n",
            "",
        )
        .unwrap();
        let b = s.block("Msg").unwrap();
        assert_eq!(b.size, 64);
        let pos: Vec<_> = b
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.offset, f.size))
            .collect();
        assert_eq!(
            pos,
            [
                ("label", 12, 20),
                ("caps", 9, 3),
                ("extra", 7, 2),
                ("length", 0, 7)
            ]
        );
    }

    #[test]
    fn multi_word_blocks_and_high_fields() {
        let s = spec(
            "base 64(48,1)\nblock Big {\n  field top 64\n  padding 16\n  field_high ptr 36\n  field low 12\n}\n",
            "",
        )
        .unwrap();
        let b = s.block("Big").unwrap();
        assert_eq!(b.words(), 2);
        assert_eq!(b.field("top").unwrap().offset, 64);
        let ptr = b.field("ptr").unwrap();
        assert_eq!((ptr.offset, ptr.size, ptr.high), (12, 36, true));
        assert_eq!((b.base_bits, b.sign_extend), (48, true));
    }

    #[test]
    fn ifdef_and_tagged_unions() {
        let text = "base 64\nblock A { padding 61 field kind 3 }\n#ifdef CONFIG_X\nblock B { padding 61 field kind 3 }\n#endif\n\
                    tagged_union U kind {\n  tag A 0\n#ifdef CONFIG_X\n  tag B 4\n#endif\n}\n";
        let off = spec(text, "").unwrap();
        assert!(off.block("B").is_none());
        assert_eq!(off.union("U").unwrap().tags, [("A".to_string(), 0)]);
        let on = spec(text, "CONFIG_X=y\n").unwrap();
        assert_eq!(on.union("U").unwrap().tags.len(), 2);
    }

    #[test]
    fn includes_are_inlined_with_their_own_locations() {
        let cfg = Config::parse("").unwrap();
        let inc = |name: &str| {
            (name == "x/inner.bf").then(|| {
                (
                    "inner.bf".to_string(),
                    "block Bad {\n field x 3 }\n".to_string(),
                )
            })
        };
        let lines = preprocess(
            "outer.bf",
            "#include <autoconf.h>\nbase 64\n#include <x/inner.bf>\n",
            &cfg,
            &Mode::Bitfield(&inc),
        )
        .unwrap()
        .lines;
        assert_eq!(lines.last().unwrap().file, "inner.bf");
        let e = parse(&lines).unwrap_err().to_string();
        assert!(
            e.starts_with("inner.bf:1:") && e.contains("multiple of base"),
            "{e}"
        );
        let e = preprocess(
            "o.bf",
            "#include <missing.bf>\n",
            &cfg,
            &Mode::Bitfield(&inc),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("o.bf:1:"), "{e}");
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = spec(
            "base 64\nblock A {\n  padding 60\n  field x 8\n  padding 60\n}\n",
            "",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("crosses a word boundary"), "{e}");
        let e = spec("base 64\nblock A {\n  bogus 3\n}\n", "")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.bf:3:"), "{e}");
        let e = spec("base 64\ntagged_union U k { tag Nope 1 }\n", "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no block `Nope`"), "{e}");
        let e = spec("#ifdef A\nbase 64\n", "").unwrap_err().to_string();
        assert!(e.contains("missing #endif"), "{e}");
    }
}
