//! Where each invocation argument travels, following `syscall_stub_gen.py`:
//! the service cap is implicit; capability-typed inputs become extra caps in
//! order; every other input is packed into message registers bit by bit,
//! each aligned to min(its size, one word); outputs are unpacked from the
//! reply's message registers with the same rule. Structs go by reference and
//! take one word per member.

use std::collections::{HashMap, HashSet};

use crate::bitfield::BitfieldSpec;
use crate::error::{Error, Result};
use crate::xml_api::{ApiFile, Dir, Method, Param};

pub const WORD_BITS: u32 = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A capability; `iface` is the interface it names, `None` for `seL4_CPtr`.
    Cap {
        iface: Option<String>,
    },
    Word,
    Uint(u32),
    Bool,
    /// C `int`, 32 bits in the kernel tool's table.
    Int,
    /// A one-word value passed as `<rust>::into_word()`.
    Wrapped {
        rust: &'static str,
    },
    Struct {
        name: String,
        members: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamType {
    pub kind: Kind,
    pub size_bits: u32,
}

/// C types that map to a Rust type of the `sel4` crate with `into_word()`.
/// Sizes of the `_t` ones come from the `.bf` block or union of that name.
const WRAPPED: [(&str, &str); 4] = [
    ("seL4_CapRights_t", "crate::CapRights"),
    ("seL4_CapData_t", "crate::CapData"),
    ("seL4_PrioProps_t", "crate::PrioProps"),
    ("seL4_ARM_VMAttributes", "crate::VmAttributes"),
];

/// The names a parameter type can be resolved against.
pub struct TypeEnv {
    interfaces: HashSet<String>,
    structs: HashMap<String, Vec<String>>,
    bitfield_bits: HashMap<String, u32>,
}

impl TypeEnv {
    pub fn new(files: &[&ApiFile], bf: &BitfieldSpec) -> Self {
        let interfaces = files
            .iter()
            .flat_map(|f| f.interfaces.iter().map(|i| i.name.clone()))
            .collect();
        let structs = files
            .iter()
            .flat_map(|f| {
                f.structs
                    .iter()
                    .map(|s| (s.name.clone(), s.members.clone()))
            })
            .collect();
        let mut bitfield_bits: HashMap<String, u32> =
            bf.blocks.iter().map(|b| (b.name.clone(), b.size)).collect();
        for u in &bf.unions {
            // A union is as wide as its widest member block.
            let w = u
                .tags
                .iter()
                .filter_map(|(t, _)| bitfield_bits.get(t))
                .copied()
                .max()
                .unwrap_or(0);
            bitfield_bits.insert(u.name.clone(), w);
        }
        TypeEnv {
            interfaces,
            structs,
            bitfield_bits,
        }
    }

    pub fn resolve(&self, ty: &str) -> Option<ParamType> {
        let t = |kind, size_bits| Some(ParamType { kind, size_bits });
        match ty {
            "seL4_Word" => return t(Kind::Word, WORD_BITS),
            "seL4_Uint8" => return t(Kind::Uint(8), 8),
            "seL4_Uint16" => return t(Kind::Uint(16), 16),
            "seL4_Uint32" => return t(Kind::Uint(32), 32),
            "seL4_Uint64" => return t(Kind::Uint(64), 64),
            "seL4_Bool" => return t(Kind::Bool, 1),
            "int" => return t(Kind::Int, 32),
            "seL4_CPtr" => return t(Kind::Cap { iface: None }, WORD_BITS),
            _ => {}
        }
        if self.interfaces.contains(ty) {
            return t(
                Kind::Cap {
                    iface: Some(ty.to_string()),
                },
                WORD_BITS,
            );
        }
        if let Some(members) = self.structs.get(ty) {
            let bits = members.len() as u32 * WORD_BITS;
            return t(
                Kind::Struct {
                    name: ty.to_string(),
                    members: members.clone(),
                },
                bits,
            );
        }
        let (_, rust) = WRAPPED.iter().find(|(c, _)| *c == ty)?;
        let bits = match ty.strip_suffix("_t") {
            Some(bf_name) => *self.bitfield_bits.get(bf_name)?,
            None => WORD_BITS,
        };
        // `into_word()` yields one word; anything wider has no rule.
        (bits <= WORD_BITS).then_some(ParamType {
            kind: Kind::Wrapped { rust },
            size_bits: bits,
        })
    }
}

/// (first bit, number of bits) for each size, as `get_parameter_positions`.
pub fn positions(sizes: &[u32]) -> std::result::Result<Vec<(u32, u32)>, String> {
    let mut used = 0u32;
    let mut out = Vec::new();
    for &size in sizes {
        if size == 0 || !(size.is_power_of_two() || size.is_multiple_of(WORD_BITS)) {
            return Err(format!(
                "a {size}-bit value is neither a power of two nor whole words"
            ));
        }
        let align = size.min(WORD_BITS);
        used = used.div_ceil(align) * align;
        out.push((used, size));
        used += size;
    }
    Ok(out)
}

/// One contribution to a message word: `value_of(source) << shift`, `bits` wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Index into `MethodPlan::inputs` or `MethodPlan::outputs`.
    pub param: usize,
    /// Member index for a struct parameter.
    pub member: Option<usize>,
    pub word: usize,
    pub shift: u32,
    pub bits: u32,
}

#[derive(Debug, Clone)]
pub struct TypedParam {
    pub name: String,
    pub c_type: String,
    pub ty: ParamType,
}

/// Everything needed to emit one invocation method.
#[derive(Debug, Clone)]
pub struct MethodPlan {
    pub interface: String,
    pub method: Method,
    pub inputs: Vec<TypedParam>,
    pub outputs: Vec<TypedParam>,
    /// Indices of `inputs` sent as extra caps, in order.
    pub caps: Vec<usize>,
    /// Message words to send, each the OR of its pieces (never empty).
    pub words: Vec<Vec<Piece>>,
    /// Where each output comes from in the reply.
    pub reply: Vec<Piece>,
    pub reply_words: usize,
}

fn pieces(params: &[(usize, &TypedParam)], method: &Method) -> Result<Vec<Piece>> {
    let sizes: Vec<u32> = params.iter().map(|(_, p)| p.ty.size_bits).collect();
    let pos = positions(&sizes).map_err(|msg| {
        Error::syntax(
            &method.file,
            method.line,
            format!("method `{}`: {msg}", method.name),
        )
    })?;
    let mut out = Vec::new();
    for ((idx, p), (first, bits)) in params.iter().zip(pos) {
        let word = (first / WORD_BITS) as usize;
        match &p.ty.kind {
            Kind::Struct { members, .. } => {
                for m in 0..members.len() {
                    out.push(Piece {
                        param: *idx,
                        member: Some(m),
                        word: word + m,
                        shift: 0,
                        bits: WORD_BITS,
                    });
                }
            }
            _ => out.push(Piece {
                param: *idx,
                member: None,
                word,
                shift: first % WORD_BITS,
                bits,
            }),
        }
    }
    Ok(out)
}

pub fn plan_method(interface: &str, method: &Method, env: &TypeEnv) -> Result<MethodPlan> {
    let typed = |p: &Param| -> Result<TypedParam> {
        let ty = env.resolve(&p.ty).ok_or_else(|| Error::UnknownType {
            file: method.file.clone(),
            line: p.line,
            ty: p.ty.clone(),
            param: p.name.clone(),
            method: format!("{interface}::{}", method.name),
        })?;
        Ok(TypedParam {
            name: p.name.clone(),
            c_type: p.ty.clone(),
            ty,
        })
    };
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for p in &method.params {
        match p.dir {
            Dir::In => inputs.push(typed(p)?),
            Dir::Out => outputs.push(typed(p)?),
        }
    }
    let caps: Vec<usize> = inputs
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.ty.kind, Kind::Cap { .. }))
        .map(|(i, _)| i)
        .collect();
    let data: Vec<(usize, &TypedParam)> = inputs
        .iter()
        .enumerate()
        .filter(|(i, _)| !caps.contains(i))
        .collect();
    let mut words: Vec<Vec<Piece>> = Vec::new();
    for piece in pieces(&data, method)? {
        if words.len() <= piece.word {
            words.resize(piece.word + 1, Vec::new());
        }
        words[piece.word].push(piece);
    }
    if words.iter().any(|w| w.is_empty()) {
        return Err(Error::syntax(
            &method.file,
            method.line,
            format!("method `{}` leaves a message word empty", method.name),
        ));
    }
    // The kernel tool reads output caps back as plain words; there is no Rust
    // value to build from that, so refuse rather than guess.
    if let Some(p) = outputs
        .iter()
        .find(|p| matches!(p.ty.kind, Kind::Cap { .. }))
    {
        return Err(Error::syntax(
            &method.file,
            method.line,
            format!(
                "method `{}`: output capability `{}` is not supported",
                method.name, p.name
            ),
        ));
    }
    let outs: Vec<(usize, &TypedParam)> = outputs.iter().enumerate().collect();
    let reply = pieces(&outs, method)?;
    let reply_words = reply.iter().map(|p| p.word + 1).max().unwrap_or(0);
    Ok(MethodPlan {
        interface: interface.to_string(),
        method: method.clone(),
        inputs,
        outputs,
        caps,
        words,
        reply,
        reply_words,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitfield;
    use crate::preprocess::{preprocess, Mode};
    use crate::xml_api::parse_api;

    const XML: &str = r#"<api>
  <struct name="seL4_Regs"><member name="pc"/><member name="sp"/><member name="x0"/></struct>
  <interface name="seL4_Obj">
    <method id="ObjMix" name="Mix">
      <param dir="in" name="flag" type="seL4_Bool"/>
      <param dir="in" name="small" type="seL4_Uint8"/>
      <param dir="in" name="big" type="seL4_Word"/>
      <param dir="in" name="other" type="seL4_Obj"/>
      <param dir="in" name="raw" type="seL4_CPtr"/>
      <param dir="in" name="regs" type="seL4_Regs"/>
      <param dir="in" name="rights" type="seL4_CapRights_t"/>
    </method>
    <method id="ObjRead" name="Read">
      <param dir="in" name="irq" type="int"/>
      <param dir="in" name="half" type="seL4_Uint16"/>
      <param dir="out" name="addr" type="seL4_Word"/>
      <param dir="out" name="on" type="seL4_Bool"/>
      <param dir="out" name="regs" type="seL4_Regs"/>
    </method>
    <method id="ObjBad" name="Bad">
      <param dir="in" name="x" type="seL4_Mystery"/>
    </method>
  </interface>
</api>"#;

    fn env(api: &ApiFile) -> TypeEnv {
        let cfg = crate::config::Config::parse("").unwrap();
        let none = |_: &str| None;
        let lines = preprocess(
            "r.bf",
            "base 64\nblock seL4_CapRights {\n padding 61\n field g 1\n field r 1\n field w 1\n}\n",
            &cfg,
            &Mode::Bitfield(&none),
        )
        .unwrap()
        .lines;
        TypeEnv::new(&[api], &bitfield::parse(&lines).unwrap())
    }

    #[test]
    fn alignment_rule() {
        assert_eq!(positions(&[1, 8, 64]).unwrap(), [(0, 1), (8, 8), (64, 64)]);
        assert_eq!(
            positions(&[1, 1, 32, 16, 128]).unwrap(),
            [(0, 1), (1, 1), (32, 32), (64, 16), (128, 128)]
        );
        assert!(positions(&[12]).is_err());
    }

    #[test]
    fn bool_u8_word_caps_and_struct() {
        let api = parse_api(XML, "x.xml").unwrap();
        let plan = plan_method("seL4_Obj", &api.interfaces[0].methods[0], &env(&api)).unwrap();
        // Capabilities go to extra caps in order, never into words.
        assert_eq!(plan.caps, [3, 4]);
        type Flat = Vec<(usize, Option<usize>, u32, u32)>;
        let w: Vec<Flat> = plan
            .words
            .iter()
            .map(|w| {
                w.iter()
                    .map(|p| (p.param, p.member, p.shift, p.bits))
                    .collect()
            })
            .collect();
        assert_eq!(
            w,
            vec![
                vec![(0, None, 0, 1), (1, None, 8, 8)], // word0 = flag | small << 8
                vec![(2, None, 0, 64)],                 // word1 = big
                vec![(5, Some(0), 0, 64)],              // the struct: one word per member
                vec![(5, Some(1), 0, 64)],
                vec![(5, Some(2), 0, 64)],
                vec![(6, None, 0, 64)], // rights, one word from its .bf block
            ]
        );
    }

    #[test]
    fn outputs_unpack_like_inputs() {
        let api = parse_api(XML, "x.xml").unwrap();
        let plan = plan_method("seL4_Obj", &api.interfaces[0].methods[1], &env(&api)).unwrap();
        assert_eq!(plan.inputs[0].ty.size_bits, 32);
        let w: Vec<_> = plan
            .words
            .iter()
            .map(|w| {
                w.iter()
                    .map(|p| (p.param, p.shift, p.bits))
                    .collect::<Vec<_>>()
            })
            .collect();
        // int is 32 bits; the u16 aligns to 16 bits and shares word 0.
        assert_eq!(w, vec![vec![(0, 0, 32), (1, 32, 16)]]);
        let r: Vec<_> = plan
            .reply
            .iter()
            .map(|p| (p.param, p.member, p.word, p.shift, p.bits))
            .collect();
        assert_eq!(
            r,
            [
                (0, None, 0, 0, 64),
                (1, None, 1, 0, 1),
                (2, Some(0), 2, 0, 64),
                (2, Some(1), 3, 0, 64),
                (2, Some(2), 4, 0, 64)
            ]
        );
        assert_eq!(plan.reply_words, 5);
    }

    #[test]
    fn unknown_type_is_an_error_naming_it() {
        let api = parse_api(XML, "x.xml").unwrap();
        let e = plan_method("seL4_Obj", &api.interfaces[0].methods[2], &env(&api)).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::UnknownType { .. }));
        assert!(
            msg.contains("seL4_Mystery")
                && msg.contains("seL4_Obj::Bad")
                && msg.starts_with("x.xml:21:"),
            "{msg}"
        );
    }
}
