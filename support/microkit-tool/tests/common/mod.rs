//! Shared helpers: builds systems as strings and runs the checker on them.
#![allow(dead_code)]

use microkit_tool::{check, Options, Outcome};

pub fn run(xml: &str) -> Outcome {
    check("system.xml", xml, &Options::default())
}

/// A system with `pds` PDs, each joined to every later PD by a channel, so each
/// PD ends up with `pds - 1` channels. An end notifies its peer only where the
/// peer's id can be a notification badge bit (at most 25 on seL4 5.0.0).
pub fn big_system(pds: usize) -> String {
    let mut xml = String::from("<system>\n");
    for i in 0..pds {
        xml += &format!("  <memory_region name=\"mr{i}\" size=\"0x1000\" />\n");
    }
    for i in 0..pds {
        xml += &format!("  <protection_domain name=\"pd{i}\" priority=\"{}\">\n", 100 + i);
        xml += "    <program_image path=\"pd.elf\" />\n";
        for j in 0..pds {
            xml += &format!("    <map mr=\"mr{j}\" vaddr=\"{:#x}\" perms=\"r\" />\n", 0x1000_0000 + j * 0x1000);
        }
        xml += "  </protection_domain>\n";
    }
    for i in 0..pds {
        for j in i + 1..pds {
            let (a, b) = (j - 1, i);
            xml += &format!(
                "  <channel><end pd=\"pd{i}\" id=\"{a}\" pp=\"true\" notify=\"{}\" /><end pd=\"pd{j}\" id=\"{b}\" notify=\"{}\" /></channel>\n",
                b <= 25,
                a <= 25
            );
        }
    }
    xml + "</system>\n"
}
