//! Limits checked in one linear pass before the XML parser sees a document.
//!
//! The parser (`roxmltree`) recurses once per nesting level, so a few
//! thousand nested elements overflow the stack; and its duplicate-attribute
//! check is quadratic in an element's attribute count. No valid system comes
//! near either limit: the deepest nests 63 PDs, and no element takes more
//! than 11 attributes.

/// Deepest element nesting accepted (63 nested PDs, the system and a map need 65).
pub const MAX_DEPTH: usize = 256;
/// Most attributes accepted on one element.
pub const MAX_ATTRIBUTES: usize = 64;

/// A limit broken at byte `offset` of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    pub offset: usize,
    pub message: String,
}

/// Scans `text` as XML markup: elements, end tags, comments, CDATA sections,
/// processing instructions and declarations, and quoted attribute values.
/// It only counts; whether the markup is well formed is the parser's job.
pub fn check(text: &str) -> Result<(), Exceeded> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(lt) = find(bytes, i, b"<") {
        let rest = &bytes[lt..];
        i = if rest.starts_with(b"<!--") {
            skip_past(bytes, lt + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            skip_past(bytes, lt + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            skip_past(bytes, lt + 2, b"?>")
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") {
            if rest.starts_with(b"</") {
                depth = depth.saturating_sub(1);
            }
            skip_past(bytes, lt + 2, b">")
        } else {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(Exceeded { offset: lt, message: format!("elements are nested more than {MAX_DEPTH} deep") });
            }
            let (end, attributes, self_closing) = scan_tag(bytes, lt + 1);
            if attributes > MAX_ATTRIBUTES {
                return Err(Exceeded { offset: lt, message: format!("an element has more than {MAX_ATTRIBUTES} attributes") });
            }
            if self_closing {
                depth -= 1;
            }
            end
        };
    }
    Ok(())
}

/// From inside a start tag: the offset after its `>`, its attribute count
/// (the `=` signs outside quoted values), and whether it ends with `/>`.
fn scan_tag(bytes: &[u8], mut i: usize) -> (usize, usize, bool) {
    let mut attributes = 0;
    let mut quote = None;
    let mut last = 0u8;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => continue,
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'=' => attributes += 1,
                b'>' => return (i, attributes, last == b'/'),
                _ => {}
            },
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
    }
    (i, attributes, false)
}

fn find(bytes: &[u8], from: usize, pattern: &[u8]) -> Option<usize> {
    let tail = bytes.get(from..)?;
    tail.windows(pattern.len()).position(|w| w == pattern).map(|p| from + p)
}

/// The offset just past the next `pattern` at or after `from`, or the end.
fn skip_past(bytes: &[u8], from: usize, pattern: &[u8]) -> usize {
    find(bytes, from, pattern).map_or(bytes.len(), |p| p + pattern.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        "<a>".repeat(n) + &"</a>".repeat(n)
    }

    #[test]
    fn depth() {
        assert_eq!(check(&nested(MAX_DEPTH)), Ok(()));
        let err = check(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(err.offset, 3 * MAX_DEPTH);
        // Siblings and self-closing elements do not add depth.
        assert_eq!(check(&format!("<s>{}</s>", "<m/><n x='1'></n>".repeat(10_000))), Ok(()));
    }

    #[test]
    fn markup_that_is_not_an_element_is_skipped() {
        let hidden = "<!-- <a><a><a> --><![CDATA[<a><a>]]><?pi <a> ?><x v='<a>' w=\"/>\"/>";
        let doc = format!("{}{hidden}{}", "<a>".repeat(MAX_DEPTH - 1), "</a>".repeat(MAX_DEPTH - 1));
        assert_eq!(check(&doc), Ok(()));
    }

    #[test]
    fn attributes() {
        let attrs = |n: usize| (0..n).map(|i| format!(" a{i}=\"v=1\"")).collect::<String>();
        assert_eq!(check(&format!("<e{}/>", attrs(MAX_ATTRIBUTES))), Ok(()));
        assert!(check(&format!("<e{}/>", attrs(MAX_ATTRIBUTES + 1))).is_err());
    }
}
