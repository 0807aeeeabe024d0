//! The key service: derives per-task or per-VM keys from a device secret
//! that only it holds, with HKDF-SHA256 (the identity as HKDF's info).
//!
//! - **The device secret is simulated**: 32 random bytes made once per build
//!   tree (`build/<config>/device-secret.bin`), prefilled into a region only
//!   this PD maps. Real hardware keeps such a secret in fuses or a secure
//!   element that only the secure side can use, and never reads it out.
//! - **Which identities get keys, for whom** is this service's own policy,
//!   a file the build prefills into a region only it maps
//!   (`manifests/keys.policy`: `CALLER IDENTITY` a line, the caller being
//!   the channel id a request comes on; a trailing `*` allows every
//!   identity with that prefix). XNU, whatever it asks, gets keys for its
//!   lines alone, and no method returns the secret.
#![no_std]
#![no_main]

use exclaves::Service;
use hkdf::Hkdf;
use sel4_microkit::{memory_region_symbol, protection_domain, MemoryRegion};
use sha2::Sha256;
use tightbeam::keys::{DerivedKey, KEY_BYTES};
use tightbeam::{ErrorCode, Reply, Request, Scratch, ServiceId};

protection_domain!(init);

const SECRET_BYTES: usize = 32;
/// The policy region's size (system.xml).
const POLICY_BYTES: usize = 0x1000;
/// HKDF's salt: names this use of the secret.
const SALT: &[u8] = b"exclaves key service v1";

/// An identity the policy does not allow.
const NOT_ALLOWED: ErrorCode = ErrorCode::service(1);
/// No secret or policy mapped.
const NO_SECRET: ErrorCode = ErrorCode::service(2);

struct Keys {
    secret: Option<[u8; SECRET_BYTES]>,
    policy: [u8; POLICY_BYTES],
    /// The channel id of the request being answered.
    caller: u8,
}

impl Keys {
    /// Whether a line of the policy allows the caller `identity`.
    fn allowed(&self, identity: &[u8]) -> bool {
        let text = self.policy.split(|&b| b == 0).next().unwrap_or(&[]);
        text.split(|&b| b == b'\n').map(|l| l.trim_ascii()).filter(|l| !l.is_empty() && !l.starts_with(b"#")).any(|line| {
            let Some(space) = line.iter().position(|&b| b == b' ') else { return false };
            let (caller, pattern) = line.split_at(space);
            if core::str::from_utf8(caller).ok().and_then(|c| c.parse::<u8>().ok()) != Some(self.caller) {
                return false;
            }
            match pattern.trim_ascii().strip_suffix(b"*") {
                Some(prefix) => identity.starts_with(prefix),
                None => identity == pattern.trim_ascii(),
            }
        })
    }
}

impl tightbeam::Handler for Keys {
    const SERVICE: ServiceId = ServiceId::Keys;

    fn handle<'a>(&mut self, request: Request<'a>, _: &'a mut Scratch) -> Result<Reply<'a>, ErrorCode> {
        let Request::Derive(d) = request else { return Err(ErrorCode::INTERNAL) };
        let secret = self.secret.ok_or(NO_SECRET)?;
        if !self.allowed(d.identity) {
            return Err(NOT_ALLOWED);
        }
        let mut key = [0u8; KEY_BYTES];
        Hkdf::<Sha256>::new(Some(SALT), &secret).expand(d.identity, &mut key).map_err(|_| ErrorCode::INTERNAL)?;
        Ok(Reply::Key(DerivedKey { key }))
    }

    fn caller(&mut self, channel: u8) {
        self.caller = channel;
    }
}

fn read<const N: usize>(region: Result<MemoryRegion, sel4_microkit::RegionError>) -> Option<[u8; N]> {
    let region = region.ok()?;
    let mut bytes = [0u8; N];
    region.read(0, &mut bytes).ok()?;
    Some(bytes)
}

fn init() -> Service<Keys> {
    let secret = read::<SECRET_BYTES>(memory_region_symbol!(device_secret, 0x1000));
    let policy = read::<POLICY_BYTES>(memory_region_symbol!(keys_policy, POLICY_BYTES)).unwrap_or([0; POLICY_BYTES]);
    Service::new(Keys { secret, policy, caller: 0 })
}
