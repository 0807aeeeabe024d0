//! Reads the kernel tree and gathers everything the generated file holds,
//! already named for Rust, so `emit` only has to print it.

use std::path::{Path, PathBuf};

use crate::bitfield::{self, BitfieldSpec};
use crate::c_enum::{self, Header, Symbols};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::marshal::{self, MethodPlan, TypeEnv};
use crate::names::{camel, screaming, snake, strip_prefixes};
use crate::preprocess::{preprocess, Mode};
use crate::xml_api::{self, ApiFile, Label, Struct, Syscall};

/// Kernel files read, relative to the kernel source root.
pub mod paths {
    pub const SYSCALL_XML: &str = "include/api/syscall.xml";
    pub const API_XML: &str = "libsel4/include/interfaces/sel4.xml";
    pub const SEL4_ARCH_XML: &str = "libsel4/sel4_arch_include/aarch64/interfaces/sel4arch.xml";
    pub const ARCH_XML: &str = "libsel4/arch_include/arm/interfaces/sel4arch.xml";
    pub const BF_FILES: [&str; 3] = [
        "libsel4/include/sel4/shared_types_64.bf",
        "libsel4/include/sel4/types_64.bf",
        "libsel4/sel4_arch_include/aarch64/sel4/sel4_arch/types.bf",
    ];
    /// Where `#include <...>` in `.bf` files is looked up.
    pub const INCLUDE_DIRS: [&str; 3] = [
        "libsel4/include",
        "libsel4/arch_include/arm",
        "libsel4/sel4_arch_include/aarch64",
    ];
    /// In this order: object types refer to earlier headers' enumerators.
    pub const OBJECT_TYPE_H: [&str; 3] = [
        "libsel4/include/sel4/objecttype.h",
        "libsel4/sel4_arch_include/aarch64/sel4/sel4_arch/objecttype.h",
        "libsel4/arch_include/arm/sel4/arch/objecttype.h",
    ];
    pub const ERRORS_H: &str = "libsel4/include/sel4/errors.h";
    pub const CONSTANTS_H: [&str; 2] = [
        "libsel4/include/sel4/constants.h",
        "libsel4/sel4_arch_include/aarch64/sel4/sel4_arch/constants.h",
    ];
    /// Holds the `seL4_CapFault_Msg` layout.
    pub const SHARED_TYPES_H: &str = "libsel4/include/sel4/shared_types.h";
    pub const ARCH_TYPES_H: &str = "libsel4/arch_include/arm/sel4/arch/types.h";
    pub const BOOTINFO_TYPES_H: &str = "libsel4/include/sel4/bootinfo_types.h";
}

/// A named integer for the generated file: Rust name, value, kernel name.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub name: String,
    pub value: i64,
    pub c_name: String,
}

#[derive(Debug, Clone)]
pub struct InterfaceImpl {
    pub c_name: String,
    pub cap_type: String,
    pub prefix: String,
    pub methods: Vec<MethodPlan>,
}

#[derive(Debug)]
pub struct Model {
    pub config: Vec<(String, String)>,
    pub syscalls: Vec<Syscall>,
    pub labels: Vec<Label>,
    pub label_count: u64,
    pub object_types: Vec<Item>,
    pub errors: Vec<Item>,
    pub consts: Vec<Item>,
    /// (module name, kernel kind name, fields)
    pub fault_layouts: Vec<(String, String, Vec<Item>)>,
    pub bitfields: BitfieldSpec,
    pub structs: Vec<Struct>,
    pub interfaces: Vec<InterfaceImpl>,
    pub vm_attributes: Vec<Item>,
    pub init_slots: Vec<Item>,
}

fn read(root: &Path, rel: &str) -> Result<(String, String)> {
    let path: PathBuf = root.join(rel);
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    Ok((path.display().to_string(), text))
}

fn header(root: &Path, rel: &str, config: &Config, sym: &mut Symbols) -> Result<Header> {
    let (name, text) = read(root, rel)?;
    c_enum::parse_header(&name, &text, config, sym)
}

fn find_enum<'a>(h: &'a Header, name: &str) -> Result<&'a c_enum::CEnum> {
    h.enums
        .iter()
        .find(|e| e.name.as_deref() == Some(name))
        .ok_or_else(|| Error::syntax(&h.file, 1, format!("no enum `{name}` found")))
}

fn item(c_name: &str, name: String, value: i64) -> Item {
    Item {
        name,
        value,
        c_name: c_name.to_string(),
    }
}

pub fn build(root: &Path, config: &Config) -> Result<Model> {
    if let Some(ws) = config.value("CONFIG_WORD_SIZE") {
        if ws != "64" {
            return Err(Error::Generate(format!(
                "CONFIG_WORD_SIZE is {ws}; only 64-bit AArch64 is supported"
            )));
        }
    }

    let (f, t) = read(root, paths::SYSCALL_XML)?;
    let syscalls = xml_api::parse_syscalls(&t, &f, config)?;

    let mut api = Vec::new();
    for rel in [paths::API_XML, paths::SEL4_ARCH_XML, paths::ARCH_XML] {
        let (f, t) = read(root, rel)?;
        api.push(xml_api::parse_api(&t, &f)?);
    }
    let (labels, label_count) = xml_api::number_labels(&api[0], &api[1], &api[2], config)?;

    let bitfields = read_bitfields(root, config)?;

    let mut sym = Symbols::new();
    let mut object_types = Vec::new();
    for rel in paths::OBJECT_TYPE_H {
        for e in header(root, rel, config, &mut sym)?.enums {
            for entry in e.entries.iter().filter(|x| !x.name.ends_with("Count")) {
                let short = strip_prefixes(&entry.name);
                let short = short.strip_suffix("Object").unwrap_or(short);
                object_types.push(item(&entry.name, camel(short), entry.value));
            }
        }
    }

    let errors_h = header(root, paths::ERRORS_H, config, &mut sym)?;
    let errors = find_enum(&errors_h, "seL4_Error")?
        .entries
        .iter()
        .filter(|e| !e.name.starts_with("seL4_Num"))
        .map(|e| item(&e.name, camel(strip_prefixes(&e.name)), e.value))
        .collect();

    let mut consts = Vec::new();
    let mut fault_layouts = Vec::new();
    let mut const_headers = Vec::new();
    for rel in paths::CONSTANTS_H {
        const_headers.push((true, header(root, rel, config, &mut sym)?));
    }
    const_headers.push((
        false,
        header(root, paths::SHARED_TYPES_H, config, &mut sym)?,
    ));
    for (is_constants, h) in &const_headers {
        for e in &h.enums {
            let kind = e
                .name
                .as_deref()
                .and_then(|n| n.strip_prefix("seL4_"))
                .and_then(|n| n.strip_suffix("_Msg"));
            if let Some(kind) = kind {
                let prefix = format!("seL4_{kind}_");
                let mut fields = Vec::new();
                for entry in &e.entries {
                    let Some(field) = entry.name.strip_prefix(&prefix) else {
                        return Err(Error::syntax(
                            &h.file,
                            entry.line,
                            format!("`{}` does not start with `{prefix}`", entry.name),
                        ));
                    };
                    fields.push(item(&entry.name, screaming(field), entry.value));
                }
                fault_layouts.push((snake(kind), kind.to_string(), fields));
            } else if *is_constants {
                for entry in e.entries.iter().filter(|x| x.name.starts_with("seL4_")) {
                    consts.push(item(
                        &entry.name,
                        screaming(strip_prefixes(&entry.name)),
                        entry.value,
                    ));
                }
            }
        }
        if *is_constants {
            for d in h.defines.iter().filter(|d| d.name.starts_with("seL4_")) {
                consts.push(item(&d.name, screaming(strip_prefixes(&d.name)), d.value));
            }
        }
    }
    check_unique(&consts, "consts")?;

    let arch_types = header(root, paths::ARCH_TYPES_H, config, &mut sym)?;
    let vm_attributes = find_enum(&arch_types, "seL4_ARM_VMAttributes")?
        .entries
        .iter()
        .map(|e| item(&e.name, screaming(strip_prefixes(&e.name)), e.value))
        .collect();
    let bootinfo = header(root, paths::BOOTINFO_TYPES_H, config, &mut sym)?;
    let init_slots: Vec<Item> = bootinfo
        .enums
        .iter()
        .flat_map(|e| e.entries.iter())
        .map(|e| item(&e.name, screaming(strip_prefixes(&e.name)), e.value))
        .collect();
    check_unique(&init_slots, "init_thread_slot")?;

    let structs: Vec<Struct> = api.iter().flat_map(|f| f.structs.iter().cloned()).collect();
    let interfaces = plan_interfaces(&api, &bitfields, config)?;

    Ok(Model {
        config: config.entries().to_vec(),
        syscalls,
        labels,
        label_count,
        object_types,
        errors,
        consts,
        fault_layouts,
        bitfields,
        structs,
        interfaces,
        vm_attributes,
        init_slots,
    })
}

fn check_unique(items: &[Item], what: &str) -> Result<()> {
    let mut seen = std::collections::HashMap::new();
    for i in items {
        if let Some(prev) = seen.insert(i.name.as_str(), i.c_name.as_str()) {
            return Err(Error::Generate(format!(
                "{what}: `{}` and `{prev}` both become `{}`",
                i.c_name, i.name
            )));
        }
    }
    Ok(())
}

fn read_bitfields(root: &Path, config: &Config) -> Result<BitfieldSpec> {
    let include = |name: &str| {
        paths::INCLUDE_DIRS.iter().find_map(|dir| {
            let p = root.join(dir).join(name);
            std::fs::read_to_string(&p)
                .ok()
                .map(|t| (p.display().to_string(), t))
        })
    };
    let mut spec = BitfieldSpec::default();
    for rel in paths::BF_FILES {
        let (f, t) = read(root, rel)?;
        let out = preprocess(&f, &t, config, &Mode::Bitfield(&include))?;
        let part = bitfield::parse(&out.lines)?;
        spec.blocks.extend(part.blocks);
        spec.unions.extend(part.unions);
    }
    spec.validate()?;
    if let Some(b) = spec.blocks.iter().find(|b| b.base != 64) {
        return Err(Error::syntax(
            &b.file,
            b.line,
            format!(
                "block `{}` has base {}; only base 64 is supported",
                b.name, b.base
            ),
        ));
    }
    if spec.union("seL4_Fault").is_none() {
        return Err(Error::syntax(
            paths::BF_FILES[2],
            1,
            "no `tagged_union seL4_Fault` found",
        ));
    }
    Ok(spec)
}

fn plan_interfaces(
    api: &[ApiFile],
    bf: &BitfieldSpec,
    config: &Config,
) -> Result<Vec<InterfaceImpl>> {
    let files: Vec<&ApiFile> = api.iter().collect();
    let env = TypeEnv::new(&files, bf);
    let mut out = Vec::new();
    let mut fn_names = std::collections::HashMap::new();
    for iface in api.iter().flat_map(|f| f.interfaces.iter()) {
        let short = strip_prefixes(&iface.name);
        let mut imp = InterfaceImpl {
            c_name: iface.name.clone(),
            cap_type: camel(short),
            prefix: snake(short),
            methods: Vec::new(),
        };
        for m in &iface.methods {
            // A method whose condition is false does not exist; its types are not checked.
            if !xml_api::method_enabled(m, config)? {
                continue;
            }
            let fn_name = format!("{}_{}", imp.prefix, snake(&m.name));
            if let Some(prev) =
                fn_names.insert((imp.cap_type.clone(), fn_name.clone()), m.id.clone())
            {
                return Err(Error::syntax(
                    &m.file,
                    m.line,
                    format!("`{}` and `{prev}` both become `{fn_name}`", m.id),
                ));
            }
            imp.methods
                .push(marshal::plan_method(&iface.name, m, &env)?);
        }
        if !imp.methods.is_empty() {
            out.push(imp);
        }
    }
    Ok(out)
}
