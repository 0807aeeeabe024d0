//! The kernel configuration (`NAME=value` lines) and the evaluator for the
//! preprocessor-style conditions the kernel files attach to optional parts.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};

/// A parsed kernel configuration: `y` means defined as 1, absent means undefined.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// In file order, so generated code follows the file.
    entries: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl Config {
    pub fn parse(text: &str) -> Result<Config> {
        Self::parse_named(text, "<config>")
    }

    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse_named(&text, &path.display().to_string())
    }

    fn parse_named(text: &str, file: &str) -> Result<Config> {
        let mut cfg = Config::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(Error::syntax(
                    file,
                    i + 1,
                    format!("expected NAME=value, found `{line}`"),
                ));
            };
            let (name, value) = (name.trim(), value.trim());
            if !is_ident(name) {
                return Err(Error::syntax(
                    file,
                    i + 1,
                    format!("`{name}` is not a valid name"),
                ));
            }
            if value.is_empty() {
                return Err(Error::syntax(
                    file,
                    i + 1,
                    format!("`{name}` has an empty value"),
                ));
            }
            // Kconfig quotes strings; the quotes are not part of the value.
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            if cfg.index.contains_key(name) {
                return Err(Error::syntax(file, i + 1, format!("`{name}` is set twice")));
            }
            cfg.index.insert(name.to_string(), cfg.entries.len());
            cfg.entries.push((name.to_string(), value.to_string()));
        }
        Ok(cfg)
    }

    pub fn is_set(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.index.get(name).map(|&i| self.entries[i].1.as_str())
    }

    /// Evaluates a condition such as `defined(CONFIG_X) && CONFIG_N > 1`.
    pub fn eval(&self, condition: &str) -> Result<bool> {
        eval_with(condition, &|name| self.value(name).map(str::to_string))
    }

    pub(crate) fn entries(&self) -> &[(String, String)] {
        &self.entries
    }
}

pub(crate) fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses an integer literal the way C and Kconfig write them (`12`, `0x1f`, `4ul`).
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim_end_matches(['u', 'U', 'l', 'L']);
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8).ok()?
    } else if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        t.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Op(&'static str),
}

const OPS: [&str; 11] = ["&&", "||", "==", "!=", ">=", "<=", ">", "<", "!", "(", ")"];

fn tokenize(expr: &str) -> std::result::Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let b = expr.as_bytes();
    let mut i = 0;
    'outer: while i < b.len() {
        let c = b[i] as char;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            toks.push(Tok::Ident(expr[start..i].to_string()));
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i] as char).is_ascii_alphanumeric() {
                i += 1;
            }
            let lit = &expr[start..i];
            toks.push(Tok::Int(
                parse_int(lit).ok_or(format!("bad number `{lit}`"))?,
            ));
            continue;
        }
        for op in OPS {
            if expr[i..].starts_with(op) {
                toks.push(Tok::Op(op));
                i += op.len();
                continue 'outer;
            }
        }
        return Err(format!("unexpected `{}`", &expr[i..]));
    }
    Ok(toks)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

type PResult<T> = std::result::Result<T, String>;

impl Parser<'_> {
    fn peek_op(&self, op: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Op(o)) if *o == op)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let hit = self.peek_op(op);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn or(&mut self) -> PResult<i64> {
        let mut v = self.and()?;
        while self.eat_op("||") {
            let r = self.and()?;
            v = ((v != 0) || (r != 0)) as i64;
        }
        Ok(v)
    }

    fn and(&mut self) -> PResult<i64> {
        let mut v = self.equality()?;
        while self.eat_op("&&") {
            let r = self.equality()?;
            v = ((v != 0) && (r != 0)) as i64;
        }
        Ok(v)
    }

    fn equality(&mut self) -> PResult<i64> {
        let mut v = self.relational()?;
        loop {
            if self.eat_op("==") {
                v = (v == self.relational()?) as i64;
            } else if self.eat_op("!=") {
                v = (v != self.relational()?) as i64;
            } else {
                return Ok(v);
            }
        }
    }

    fn relational(&mut self) -> PResult<i64> {
        let mut v = self.unary()?;
        loop {
            let op = ["<=", ">=", "<", ">"]
                .into_iter()
                .find(|op| self.peek_op(op));
            let Some(op) = op else { return Ok(v) };
            self.pos += 1;
            let r = self.unary()?;
            v = match op {
                "<=" => v <= r,
                ">=" => v >= r,
                "<" => v < r,
                _ => v > r,
            } as i64;
        }
    }

    fn unary(&mut self) -> PResult<i64> {
        if self.eat_op("!") {
            return Ok((self.unary()? == 0) as i64);
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<i64> {
        let tok = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or("unexpected end of condition")?;
        self.pos += 1;
        match tok {
            Tok::Int(n) => Ok(n),
            Tok::Op("(") => {
                let v = self.or()?;
                if !self.eat_op(")") {
                    return Err("missing `)`".into());
                }
                Ok(v)
            }
            Tok::Ident(kw) if kw == "defined" => {
                let paren = self.eat_op("(");
                let name = match self.toks.get(self.pos) {
                    Some(Tok::Ident(n)) => n.clone(),
                    _ => return Err("`defined` needs a name".into()),
                };
                self.pos += 1;
                if paren && !self.eat_op(")") {
                    return Err("missing `)` after `defined(`".into());
                }
                Ok((self.lookup)(&name).is_some() as i64)
            }
            Tok::Ident(name) => match (self.lookup)(&name) {
                None => Ok(0),
                Some(v) if v == "y" => Ok(1),
                Some(v) => parse_int(&v).ok_or(format!("`{name}` is `{v}`, not a number")),
            },
            Tok::Op(op) => Err(format!("unexpected `{op}`")),
        }
    }
}

/// Evaluates a condition against any name lookup (config, or config plus a
/// header's own `#define`s).
pub(crate) fn eval_with(expr: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<bool> {
    let fail = |msg: String| Error::Condition {
        expr: expr.to_string(),
        msg,
    };
    let toks = tokenize(expr).map_err(fail)?;
    if toks.is_empty() {
        return Err(fail("empty condition".into()));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        lookup,
    };
    let v = p.or().map_err(fail)?;
    if p.pos != p.toks.len() {
        return Err(fail(format!(
            "unexpected {:?} after the expression",
            p.toks[p.pos]
        )));
    }
    Ok(v != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = "# comment\nCONFIG_A=y\n\nCONFIG_N=4\nCONFIG_HEX=0x10\nCONFIG_S=\"text\"\n";

    #[test]
    fn parses_values() {
        let c = Config::parse(CFG).unwrap();
        assert!(c.is_set("CONFIG_A"));
        assert!(!c.is_set("CONFIG_B"));
        assert_eq!(c.value("CONFIG_N"), Some("4"));
        assert_eq!(c.value("CONFIG_S"), Some("text"));
        assert_eq!(c.entries().len(), 4);
    }

    #[test]
    fn rejects_bad_lines_with_location() {
        let e = Config::parse("CONFIG_A=y\nnot a line\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("<config>:2"), "{e}");
        let e = Config::parse("CONFIG_A=y\nCONFIG_A=n\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("set twice"), "{e}");
    }

    #[test]
    fn evaluates_conditions() {
        let c = Config::parse(CFG).unwrap();
        assert!(c.eval("defined(CONFIG_A)").unwrap());
        assert!(c.eval("defined CONFIG_A").unwrap());
        assert!(!c.eval("defined(CONFIG_B)").unwrap());
        assert!(c.eval("!defined(CONFIG_B)").unwrap());
        assert!(c.eval("CONFIG_A").unwrap());
        assert!(!c.eval("CONFIG_B").unwrap());
        assert!(c.eval("CONFIG_N > 1").unwrap());
        assert!(!c.eval("CONFIG_N < 4").unwrap());
        assert!(c.eval("CONFIG_N <= 4 && CONFIG_N >= 4").unwrap());
        assert!(c.eval("CONFIG_HEX == 16").unwrap());
        assert!(c.eval("CONFIG_N != 3").unwrap());
        assert!(c
            .eval("defined(CONFIG_B) || (CONFIG_A && !CONFIG_B)")
            .unwrap());
        assert!(!c.eval("0").unwrap());
        // `&&` binds tighter than `||`.
        assert!(c.eval("1 || 0 && 0").unwrap());
    }

    #[test]
    fn unknown_syntax_is_an_error() {
        let c = Config::parse(CFG).unwrap();
        for bad in [
            "CONFIG_N + 1",
            "CONFIG_N >",
            "(CONFIG_A",
            "",
            "CONFIG_S > 1",
            "defined()",
            "a b",
        ] {
            assert!(c.eval(bad).is_err(), "`{bad}` should not evaluate");
        }
    }
}
