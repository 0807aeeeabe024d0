//! C `enum`s and integer `#define`s from libsel4 headers. Only enum bodies
//! are parsed; everything else in a header is skipped. Enumerator values may
//! refer to earlier enumerators (also from other headers, via the shared
//! symbol table) and to config values (`CONFIG_NUM_PRIORITIES - 1`).

use std::collections::HashMap;

use crate::config::{parse_int, Config};
use crate::error::{Error, Result};
use crate::preprocess::{preprocess, Mode};

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub value: i64,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct CEnum {
    /// The typedef/declarator name after `}`, else the `SEL4_FORCE_LONG_ENUM`
    /// argument, else the tag; `None` for a fully anonymous enum.
    pub name: Option<String>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntDefine {
    pub name: String,
    pub value: i64,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub file: String,
    pub enums: Vec<CEnum>,
    /// `#define NAME <integer literal>` in active regions, in order.
    pub defines: Vec<IntDefine>,
}

/// Enumerator values seen so far, shared between headers that refer to each other.
pub type Symbols = HashMap<String, i64>;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Punct(&'static str),
    Other,
}

const PUNCTS: [&str; 18] = [
    "<<", ">>", "{", "}", "(", ")", ",", ";", "=", "+", "-", "*", "/", "%", "|", "&", "^", "~",
];

fn lex(text: &str, file: &str, line: usize, out: &mut Vec<(Tok, usize)>) -> Result<()> {
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    'outer: while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push((Tok::Ident(b[s..i].iter().collect()), line));
            continue;
        }
        if c.is_ascii_digit() {
            let s = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let lit: String = b[s..i].iter().collect();
            let v = parse_int(&lit)
                .ok_or_else(|| Error::syntax(file, line, format!("bad number `{lit}`")))?;
            out.push((Tok::Int(v), line));
            continue;
        }
        if c == '"' || c == '\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push((Tok::Other, line));
            continue;
        }
        for p in PUNCTS {
            if b[i..].iter().take(p.len()).copied().eq(p.chars()) {
                out.push((Tok::Punct(p), line));
                i += p.len();
                continue 'outer;
            }
        }
        out.push((Tok::Other, line));
        i += 1;
    }
    Ok(())
}

/// Evaluates an enumerator's constant expression.
struct Expr<'a> {
    toks: &'a [(Tok, usize)],
    pos: usize,
    symbols: &'a Symbols,
    config: &'a Config,
    file: &'a str,
    line: usize,
}

impl Expr<'_> {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::syntax(self.file, self.line, msg)
    }

    fn eat(&mut self, p: &str) -> bool {
        let hit = matches!(self.toks.get(self.pos), Some((Tok::Punct(q), _)) if *q == p);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn binary(&mut self, level: usize) -> Result<i64> {
        const LEVELS: [&[&str]; 6] = [
            &["|"],
            &["^"],
            &["&"],
            &["<<", ">>"],
            &["+", "-"],
            &["*", "/", "%"],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut v = self.binary(level + 1)?;
        'again: loop {
            for op in LEVELS[level] {
                if self.eat(op) {
                    let r = self.binary(level + 1)?;
                    v = match *op {
                        "|" => v | r,
                        "^" => v ^ r,
                        "&" => v & r,
                        "<<" => v
                            .checked_shl(r as u32)
                            .ok_or_else(|| self.err("shift overflow"))?,
                        ">>" => v >> r,
                        "+" => v.wrapping_add(r),
                        "-" => v.wrapping_sub(r),
                        "*" => v.wrapping_mul(r),
                        "/" | "%" if r == 0 => return Err(self.err("division by zero")),
                        "/" => v / r,
                        _ => v % r,
                    };
                    continue 'again;
                }
            }
            return Ok(v);
        }
    }

    fn unary(&mut self) -> Result<i64> {
        if self.eat("-") {
            return Ok(-self.unary()?);
        }
        if self.eat("+") {
            return self.unary();
        }
        if self.eat("~") {
            return Ok(!self.unary()?);
        }
        let tok = self.toks.get(self.pos).map(|t| t.0.clone());
        self.pos += 1;
        match tok {
            Some(Tok::Int(v)) => Ok(v),
            Some(Tok::Punct("(")) => {
                let v = self.binary(0)?;
                if !self.eat(")") {
                    return Err(self.err("missing `)` in enum value"));
                }
                Ok(v)
            }
            Some(Tok::Ident(n)) => {
                if let Some(v) = self.symbols.get(&n) {
                    return Ok(*v);
                }
                match self.config.value(&n) {
                    Some("y") => Ok(1),
                    Some(v) => parse_int(v)
                        .ok_or_else(|| self.err(format!("config `{n}` = `{v}` is not a number"))),
                    None => Err(self.err(format!("unknown name `{n}` in enum value"))),
                }
            }
            other => Err(self.err(format!("unsupported enum value syntax near {other:?}"))),
        }
    }
}

/// Parses one header: preprocesses it against `config`, then reads every
/// `enum { ... }` body and every integer `#define`.
pub fn parse_header(
    file: &str,
    text: &str,
    config: &Config,
    symbols: &mut Symbols,
) -> Result<Header> {
    let pp = preprocess(file, text, config, &Mode::CHeader)?;
    let mut toks = Vec::new();
    for l in &pp.lines {
        lex(&l.text, &l.file, l.line, &mut toks)?;
    }
    let mut enums = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i].0 != Tok::Ident("enum".into()) {
            i += 1;
            continue;
        }
        let enum_line = toks[i].1;
        i += 1;
        let mut tag = None;
        if let Some((Tok::Ident(t), _)) = toks.get(i) {
            tag = Some(t.clone());
            i += 1;
        }
        // `enum x y;` declares a variable, not an enum.
        if toks.get(i).map(|t| &t.0) != Some(&Tok::Punct("{")) {
            continue;
        }
        i += 1;
        let mut entries: Vec<Entry> = Vec::new();
        let mut force_long = None;
        let mut next = 0i64;
        loop {
            let Some((tok, line)) = toks.get(i).cloned() else {
                return Err(Error::syntax(file, enum_line, "unterminated enum"));
            };
            match tok {
                Tok::Punct("}") => {
                    i += 1;
                    break;
                }
                Tok::Punct(",") => i += 1,
                Tok::Ident(n) if n == "SEL4_FORCE_LONG_ENUM" => {
                    // Only pads the enum to a long; not a real entry.
                    match (toks.get(i + 1), toks.get(i + 2), toks.get(i + 3)) {
                        (
                            Some((Tok::Punct("("), _)),
                            Some((Tok::Ident(a), _)),
                            Some((Tok::Punct(")"), _)),
                        ) => {
                            force_long = Some(a.clone());
                            i += 4;
                        }
                        _ => {
                            return Err(Error::syntax(
                                file,
                                line,
                                "malformed SEL4_FORCE_LONG_ENUM(...)",
                            ))
                        }
                    }
                }
                Tok::Ident(n) => {
                    i += 1;
                    let value = if toks.get(i).map(|t| &t.0) == Some(&Tok::Punct("=")) {
                        i += 1;
                        let start = i;
                        let mut depth = 0;
                        while let Some((t, _)) = toks.get(i) {
                            match t {
                                Tok::Punct("(") => depth += 1,
                                Tok::Punct(")") => depth -= 1,
                                Tok::Punct(",") | Tok::Punct("}") if depth == 0 => break,
                                _ => {}
                            }
                            i += 1;
                        }
                        let slice = &toks[start..i];
                        if slice.is_empty() {
                            return Err(Error::syntax(
                                file,
                                line,
                                format!("enumerator `{n}` has an empty value"),
                            ));
                        }
                        let mut e = Expr {
                            toks: slice,
                            pos: 0,
                            symbols,
                            config,
                            file,
                            line,
                        };
                        let v = e.binary(0)?;
                        if e.pos != slice.len() {
                            return Err(Error::syntax(
                                file,
                                line,
                                format!("cannot evaluate the value of `{n}`"),
                            ));
                        }
                        v
                    } else {
                        next
                    };
                    if symbols.insert(n.clone(), value).is_some() {
                        return Err(Error::syntax(
                            file,
                            line,
                            format!("enumerator `{n}` defined twice"),
                        ));
                    }
                    entries.push(Entry {
                        name: n,
                        value,
                        line,
                    });
                    next = value + 1;
                    match toks.get(i).map(|t| &t.0) {
                        Some(Tok::Punct(",")) | Some(Tok::Punct("}")) => {}
                        other => {
                            return Err(Error::syntax(
                                file,
                                line,
                                format!(
                                    "unexpected {other:?} after `{}`",
                                    entries.last().map_or("", |e| e.name.as_str())
                                ),
                            ))
                        }
                    }
                }
                other => {
                    return Err(Error::syntax(
                        file,
                        line,
                        format!("unexpected {other:?} in enum body"),
                    ))
                }
            }
        }
        let declarator = match toks.get(i) {
            Some((Tok::Ident(d), _)) => Some(d.clone()),
            _ => None,
        };
        enums.push(CEnum {
            name: declarator.or(force_long).or(tag),
            entries,
        });
    }
    let defines = pp
        .defines
        .iter()
        .filter(|d| !d.function_like)
        .filter_map(|d| {
            let v = d.value.trim();
            let v = v
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .unwrap_or(v)
                .trim();
            parse_int(v).map(|value| IntDefine {
                name: d.name.clone(),
                value,
                line: d.line,
            })
        })
        .collect();
    Ok(Header {
        file: file.to_string(),
        enums,
        defines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "#ifndef GUARD_H\n#define GUARD_H\ntypedef enum api_kind {\n    k_A,\n    k_B, /* comment */\n    k_Count,\n} k_Kind;\n\
        static const k_Kind old __attribute__((deprecated(\"use k_B\"))) = k_B;\n#endif\n";
    /// An enum's entries as `(name, value)` pairs.
    fn entries(e: &CEnum) -> Vec<(&str, i64)> {
        e.entries.iter().map(|e| (e.name.as_str(), e.value)).collect()
    }

    const ARCH: &str = "enum _arch {\n    k_C = k_Count,\n#ifdef CONFIG_X\n    k_X,\n#endif\n    k_D,\n    k_ArchCount\n};\n";

    #[test]
    fn references_and_ifdef() {
        let off = Config::parse("").unwrap();
        let mut sym = Symbols::new();
        let a = parse_header("api.h", API, &off, &mut sym).unwrap();
        assert_eq!(a.enums.len(), 1);
        assert_eq!(a.enums[0].name.as_deref(), Some("k_Kind"));
        let b = parse_header("arch.h", ARCH, &off, &mut sym).unwrap();
        let got = entries(&b.enums[0]);
        assert_eq!(got, [("k_C", 2), ("k_D", 3), ("k_ArchCount", 4)]);
        assert_eq!(b.enums[0].name.as_deref(), Some("_arch"));

        let on = Config::parse("CONFIG_X=y\n").unwrap();
        let mut sym = Symbols::new();
        parse_header("api.h", API, &on, &mut sym).unwrap();
        let b = parse_header("arch.h", ARCH, &on, &mut sym).unwrap();
        let got = entries(&b.enums[0]);
        assert_eq!(
            got,
            [("k_C", 2), ("k_X", 3), ("k_D", 4), ("k_ArchCount", 5)]
        );
    }

    #[test]
    fn force_long_config_values_and_defines() {
        let cfg = Config::parse("CONFIG_PRIOS=256\n").unwrap();
        let text = "#define LIB_BIT(n) (1ul<<(n))\n#define k_PageBits 12\n#define k_Neg (-1)\n#define k_Expr (k_PageBits + 1)\n\
            enum {\n  m_A = 5,\n  m_B,\n  m_Max = CONFIG_PRIOS - 1,\n  m_Shift = (1 << 4) | 1,\n  SEL4_FORCE_LONG_ENUM(m_Msg),\n} m_Msg;\n";
        let mut sym = Symbols::new();
        let h = parse_header("c.h", text, &cfg, &mut sym).unwrap();
        let got = entries(&h.enums[0]);
        assert_eq!(
            got,
            [("m_A", 5), ("m_B", 6), ("m_Max", 255), ("m_Shift", 17)]
        );
        assert_eq!(h.enums[0].name.as_deref(), Some("m_Msg"));
        let d: Vec<_> = h
            .defines
            .iter()
            .map(|d| (d.name.as_str(), d.value))
            .collect();
        assert_eq!(d, [("k_PageBits", 12), ("k_Neg", -1)]);
    }

    #[test]
    fn unknown_reference_is_an_error_with_location() {
        let cfg = Config::parse("").unwrap();
        let e = parse_header(
            "e.h",
            "enum {\n  a = 1,\n  b = nowhere + 1\n};\n",
            &cfg,
            &mut Symbols::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("e.h:3:") && e.contains("nowhere"), "{e}");
    }
}
