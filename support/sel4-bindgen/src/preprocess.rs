//! The small part of the C preprocessor the kernel's `.bf` files and libsel4
//! headers rely on: conditionals (`#if`, `#ifdef`, `#ifndef`, `#elif`,
//! `#else`, `#endif`) evaluated against the kernel config, `#include` (inlined
//! for `.bf`, ignored for headers), and `#define`s (recorded, not expanded).

use std::collections::HashMap;

use crate::config::{eval_with, Config};
use crate::error::{Error, Result};

/// A line of source after preprocessing, remembering where it came from.
#[derive(Debug, Clone)]
pub struct SrcLine {
    pub file: String,
    pub line: usize,
    pub text: String,
}

/// A `#define` in an active region. `value` is the raw replacement text.
#[derive(Debug, Clone)]
pub struct Define {
    pub name: String,
    pub value: String,
    pub function_like: bool,
    pub line: usize,
}

#[derive(Debug, Default)]
pub struct Output {
    pub lines: Vec<SrcLine>,
    pub defines: Vec<Define>,
}

/// Resolves `#include <path>` to (display name, contents), or `None` if unknown.
pub type IncludeFn<'a> = dyn Fn(&str) -> Option<(String, String)> + 'a;

pub enum Mode<'a> {
    /// `.bf` files: `--` comments are left to the bitfield lexer, includes are inlined.
    Bitfield(&'a IncludeFn<'a>),
    /// C headers: C comments and line continuations are handled, includes skipped
    /// (each header is read on its own).
    CHeader,
}

struct Cond {
    active: bool,
    taken: bool,
    parent_active: bool,
}

struct State<'a> {
    config: &'a Config,
    defines: HashMap<String, String>,
    out: Output,
}

pub fn preprocess(file: &str, text: &str, config: &Config, mode: &Mode) -> Result<Output> {
    let mut st = State {
        config,
        defines: HashMap::new(),
        out: Output::default(),
    };
    run(file, text, mode, &mut st, 0)?;
    Ok(st.out)
}

/// Replaces `/* */` and `//` comments with spaces (keeping newlines, so line
/// numbers stay right) and joins `\`-continued lines onto their first line.
fn c_lines(text: &str) -> Vec<(usize, String)> {
    let mut clean = String::with_capacity(text.len());
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                clean.push(if b[i] == '\n' { '\n' } else { ' ' });
                i += 1;
            }
            i += 2;
            clean.push(' ');
        } else if b[i] == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else {
            clean.push(b[i]);
            i += 1;
        }
    }
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, l) in clean.lines().enumerate() {
        let (n, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        match l.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                acc.push(' ');
                pending = Some((n, acc));
            }
            None => {
                acc.push_str(l);
                out.push((n, acc));
            }
        }
    }
    out.extend(pending);
    out
}

fn run(file: &str, text: &str, mode: &Mode, st: &mut State, depth: usize) -> Result<()> {
    if depth > 16 {
        return Err(Error::syntax(file, 1, "#include nested too deeply"));
    }
    let lines: Vec<(usize, String)> = match mode {
        Mode::CHeader => c_lines(text),
        Mode::Bitfield(_) => text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect(),
    };
    let last_line = lines.last().map_or(1, |l| l.0);
    let mut stack: Vec<Cond> = Vec::new();
    for (line, raw) in lines {
        let active = stack.last().is_none_or(|c| c.active);
        let Some(directive) = raw.trim().strip_prefix('#') else {
            if active {
                st.out.lines.push(SrcLine {
                    file: file.to_string(),
                    line,
                    text: raw,
                });
            }
            continue;
        };
        let directive = directive.trim_start();
        let (word, rest) = directive
            .split_once(|c: char| c.is_whitespace())
            .map(|(w, r)| (w, r.trim()))
            .unwrap_or((directive, ""));
        let eval = |expr: &str, st: &State| -> Result<bool> {
            eval_with(expr, &|n| {
                st.config
                    .value(n)
                    .map(str::to_string)
                    .or_else(|| st.defines.get(n).cloned())
            })
            .map_err(|e| e.at(file, line))
        };
        match word {
            "ifdef" | "ifndef" | "if" => {
                let v = if !active {
                    false
                } else if word == "if" {
                    eval(rest, st)?
                } else {
                    let def = eval(&format!("defined({rest})"), st)?;
                    if word == "ifdef" {
                        def
                    } else {
                        !def
                    }
                };
                stack.push(Cond {
                    active: active && v,
                    taken: v,
                    parent_active: active,
                });
            }
            "elif" | "else" => {
                let Some(top) = stack.last() else {
                    return Err(Error::syntax(file, line, format!("#{word} without #if")));
                };
                let v = if top.taken || !top.parent_active {
                    false
                } else if word == "elif" {
                    eval(rest, st)?
                } else {
                    true
                };
                let top = stack.last_mut().expect("checked above");
                top.active = top.parent_active && v;
                top.taken |= v;
            }
            "endif" => {
                if stack.pop().is_none() {
                    return Err(Error::syntax(file, line, "#endif without #if"));
                }
            }
            _ if !active => {}
            "include" => {
                let Mode::Bitfield(include) = mode else {
                    continue;
                };
                let name = rest.trim_matches(|c| c == '<' || c == '>' || c == '"');
                // The config stands for autoconf.h.
                if name == "autoconf.h" || name.ends_with("/autoconf.h") {
                    continue;
                }
                let Some((inc_name, inc_text)) = include(name) else {
                    return Err(Error::syntax(
                        file,
                        line,
                        format!("cannot find #include <{name}>"),
                    ));
                };
                run(&inc_name, &inc_text, mode, st, depth + 1)?;
            }
            "define" => {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let name = &rest[..end];
                if name.is_empty() {
                    return Err(Error::syntax(file, line, "#define without a name"));
                }
                let function_like = rest[end..].starts_with('(');
                let value = rest[end..].trim().to_string();
                st.defines.insert(
                    name.to_string(),
                    if value.is_empty() {
                        "1".into()
                    } else {
                        value.clone()
                    },
                );
                st.out.defines.push(Define {
                    name: name.to_string(),
                    value,
                    function_like,
                    line,
                });
            }
            "undef" => {
                st.defines.remove(rest);
            }
            "error" => return Err(Error::syntax(file, line, format!("#error {rest}"))),
            "pragma" => {}
            other => {
                return Err(Error::syntax(
                    file,
                    line,
                    format!("unsupported preprocessor directive `#{other}`"),
                ));
            }
        }
    }
    if !stack.is_empty() {
        return Err(Error::syntax(file, last_line, "missing #endif"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditionals_nest_and_else_works() {
        let cfg = Config::parse("CONFIG_A=y\nCONFIG_N=2\n").unwrap();
        let text = "a\n#ifdef CONFIG_A\nb\n#if CONFIG_N > 2\nc\n#elif CONFIG_N == 2\nd\n#else\ne\n#endif\n#else\nf\n#endif\n#ifndef CONFIG_B\ng\n#endif\n";
        let out = preprocess("t.h", text, &cfg, &Mode::CHeader).unwrap();
        let kept: Vec<_> = out
            .lines
            .iter()
            .map(|l| (l.text.as_str(), l.line))
            .collect();
        assert_eq!(kept, [("a", 1), ("b", 3), ("d", 7), ("g", 15)]);
    }

    #[test]
    fn c_comments_and_defines() {
        let cfg = Config::parse("").unwrap();
        let text = "/* multi\n   line # not a directive */\n#define X 12 /* c */\n#define F(n) (1 << (n))\n#define LONG 1 + \\\n  2\n#define GUARD\n#if defined(GUARD) && X == 12\nkept // tail\n#endif\n";
        let out = preprocess("t.h", text, &cfg, &Mode::CHeader).unwrap();
        let d: Vec<_> = out
            .defines
            .iter()
            .map(|d| (d.name.as_str(), d.value.as_str(), d.function_like, d.line))
            .collect();
        assert_eq!(
            d,
            [
                ("X", "12", false, 3),
                ("F", "(n) (1 << (n))", true, 4),
                ("LONG", "1 +    2", false, 5),
                ("GUARD", "", false, 7)
            ]
        );
        assert_eq!(out.lines.last().unwrap().text.trim(), "kept");
        assert_eq!(out.lines.last().unwrap().line, 9);
    }

    #[test]
    fn bad_directives_are_errors() {
        let cfg = Config::parse("").unwrap();
        let e = preprocess("t.h", "#frobnicate\n", &cfg, &Mode::CHeader)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.h:1:"), "{e}");
        let e = preprocess("t.h", "x\n#if CONFIG_A +\n#endif\n", &cfg, &Mode::CHeader)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.h:2:"), "{e}");
        assert!(preprocess("t.h", "#endif\n", &cfg, &Mode::CHeader).is_err());
    }
}
