//! The kernel's XML interface files: syscall numbering (syscall.xml) and
//! interfaces, methods, parameters and structs (sel4.xml, sel4arch.xml).

use roxmltree::{Document, Node};

use crate::config::Config;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct Syscall {
    pub name: String,
    pub number: i64,
    pub enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    In,
    Out,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: String,
    pub dir: Dir,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Method {
    pub id: String,
    pub name: String,
    pub condition: Option<String>,
    pub brief: Option<String>,
    pub params: Vec<Param>,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Interface {
    pub name: String,
    pub methods: Vec<Method>,
}

#[derive(Debug, Clone)]
pub struct Struct {
    pub name: String,
    pub members: Vec<String>,
}

/// One interface file, in document order.
#[derive(Debug, Clone, Default)]
pub struct ApiFile {
    pub interfaces: Vec<Interface>,
    pub structs: Vec<Struct>,
}

impl ApiFile {
    pub fn methods(&self) -> impl Iterator<Item = &Method> {
        self.interfaces.iter().flat_map(|i| i.methods.iter())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub id: String,
    pub value: u64,
}

fn parse_doc<'a>(text: &'a str, file: &str) -> Result<Document<'a>> {
    Document::parse(text).map_err(|e| {
        let pos = e.pos();
        Error::Xml {
            file: file.to_string(),
            line: pos.row,
            col: pos.col,
            msg: e.to_string(),
        }
    })
}

fn line_of(doc: &Document, node: Node) -> usize {
    doc.text_pos_at(node.range().start).row as usize
}

fn elements<'a, 'i>(node: Node<'a, 'i>, tag: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.descendants()
        .filter(move |n| n.is_element() && n.has_tag_name(tag))
}

fn required_attr<'a>(
    doc: &Document,
    node: Node<'a, '_>,
    attr: &str,
    file: &str,
) -> Result<&'a str> {
    node.attribute(attr).ok_or_else(|| {
        Error::syntax(
            file,
            line_of(doc, node),
            format!("<{}> lacks the `{attr}` attribute", node.tag_name().name()),
        )
    })
}

fn condition_holds(cond: Option<&str>, config: &Config, file: &str, line: usize) -> Result<bool> {
    match cond {
        None => Ok(true),
        Some(c) => config.eval(c).map_err(|e| e.at(file, line)),
    }
}

/// Numbers syscalls like `syscall_header_gen.py`: -1, -2, ... in document
/// order over `<api>` then `<debug>`. A syscall in a false `<config>` block
/// still uses up its number; it is only left out.
pub fn parse_syscalls(text: &str, file: &str, config: &Config) -> Result<Vec<Syscall>> {
    let doc = parse_doc(text, file)?;
    let root = doc.root();
    let apis: Vec<_> = elements(root, "api").collect();
    if apis.len() != 1 {
        return Err(Error::syntax(file, 1, "expected exactly one <api> element"));
    }
    let api_configs: Vec<_> = elements(apis[0], "config").collect();
    if api_configs.len() != 1
        || api_configs[0]
            .attribute("name")
            .is_some_and(|n| !n.is_empty())
    {
        return Err(Error::syntax(
            file,
            line_of(&doc, apis[0]),
            "<api> must hold exactly one unnamed <config>",
        ));
    }
    let debug: Vec<_> = elements(root, "debug").collect();
    if debug.len() > 1 {
        return Err(Error::syntax(
            file,
            line_of(&doc, debug[1]),
            "more than one <debug> element",
        ));
    }
    let mut out = Vec::new();
    let mut number = -1i64;
    for section in apis.iter().chain(debug.iter()) {
        for cfg in elements(*section, "config") {
            let cond = cfg.attribute("condition").filter(|c| !c.trim().is_empty());
            let enabled = condition_holds(cond, config, file, line_of(&doc, cfg))?;
            for sc in elements(cfg, "syscall") {
                let name = required_attr(&doc, sc, "name", file)?;
                out.push(Syscall {
                    name: name.to_string(),
                    number,
                    enabled,
                });
                number -= 1;
            }
        }
    }
    if out.is_empty() {
        return Err(Error::syntax(file, 1, "no syscalls found"));
    }
    Ok(out)
}

/// Renders a `<brief>`: text with `<texttt text="x"/>` as `` `x` ``,
/// whitespace collapsed.
fn render_brief(node: Node) -> String {
    fn walk(node: Node, out: &mut String) {
        for child in node.children() {
            if child.is_text() {
                out.push_str(child.text().unwrap_or(""));
            } else if child.is_element() {
                match child.tag_name().name() {
                    "texttt" => {
                        out.push('`');
                        out.push_str(child.attribute("text").unwrap_or(""));
                        out.push('`');
                    }
                    "obj" => out.push_str(child.attribute("name").unwrap_or("")),
                    _ => walk(child, out),
                }
            }
        }
    }
    let mut raw = String::new();
    walk(node, &mut raw);
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn parse_api(text: &str, file: &str) -> Result<ApiFile> {
    let doc = parse_doc(text, file)?;
    let root = doc.root_element();
    let mut api = ApiFile::default();
    for s in elements(root, "struct") {
        let name = required_attr(&doc, s, "name", file)?.to_string();
        let members = elements(s, "member")
            .map(|m| required_attr(&doc, m, "name", file).map(str::to_string))
            .collect::<Result<Vec<_>>>()?;
        api.structs.push(Struct { name, members });
    }
    for iface in elements(root, "interface") {
        let name = required_attr(&doc, iface, "name", file)?.to_string();
        let mut methods = Vec::new();
        for m in elements(iface, "method") {
            let line = line_of(&doc, m);
            let mut params = Vec::new();
            for p in elements(m, "param") {
                let dir = match required_attr(&doc, p, "dir", file)? {
                    "in" => Dir::In,
                    "out" => Dir::Out,
                    other => {
                        return Err(Error::syntax(
                            file,
                            line_of(&doc, p),
                            format!("param dir must be `in` or `out`, not `{other}`"),
                        ))
                    }
                };
                params.push(Param {
                    name: required_attr(&doc, p, "name", file)?.to_string(),
                    ty: required_attr(&doc, p, "type", file)?.to_string(),
                    dir,
                    line: line_of(&doc, p),
                });
            }
            methods.push(Method {
                id: required_attr(&doc, m, "id", file)?.to_string(),
                name: required_attr(&doc, m, "name", file)?.to_string(),
                condition: m
                    .attribute("condition")
                    .filter(|c| !c.trim().is_empty())
                    .map(str::to_string),
                brief: elements(m, "brief")
                    .next()
                    .map(render_brief)
                    .filter(|b| !b.is_empty()),
                params,
                file: file.to_string(),
                line,
            });
        }
        api.interfaces.push(Interface { name, methods });
    }
    Ok(api)
}

pub fn method_enabled(m: &Method, config: &Config) -> Result<bool> {
    condition_holds(m.condition.as_deref(), config, &m.file, m.line)
}

/// Numbers invocation labels like `invocation_header_gen.py`:
/// InvalidInvocation = 0, then the enabled methods of the generic file, the
/// sel4_arch file and the arch file, each continuing the previous count.
/// Returns the labels and the total (`nArchInvocationLabels`).
pub fn number_labels(
    generic: &ApiFile,
    sel4_arch: &ApiFile,
    arch: &ApiFile,
    config: &Config,
) -> Result<(Vec<Label>, u64)> {
    let mut labels = vec![Label {
        id: "InvalidInvocation".into(),
        value: 0,
    }];
    let mut next = 1u64;
    for (layer, file) in [
        ("generic", generic),
        ("sel4_arch", sel4_arch),
        ("arch", arch),
    ] {
        for (i, m) in file.methods().enumerate() {
            // The C template has `#error` for this: the first label anchors the layer's numbering.
            if i == 0 && layer != "generic" && m.condition.is_some() {
                return Err(Error::syntax(
                    &m.file,
                    m.line,
                    format!(
                        "first {layer} invocation label `{}` cannot be conditional",
                        m.id
                    ),
                ));
            }
            if method_enabled(m, config)? {
                labels.push(Label {
                    id: m.id.clone(),
                    value: next,
                });
                next += 1;
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for l in &labels {
        if !seen.insert(l.id.as_str()) {
            return Err(Error::Syntax {
                file: "<interface files>".into(),
                line: 0,
                msg: format!("invocation label `{}` defined twice", l.id),
            });
        }
    }
    Ok((labels, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSCALLS: &str = r#"<?xml version="1.0"?>
<syscalls>
  <api><config><syscall name="Ping"/><syscall name="PongRecv"/></config></api>
  <debug>
    <config condition="defined CONFIG_ON"><syscall name="DebugOne"/></config>
    <config condition="defined CONFIG_OFF"><syscall name="Hidden"/><syscall name="Hidden2"/></config>
    <config condition="CONFIG_ON"><syscall name="After"/></config>
  </debug>
</syscalls>"#;

    fn cfg() -> Config {
        Config::parse("CONFIG_ON=y\nCONFIG_NODES=1\n").unwrap()
    }

    #[test]
    fn syscall_numbers_skip_disabled_blocks_but_keep_counting() {
        let s = parse_syscalls(SYSCALLS, "sys.xml", &cfg()).unwrap();
        let got: Vec<_> = s
            .iter()
            .map(|s| (s.name.as_str(), s.number, s.enabled))
            .collect();
        assert_eq!(
            got,
            [
                ("Ping", -1, true),
                ("PongRecv", -2, true),
                ("DebugOne", -3, true),
                ("Hidden", -4, false),
                ("Hidden2", -5, false),
                ("After", -6, true),
            ]
        );
    }

    #[test]
    fn syscall_api_needs_one_config() {
        let bad = "<syscalls><api><config/><config/></api></syscalls>";
        assert!(parse_syscalls(bad, "s.xml", &cfg()).is_err());
    }

    const GENERIC: &str = r#"<api>
  <interface name="seL4_Thing">
    <method id="ThingA" name="A"><brief> Do <texttt text="x"/>
       now </brief></method>
    <method id="ThingMulti" name="Multi" condition="CONFIG_NODES > 1"/>
    <method id="ThingB" name="B">
      <param dir="in" name="v" type="seL4_Word"/>
      <param dir="out" name="r" type="seL4_Bool"/>
    </method>
  </interface>
</api>"#;
    const SEL4_ARCH: &str = r#"<api>
  <struct name="seL4_Ctx"><member name="a"/><member name="b"/></struct>
  <interface name="seL4_ARM_Dir"><method id="DirMap" name="Map"/></interface>
</api>"#;
    const ARCH: &str = r#"<api>
  <interface name="seL4_ARM_Tab">
    <method id="TabMap" name="Map"/>
    <method id="TabIO" name="IO" condition="defined(CONFIG_OFF)"/>
    <method id="TabLast" name="Last"/>
  </interface>
</api>"#;

    #[test]
    fn labels_continue_across_files_and_skip_disabled_methods() {
        let g = parse_api(GENERIC, "g.xml").unwrap();
        let s = parse_api(SEL4_ARCH, "s.xml").unwrap();
        let a = parse_api(ARCH, "a.xml").unwrap();
        let (labels, count) = number_labels(&g, &s, &a, &cfg()).unwrap();
        let got: Vec<_> = labels.iter().map(|l| (l.id.as_str(), l.value)).collect();
        assert_eq!(
            got,
            [
                ("InvalidInvocation", 0),
                ("ThingA", 1),
                ("ThingB", 2),
                ("DirMap", 3),
                ("TabMap", 4),
                ("TabLast", 5)
            ]
        );
        assert_eq!(count, 6);
        // With more nodes the conditional generic method appears and shifts everything after it.
        let multi = Config::parse("CONFIG_NODES=2\n").unwrap();
        let (labels, count) = number_labels(&g, &s, &a, &multi).unwrap();
        assert_eq!(labels[2].id, "ThingMulti");
        assert_eq!(labels.last().unwrap().value, 6);
        assert_eq!(count, 7);
    }

    #[test]
    fn first_arch_label_cannot_be_conditional() {
        let g = parse_api(GENERIC, "g.xml").unwrap();
        let s = parse_api(SEL4_ARCH, "s.xml").unwrap();
        let a = parse_api(
            r#"<api><interface name="X"><method id="Q" name="Q" condition="1"/></interface></api>"#,
            "a.xml",
        )
        .unwrap();
        let e = number_labels(&g, &s, &a, &cfg()).unwrap_err().to_string();
        assert!(
            e.contains("a.xml:1") && e.contains("cannot be conditional"),
            "{e}"
        );
    }

    #[test]
    fn methods_params_structs_and_briefs() {
        let g = parse_api(GENERIC, "g.xml").unwrap();
        let m = &g.interfaces[0].methods[0];
        assert_eq!(m.brief.as_deref(), Some("Do `x` now"));
        assert_eq!(m.line, 3);
        let b = &g.interfaces[0].methods[2];
        assert_eq!(b.params.len(), 2);
        assert_eq!(b.params[1].dir, Dir::Out);
        let s = parse_api(SEL4_ARCH, "s.xml").unwrap();
        assert_eq!(s.structs[0].members, ["a", "b"]);
    }

    #[test]
    fn malformed_xml_reports_location() {
        let e = parse_api("<api>\n  <interface name=\"x\">\n  </api>\n", "bad.xml").unwrap_err();
        match &e {
            Error::Xml { file, line, .. } => {
                assert_eq!(file, "bad.xml");
                assert_eq!(*line, 3);
            }
            other => panic!("wrong error {other:?}"),
        }
        assert!(e.to_string().starts_with("bad.xml:3:"), "{e}");
    }

    #[test]
    fn bad_condition_reports_location() {
        let g = parse_api(r#"<api><interface name="X"><method id="Q" name="Q" condition="CONFIG_A +"/></interface></api>"#, "c.xml").unwrap();
        let m = &g.interfaces[0].methods[0];
        let e = method_enabled(m, &cfg()).unwrap_err().to_string();
        assert!(e.starts_with("c.xml:1:"), "{e}");
    }
}
