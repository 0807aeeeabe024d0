//! Generates the Rust ABI bindings of seL4 5.0.0 on AArch64 from the kernel's
//! own interface files (XML, `.bf`, libsel4 headers) and a kernel config.
//! No ABI number is written into this crate: labels, syscall numbers, object
//! types, layouts and marshalling all come from parsing the kernel tree.

mod bitfield;
mod c_enum;
mod config;
mod emit;
mod error;
mod marshal;
mod model;
mod names;
mod preprocess;
mod xml_api;

use std::path::Path;

pub use config::Config;
pub use error::Error;

/// Reads the kernel source at `kernel_source` and returns one Rust source file
/// with the bindings for `config`.
pub fn generate(kernel_source: &Path, config: &Config) -> Result<String, Error> {
    let model = model::build(kernel_source, config)?;
    emit::emit(&model)
}
