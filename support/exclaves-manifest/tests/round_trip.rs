//! Compile `tests/exclaves/full` and `manifests/`, parse the table as XNU
//! will, and look every resource up.

mod common;

use exclaves_table::{Backing, BufferPerms, Entitlements, ResourceType, SensorKind, Table};

#[test]
fn every_type_round_trips_through_the_table() {
    let blob = common::compile(&common::fixtures().join("full"), None).expect("full/ compiles");
    let table = Table::parse(&blob).expect("the compiled table parses");

    let domains: Vec<&str> = table.domains().map(|d| d.name()).collect();
    assert_eq!(domains, ["conclave.audio", "darwin", "kernel"]);

    let hello = table.lookup("kernel", "hello", ResourceType::Service).expect("hello");
    assert_eq!((hello.id, hello.backing, hello.domain), (0, Backing::Channel(3), "kernel"));
    let manager = table.lookup("kernel", "conclave.audio", ResourceType::ConclaveManager).expect("manager");
    assert_eq!(manager.backing, Backing::Channel(6));
    let mic = table.lookup("kernel", "mic", ResourceType::Sensor).expect("mic");
    assert_eq!(mic.backing, Backing::Sensor(SensorKind::Mic));

    // One name, two types: each lookup finds its own.
    let service = table.lookup("darwin", "echo", ResourceType::Service).expect("echo service");
    assert_eq!((service.id, service.backing), (0, Backing::Channel(4)));
    let buffer = table.lookup("darwin", "echo", ResourceType::SharedMemory).expect("echo buffer");
    assert_eq!(buffer.backing, Backing::Memory { vaddr: 0x600_0000, size: 0x1000, perms: BufferPerms::INBOUND });
    assert_eq!(table.lookup("darwin", "echo", ResourceType::Notification), None);

    let out = table.lookup("darwin", "echo_out", ResourceType::SharedMemory).expect("echo_out");
    assert_eq!(out.backing, Backing::Memory { vaddr: 0x600_1000, size: 0x2000, perms: BufferPerms::OUTBOUND });
    let events = table.lookup("darwin", "echo_events", ResourceType::Notification).expect("events");
    assert_eq!(events.backing, Backing::Channel(5));
    let audio = table.lookup("conclave.audio", "mic_buffer", ResourceType::ArbitratedAudioMemory).expect("audio");
    assert_eq!(audio.backing, Backing::Memory { vaddr: 0x600_3000, size: 0x4000, perms: BufferPerms::OUTBOUND });

    // An unconnected resource is in the table but never found.
    assert_eq!(table.lookup("kernel", "cam", ResourceType::Sensor), None);
    let kernel = table.domain("kernel").expect("kernel domain");
    let cam = kernel.resources().find(|r| r.name == "cam").expect("cam is listed");
    assert!(!cam.connected);
    assert_eq!(kernel.resources().count(), 4);
    assert_eq!(kernel.by_id(ResourceType::Sensor, 3), None);
    assert_eq!(kernel.by_id(ResourceType::Service, 0).map(|r| r.name), Some("hello"));

    // A resource is only in its own domain.
    assert_eq!(table.lookup("darwin", "hello", ResourceType::Service), None);
    assert!(table.domain("conclave.nosuch").is_none());

    let launchd = table.entitlements("launchd").expect("launchd");
    assert!(launchd.has(Entitlements::BOOT) && launchd.has(Entitlements::KERNEL_DOMAIN));
    assert!(!launchd.has(Entitlements::CONCLAVE_SPAWN));
    let audiod = table.entitlements("audiod").expect("audiod");
    assert_eq!(audiod.0, Entitlements::CONCLAVE_SPAWN | Entitlements::CONCLAVE_HOST | Entitlements::INDICATOR_MIN_ON_TIME);
    assert_eq!(table.entitlements("sh"), None);
}

#[test]
fn the_repository_manifests_compile_against_the_default_system() {
    let dir = common::fixtures().join("../../manifests");
    let programs = ["launchd", "testchild", "sensortest", "sh", "conclavehost", "concltest", "xnubench"].map(String::from);
    let blob = common::compile_against(&dir, Some(&programs), &common::default_system()).expect("manifests/ compiles");
    let table = Table::parse(&blob).expect("parses");
    let hello = table.lookup("kernel", "hello", ResourceType::Service).expect("the boot probe");
    assert_eq!(hello.backing, Backing::Channel(3));
    let echo = table.lookup("darwin", "echo", ResourceType::Service).expect("echo");
    assert_eq!(echo.backing, Backing::Channel(4));
    let buffers = table.lookup("darwin", "buffers", ResourceType::Service).expect("buffers");
    assert_eq!(buffers.backing, Backing::Channel(5));
    // The named buffers, at XNU's mappings in system.xml.
    let out = table.lookup("darwin", "outbound", ResourceType::SharedMemory).expect("outbound");
    assert_eq!(out.backing, Backing::Memory { vaddr: 0x520_0000, size: 0x4000, perms: BufferPerms::OUTBOUND });
    let inb = table.lookup("darwin", "inbound", ResourceType::SharedMemory).expect("inbound");
    assert_eq!(inb.backing, Backing::Memory { vaddr: 0x520_4000, size: 0x4000, perms: BufferPerms::INBOUND });
    let launchd = table.entitlements("launchd").expect("launchd");
    assert_eq!(launchd.0, Entitlements::BOOT | Entitlements::KERNEL_DOMAIN);
    // The XNU suites' entitled child.
    assert_eq!(table.entitlements("testchild").map(|e| e.0), Some(Entitlements::BOOT | Entitlements::KERNEL_DOMAIN));
    assert_eq!(table.entitlements("exclavetest"), None);
    // The deadlines' readers: the sensor suite and the shell's `indicator`
    // (which also attaches conclave hosts).
    assert_eq!(table.entitlements("sensortest").map(|e| e.0), Some(Entitlements::INDICATOR_MIN_ON_TIME));
    assert_eq!(table.entitlements("sh").map(|e| e.0), Some(Entitlements::INDICATOR_MIN_ON_TIME | Entitlements::CONCLAVE_SPAWN));
    assert_eq!(table.entitlements("conclavehost").map(|e| e.0), Some(Entitlements::CONCLAVE_HOST));
    let mic = table.lookup("darwin", "mic", ResourceType::Sensor).expect("mic");
    assert_eq!(mic.backing, Backing::Sensor(SensorKind::Mic));
    // The demo conclave: its manager in the kernel domain, its service and
    // events in its own.
    let manager = table.lookup("kernel", "conclave.demo", ResourceType::ConclaveManager).expect("the demo conclave's manager");
    assert_eq!(manager.backing, Backing::Channel(9));
    let demo = table.lookup("conclave.demo", "demo", ResourceType::Service).expect("the demo conclave's service");
    assert_eq!(demo.backing, Backing::Channel(10));
    assert!(table.lookup("darwin", "demo", ResourceType::Service).is_none(), "the conclave's service is in its domain alone");
}
