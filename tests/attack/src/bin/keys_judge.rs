//! ATTACK0019 (judge): the key service's answers to a compromised XNU's
//! every way of asking (`keys_asker.rs`). After each answer the judge reads
//! the asker's page, which only the key service writes while the asker
//! waits on it, and checks that no 8 bytes of the device secret, nor of the
//! storage exclave's key (derived for `exclave:storage`, which only the
//! storage exclave's channel may have), are in it; and that it looked at
//! every probe.
#![no_std]
#![no_main]

use attack_pds::keys_probe::{count, DONE, LOOK};
use attack_pds::{ensure, judge};
use hkdf::Hkdf;
use sel4_microkit::{memory_region_symbol, protection_domain, Channel, Handler, MemoryRegion, MessageInfo};
use sha2::Sha256;
use tightbeam_channel::PAGE_BYTES;

protection_domain!(init);

/// The key service's salt (exclaves/src/bin/keys.rs): the judge derives the
/// storage key as the service would, to look for it.
const SALT: &[u8] = b"exclaves key service v1";
const WINDOW: usize = 8;

struct Judge {
    page: Option<MemoryRegion>,
    secrets: [[u8; 32]; 2],
    looks: usize,
    failure: Option<&'static str>,
}

impl Judge {
    fn look(&mut self) -> Result<(), &'static str> {
        let page = self.page.ok_or("the asker's page is not mapped")?;
        let mut bytes = [0u8; PAGE_BYTES];
        page.read(0, &mut bytes).map_err(|_| "the asker's page does not read")?;
        for secret in &self.secrets {
            let leaked = secret.windows(WINDOW).any(|s| bytes.windows(WINDOW).any(|b| b == s));
            ensure(!leaked, "an answer holds 8 bytes of the device secret or of the storage key")?;
        }
        Ok(())
    }
}

impl Handler for Judge {
    fn protected(&mut self, _: Channel, msg: MessageInfo) -> MessageInfo {
        match msg.label() {
            LOOK => {
                self.looks += 1;
                if let (Err(why), None) = (self.look(), self.failure) {
                    self.failure = Some(why);
                }
            }
            DONE => {
                let result = match self.failure {
                    Some(why) => Err(why),
                    None if self.looks != count() => Err("the judge did not see every answer"),
                    None => Ok(()),
                };
                judge!("ATTACK0019", "the key service gives XNU neither its device secret nor another exclave's key, however asked", result);
            }
            _ => {}
        }
        MessageInfo::new(0, 0)
    }
}

fn init() -> Judge {
    let mut secret = [0u8; 32];
    let known = memory_region_symbol!(device_secret, 0x1000).is_ok_and(|r| r.read(0, &mut secret).is_ok());
    let mut storage_key = [0u8; 32];
    // 32 bytes is far below HKDF's limit: the expand cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(SALT), &secret).expand(b"exclave:storage", &mut storage_key);
    let page = memory_region_symbol!(keys_page, PAGE_BYTES).ok();
    let failure = (!known).then_some("the judge cannot read the device secret");
    Judge { page, secrets: [secret, storage_key], looks: 0, failure }
}
