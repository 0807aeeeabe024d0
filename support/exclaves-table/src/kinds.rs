//! The typed values behind the records' numbers. Sensor kinds and buffer
//! permissions are XNU's (`osfmk/mach/exclaves.h`: `exclaves_sensor_type_t`,
//! `exclaves_buffer_perm_t`). Resource types are numbered by us: XNU's
//! `xnuproxy_resourcetype_s` comes from a generated header that is not public.

/// What a resource is (EXCLAVES.md, Resources).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum ResourceType {
    ConclaveManager = 1,
    Service = 2,
    SharedMemory = 3,
    ArbitratedAudioMemory = 4,
    Sensor = 5,
    Notification = 6,
}

impl ResourceType {
    pub const ALL: [ResourceType; 6] = [
        ResourceType::ConclaveManager,
        ResourceType::Service,
        ResourceType::SharedMemory,
        ResourceType::ArbitratedAudioMemory,
        ResourceType::Sensor,
        ResourceType::Notification,
    ];

    pub fn from_u32(n: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|t| *t as u32 == n)
    }

    /// The manifest's spelling, EXCLAVES.md's names.
    pub fn name(self) -> &'static str {
        match self {
            ResourceType::ConclaveManager => "CONCLAVE_MANAGER",
            ResourceType::Service => "SERVICE",
            ResourceType::SharedMemory => "SHARED_MEMORY",
            ResourceType::ArbitratedAudioMemory => "ARBITRATED_AUDIO_MEMORY",
            ResourceType::Sensor => "SENSOR",
            ResourceType::Notification => "NOTIFICATION",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// `exclaves_sensor_type_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum SensorKind {
    Cam = 1,
    Mic = 2,
    CamAltFaceid = 3,
    CamAltFaceidDelayed = 4,
}

impl SensorKind {
    pub const ALL: [SensorKind; 4] =
        [SensorKind::Cam, SensorKind::Mic, SensorKind::CamAltFaceid, SensorKind::CamAltFaceidDelayed];

    pub fn from_u32(n: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| *k as u32 == n)
    }

    /// exclaves.h's name without its `EXCLAVES_SENSOR_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            SensorKind::Cam => "CAM",
            SensorKind::Mic => "MIC",
            SensorKind::CamAltFaceid => "CAM_ALT_FACEID",
            SensorKind::CamAltFaceidDelayed => "CAM_ALT_FACEID_DELAYED",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// `exclaves_buffer_perm_t`: what XNU may do to a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BufferPerms(u32);

impl BufferPerms {
    pub const READ: u32 = 1;
    pub const WRITE: u32 = 2;
    /// Outbound: the exclave writes, XNU reads.
    pub const OUTBOUND: BufferPerms = BufferPerms(Self::READ);
    /// Inbound: XNU writes too.
    pub const INBOUND: BufferPerms = BufferPerms(Self::READ | Self::WRITE);

    /// Only the two combinations a buffer can have; XNU never maps write-only.
    pub fn from_bits(bits: u32) -> Option<Self> {
        [Self::OUTBOUND, Self::INBOUND].into_iter().find(|p| p.0 == bits)
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn writable(self) -> bool {
        self.0 & Self::WRITE != 0
    }
}

/// How a resource reaches its exclave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// XNU's end id of the channel to the PD (a PPC for SERVICE and
    /// CONCLAVE_MANAGER, a notification for NOTIFICATION).
    Channel(u32),
    /// A region mapped into XNU at `vaddr`.
    Memory { vaddr: u64, size: u64, perms: BufferPerms },
    Sensor(SensorKind),
}

/// What a program of XNU's boot filesystem may do (bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Entitlements(pub u32);

impl Entitlements {
    /// May trigger the BOOT stages.
    pub const BOOT: u32 = 1 << 0;
    /// May use the kernel domain's resources, and LOOKUP_SERVICES falls back to it.
    pub const KERNEL_DOMAIN: u32 = 1 << 1;
    /// May spawn a task attached to a conclave.
    pub const CONCLAVE_SPAWN: u32 = 1 << 2;
    /// May be the task a conclave serves.
    pub const CONCLAVE_HOST: u32 = 1 << 3;
    /// May ask SENSOR_MIN_ON_TIME.
    pub const INDICATOR_MIN_ON_TIME: u32 = 1 << 4;
    pub const ALL: u32 =
        Self::BOOT | Self::KERNEL_DOMAIN | Self::CONCLAVE_SPAWN | Self::CONCLAVE_HOST | Self::INDICATOR_MIN_ON_TIME;

    /// The manifest's spelling of each bit.
    pub const NAMES: [(&'static str, u32); 5] = [
        ("boot", Self::BOOT),
        ("kernel-domain", Self::KERNEL_DOMAIN),
        ("conclave-spawn", Self::CONCLAVE_SPAWN),
        ("conclave-host", Self::CONCLAVE_HOST),
        ("indicator-min-on-time", Self::INDICATOR_MIN_ON_TIME),
    ];

    pub fn has(self, bit: u32) -> bool {
        self.0 & bit == bit
    }
}
