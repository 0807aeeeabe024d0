//! CNode operations: copy, mint, move, mutate, delete, revoke, and lookup errors.

use core::sync::atomic::{AtomicU64, Ordering};

use sel4::cap_type::{CNode, Endpoint, Notification};
use sel4::{Cap, CapData, CapRights, Error, MessageInfo, ObjectType, Word};
use sel4_test::{check, check_eq, check_err, test_case, Env, Failure, ResultExt, TestResult};

/// Fails unless `slot` of the root CNode is empty (copying from it fails the lookup).
fn check_empty(env: &mut Env, slot: Word) -> TestResult {
    let probe = env.alloc_slot()?;
    check_err!(env.cnode.cnode_copy(probe, 64, env.cnode, slot, 64, CapRights::all()), Error::FailedLookup);
    Ok(())
}

/// Fails unless `slot` of the root CNode holds a cap (copying from it works).
fn check_full(env: &mut Env, slot: Word) -> TestResult {
    let probe = env.alloc_slot()?;
    env.cnode.cnode_copy(probe, 64, env.cnode, slot, 64, CapRights::all()).or_fail("copy from a slot that should hold a cap")?;
    env.cnode.cnode_delete(probe, 64).or_fail("delete the probe copy")
}

/// A notification and a cap to it with `badge` and `rights`.
fn badged_notification(env: &mut Env, rights: CapRights, badge: Word) -> Result<(Cap<Notification>, Cap<Notification>), Failure> {
    let ntfn = env.notification()?;
    let badged = env.mint(ntfn, rights, badge)?;
    Ok((ntfn, badged))
}

/// Signals through the notification cap at `slot`.
fn signal(slot: Word) {
    Cap::<Notification>::from_bits(slot).signal();
}

test_case!(CNODE0001, "copy makes a working cap with the badge; DeleteFirst into a full slot, FailedLookup from an empty one (sel4test CNODEOP0001)", cnode0001);
fn cnode0001(env: &mut Env) -> TestResult {
    let (ntfn, badged) = badged_notification(env, CapRights::all(), 0x3)?;
    let copy = env.alloc_slot()?;
    env.cnode.cnode_copy(copy, 64, env.cnode, badged.bits(), 64, CapRights::all()).or_fail("copy")?;
    signal(copy);
    check_eq!(ntfn.poll(), 0x3);
    check_err!(env.cnode.cnode_copy(copy, 64, env.cnode, ntfn.bits(), 64, CapRights::all()), Error::DeleteFirst);
    let empty = env.alloc_slot()?;
    let dest = env.alloc_slot()?;
    check_err!(env.cnode.cnode_copy(dest, 64, env.cnode, empty, 64, CapRights::all()), Error::FailedLookup);
    Ok(())
}

test_case!(CNODE0002, "delete empties the slot and leaves other caps to the object working; deleting an empty slot succeeds (sel4test CNODEOP0002)", cnode0002);
fn cnode0002(env: &mut Env) -> TestResult {
    let (ntfn, badged) = badged_notification(env, CapRights::all(), 0x5)?;
    let copy = env.mint(ntfn, CapRights::all(), 0x9)?;
    env.cnode.cnode_delete(copy.bits(), 64).or_fail("delete")?;
    check_empty(env, copy.bits())?;
    badged.signal();
    check_eq!(ntfn.poll(), 0x5);
    env.cnode.cnode_delete(copy.bits(), 64).or_fail("delete an empty slot")?;
    Ok(())
}

test_case!(CNODE0003, "mint into an empty slot works, into a full one is DeleteFirst, from an empty one FailedLookup (sel4test CNODEOP0003); it sets a badge on an unbadged cap, and minting from a badged cap is IllegalOperation", cnode0003);
fn cnode0003(env: &mut Env) -> TestResult {
    // sel4test CNODEOP0003's three cases.
    let src = env.notification()?;
    let dest = env.alloc_slot()?;
    env.cnode.cnode_mint(dest, 64, env.cnode, src.bits(), 64, CapRights::all(), CapData::none()).or_fail("mint into an empty slot")?;
    check_full(env, dest)?;
    let occupied = env.notification()?;
    check_err!(env.cnode.cnode_mint(occupied.bits(), 64, env.cnode, src.bits(), 64, CapRights::all(), CapData::none()), Error::DeleteFirst);
    let (empty_src, empty_dest) = (env.alloc_slot()?, env.alloc_slot()?);
    check_err!(env.cnode.cnode_mint(empty_dest, 64, env.cnode, empty_src, 64, CapRights::all(), CapData::none()), Error::FailedLookup);
    check_empty(env, empty_dest)?;
    // Badges.
    let (ntfn, badged) = badged_notification(env, CapRights::all(), 0x11)?;
    badged.signal();
    check_eq!(ntfn.poll(), 0x11);
    let dest = env.alloc_slot()?;
    for badge in [0x22, 0] {
        check_err!(
            env.cnode.cnode_mint(dest, 64, env.cnode, badged.bits(), 64, CapRights::all(), CapData::badge(badge)),
            Error::IllegalOperation
        );
    }
    Ok(())
}

test_case!(CNODE0004, "a cap minted without write cannot signal, and copying it with all rights does not restore write", cnode0004);
fn cnode0004(env: &mut Env) -> TestResult {
    let (ntfn, read_only) = badged_notification(env, CapRights::read_only(), 0x7)?;
    read_only.signal();
    check_eq!(ntfn.poll(), 0);
    let copy = env.alloc_slot()?;
    env.cnode.cnode_copy(copy, 64, env.cnode, read_only.bits(), 64, CapRights::all()).or_fail("copy")?;
    signal(copy);
    check_eq!(ntfn.poll(), 0);
    // The same signal through a writable cap arrives: the test can see signals.
    env.mint(ntfn, CapRights::write_only(), 0x7)?.signal();
    check_eq!(ntfn.poll(), 0x7);
    Ok(())
}

test_case!(CNODE0005, "move empties the source and the cap works at the destination; moving into a full slot fails with DeleteFirst (sel4test CNODEOP0004)", cnode0005);
fn cnode0005(env: &mut Env) -> TestResult {
    let (ntfn, badged) = badged_notification(env, CapRights::all(), 0x21)?;
    check_err!(env.cnode.cnode_move(ntfn.bits(), 64, env.cnode, badged.bits(), 64), Error::DeleteFirst);
    let dest = env.alloc_slot()?;
    env.cnode.cnode_move(dest, 64, env.cnode, badged.bits(), 64).or_fail("move")?;
    check_empty(env, badged.bits())?;
    signal(dest);
    check_eq!(ntfn.poll(), 0x21);
    Ok(())
}

test_case!(CNODE0006, "mutate moves a cap (source emptied), into a full slot is DeleteFirst with both kept, from an empty slot FailedLookup (sel4test CNODEOP0005); it sets a CNode cap's guard, and a badge on a notification is IllegalOperation", cnode0006);
fn cnode0006(env: &mut Env) -> TestResult {
    // sel4test CNODEOP0005's three cases, on TCB caps as there (mutate keeps
    // a TCB cap as it is; it cannot set an endpoint's badge).
    let tcb = |env: &mut Env| env.create::<sel4::cap_type::Tcb>(ObjectType::Tcb, 0);
    let src = tcb(env)?;
    let dest = env.alloc_slot()?;
    env.cnode.cnode_mutate(dest, 64, env.cnode, src.bits(), 64, CapData::none()).or_fail("mutate into an empty slot")?;
    check_empty(env, src.bits())?;
    check_full(env, dest)?;
    let (full_src, full_dest) = (tcb(env)?, tcb(env)?);
    check_err!(env.cnode.cnode_mutate(full_dest.bits(), 64, env.cnode, full_src.bits(), 64, CapData::none()), Error::DeleteFirst);
    check_full(env, full_src.bits())?;
    check_full(env, full_dest.bits())?;
    let (empty_src, empty_dest) = (env.alloc_slot()?, env.alloc_slot()?);
    check_err!(env.cnode.cnode_mutate(empty_dest, 64, env.cnode, empty_src, 64, CapData::none()), Error::FailedLookup);
    check_empty(env, empty_src)?;
    check_empty(env, empty_dest)?;
    // Guards and badges.
    // A 16-slot CNode: its cap from retype has no guard, so it resolves 4 bits.
    let cnode: Cap<CNode> = env.create(ObjectType::CapTable, 4)?;
    let ntfn = env.notification()?;
    check_err!(cnode.cnode_copy(1, 64, env.cnode, ntfn.bits(), 64, CapRights::all()), Error::FailedLookup);
    let mutated = env.alloc_slot()?;
    env.cnode
        .cnode_mutate(mutated, 64, env.cnode, cnode.bits(), 64, CapData::guard(0, 60))
        .or_fail("mutate the CNode cap")?;
    check_empty(env, cnode.bits())?;
    let mutated = Cap::<CNode>::from_bits(mutated);
    check_err!(mutated.cnode_copy(1, 4, env.cnode, ntfn.bits(), 64, CapRights::all()), Error::FailedLookup);
    mutated.cnode_copy(1, 64, env.cnode, ntfn.bits(), 64, CapRights::all()).or_fail("copy at depth 64 after mutate")?;

    let dest = env.alloc_slot()?;
    check_err!(env.cnode.cnode_mutate(dest, 64, env.cnode, ntfn.bits(), 64, CapData::badge(1)), Error::IllegalOperation);
    check_empty(env, dest)?;
    // The failed mutate left the source in place: minting from it works.
    env.mint(ntfn, CapRights::all(), 0x4)?.signal();
    check_eq!(ntfn.poll(), 0x4);
    Ok(())
}

test_case!(CNODE0007, "revoke deletes every cap derived from a cap, keeps the cap itself (sel4test CNODEOP0007)", cnode0007);
fn cnode0007(env: &mut Env) -> TestResult {
    let (ntfn, child) = badged_notification(env, CapRights::all(), 0x1)?;
    let grandchild = env.alloc_slot()?;
    env.cnode.cnode_copy(grandchild, 64, env.cnode, child.bits(), 64, CapRights::all()).or_fail("copy")?;
    env.cnode.cnode_revoke(ntfn.bits(), 64).or_fail("revoke")?;
    check_empty(env, child.bits())?;
    check_empty(env, grandchild)?;
    let badged = env.mint(ntfn, CapRights::all(), 0x2)?;
    badged.signal();
    check_eq!(ntfn.poll(), 0x2);
    // Revoking a cap without children is allowed and changes nothing.
    env.cnode.cnode_revoke(badged.bits(), 64).or_fail("revoke a leaf")?;
    badged.signal();
    check_eq!(ntfn.poll(), 0x2);
    Ok(())
}

test_case!(CNODE0008, "rotate moves pivot to dest and src to pivot, applying new guards to CNode caps (sel4test CNODEOP0008)", cnode0008);
fn cnode0008(env: &mut Env) -> TestResult {
    // Two small CNodes, each with a notification cap (different badges) in slot 1.
    let ntfn = env.notification()?;
    let src: Cap<CNode> = env.create(ObjectType::CapTable, 2)?;
    let pivot: Cap<CNode> = env.create(ObjectType::CapTable, 3)?;
    for (cnode, depth, badge) in [(src, 2, 0xa), (pivot, 3, 0xb)] {
        cnode
            .cnode_mint(1, depth, env.cnode, ntfn.bits(), 64, CapRights::all(), CapData::badge(badge))
            .or_fail("mint into a small CNode")?;
    }
    let dest = env.alloc_slot()?;
    env.cnode
        .cnode_rotate(dest, 64, CapData::guard(0, 61), env.cnode, pivot.bits(), 64, CapData::guard(0, 62), env.cnode, src.bits(), 64)
        .or_fail("rotate")?;
    check_empty(env, src.bits())?;
    // Slot 1 of whatever CNode now sits at `at`, resolved at full depth, signals `ntfn`.
    for (at, badge) in [(dest, 0xb), (pivot.bits(), 0xa)] {
        let copy = env.alloc_slot()?;
        env.cnode.cnode_copy(copy, 64, Cap::from_bits(at), 1, 64, CapRights::all()).or_fail("copy out of a rotated CNode")?;
        signal(copy);
        check_eq!(ntfn.poll(), badge);
    }
    Ok(())
}

/// Receives one call, saves the reply cap into the slot in the high half of
/// `arg`, and replies through it with label 9.
fn saving_server(arg: Word) {
    let (ep, slot) = crate::ipc::unpack(arg);
    Cap::<Endpoint>::from_bits(ep).recv();
    let root = sel4::init_thread::CNODE;
    if root.cnode_save_caller(slot, 64).is_ok() {
        Cap::<Endpoint>::from_bits(slot).send(MessageInfo::new(9, 0, 0, 0));
    }
}

test_case!(CNODE0009, "save_caller into an empty slot succeeds (with no caller it stays empty), into a full one is DeleteFirst and leaves it (sel4test CNODEOP0009); a saved reply cap answers the caller", cnode0009);
fn cnode0009(env: &mut Env) -> TestResult {
    // sel4test CNODEOP0009's two cases (we have no caller: nothing is saved).
    let free = env.alloc_slot()?;
    env.cnode.cnode_save_caller(free, 64).or_fail("save_caller into an empty slot")?;
    check_empty(env, free)?;
    let occupied = env.notification()?;
    check_err!(env.cnode.cnode_save_caller(occupied.bits(), 64), Error::DeleteFirst);
    check_full(env, occupied.bits())?;
    // And a real reply cap, saved by a server.
    let ep = env.endpoint()?;
    let slot = env.alloc_slot()?;
    env.spawn(saving_server, crate::ipc::pack(ep.bits(), slot), 150)?;
    let reply = ep.call(MessageInfo::new(1, 0, 0, 0));
    check_eq!(reply.label(), 9);
    check_empty(env, slot)?;
    Ok(())
}

test_case!(CNODE0010, "depth 0 or 65 gives RangeError; a guard mismatch or too shallow a depth gives FailedLookup", cnode0010);
fn cnode0010(env: &mut Env) -> TestResult {
    let ntfn = env.notification()?;
    let dest = env.alloc_slot()?;
    let copy = |index: Word, depth: u8| env.cnode.cnode_copy(index, depth, env.cnode, ntfn.bits(), 64, CapRights::all());
    check_err!(copy(dest, 0), Error::RangeError);
    check_err!(copy(dest, 65), Error::RangeError);
    check_err!(copy(dest, 63), Error::FailedLookup);
    check_err!(copy(dest | (1 << 63), 64), Error::FailedLookup);
    copy(dest, 64).or_fail("copy at the right depth")?;
    Ok(())
}

/// Sends label 1 on the endpoint in `arg`; blocks until received.
fn sender(arg: Word) {
    Cap::<Endpoint>::from_bits(arg).send(MessageInfo::new(1, 0, 0, 0));
}

test_case!(CNODE0011, "cancel_badged_sends on an endpoint succeeds and keeps the cap, on an empty slot is IllegalOperation (sel4test CNODEOP0006); it restarts senders of that badge, which queue again behind others", cnode0011);
fn cnode0011(env: &mut Env) -> TestResult {
    // sel4test CNODEOP0006's two cases.
    let plain = env.endpoint()?;
    env.cnode.cnode_cancel_badged_sends(plain.bits(), 64).or_fail("cancel badged sends on an endpoint")?;
    check_full(env, plain.bits())?;
    let empty = env.alloc_slot()?;
    check_err!(env.cnode.cnode_cancel_badged_sends(empty, 64), Error::IllegalOperation);
    check_empty(env, empty)?;
    // Badged senders.
    let ep = env.endpoint()?;
    let first = env.mint(ep, CapRights::all(), 0x1)?;
    let second = env.mint(ep, CapRights::all(), 0x2)?;
    env.spawn(sender, first.bits(), 150)?;
    env.spawn(sender, second.bits(), 150)?;
    env.cnode.cnode_cancel_badged_sends(first.bits(), 64).or_fail("cancel badged sends")?;
    check_eq!(ep.recv().1, 0x2);
    check_eq!(ep.recv().1, 0x1);
    Ok(())
}

// sel4test's CANCEL_BADGED_SENDS tests: 32 clients, each holding a copy of
// its own badged cap to one endpoint.

const CLIENTS: usize = 32;

/// Per client: its progress (`NOT_STARTED`, then 0 once its first call was
/// answered, 1 once its second call failed) or its last call's status.
static CLIENT_STATE: [AtomicU64; CLIENTS] = [const { AtomicU64::new(NOT_STARTED) }; CLIENTS];
/// Checks a client found wrong (a reply it did not expect).
static CLIENT_ERRORS: AtomicU64 = AtomicU64::new(0);
const NOT_STARTED: Word = u64::MAX;

fn reset_clients() {
    for state in &CLIENT_STATE {
        state.store(NOT_STARTED, Ordering::SeqCst);
    }
    CLIENT_ERRORS.store(0, Ordering::SeqCst);
}

fn client_error() {
    CLIENT_ERRORS.fetch_add(1, Ordering::SeqCst);
}

/// Client `index` of the 32 badged endpoint caps, each with a copy derived from it.
struct Client {
    badged: Word,
    copy: Word,
}

fn badged_clients(env: &mut Env, ep: Cap<Endpoint>) -> Result<[Client; CLIENTS], Failure> {
    let mut clients: [Client; CLIENTS] = core::array::from_fn(|_| Client { badged: 0, copy: 0 });
    for (i, client) in clients.iter_mut().enumerate() {
        client.badged = env.mint(ep, CapRights::all(), 200 + i as Word)?.bits();
        client.copy = env.alloc_slot()?;
        env.cnode.cnode_copy(client.copy, 64, env.cnode, client.badged, 64, CapRights::all()).or_fail("copy the badged cap")?;
    }
    Ok(clients)
}

/// Answers each call on the endpoint at `arg` with an empty reply, forever.
fn bouncer(arg: Word) {
    let ep = Cap::<Endpoint>::from_bits(arg);
    ep.recv();
    loop {
        ep.reply_recv(MessageInfo::new(0, 0, 0, 0));
    }
}

/// Calls with word `index + 100` through its cap, expects the word inverted
/// back, then calls again and expects that call to fail with InvalidCapability.
fn twice_caller(arg: Word) {
    let (cap, index) = crate::ipc::unpack(arg);
    let ep = Cap::<Endpoint>::from_bits(cap);
    let word = index + 100;
    sel4::with_ipc_buffer(|b| b.msg[0] = word);
    let reply = ep.call(MessageInfo::new(0, 0, 0, 1));
    if reply.length() != 1 || sel4::with_ipc_buffer(|b| b.msg[0]) != !word {
        client_error();
    }
    CLIENT_STATE[index as usize].store(0, Ordering::SeqCst);
    sel4::with_ipc_buffer(|b| b.msg[0] = word);
    let reply = ep.call(MessageInfo::new(0, 0, 0, 1));
    if reply.label() != Error::InvalidCapability as Word {
        client_error();
    }
    CLIENT_STATE[index as usize].store(1, Ordering::SeqCst);
}

fn states() -> [Word; CLIENTS] {
    core::array::from_fn(|i| CLIENT_STATE[i].load(Ordering::SeqCst))
}

test_case!(CNODE0012, "32 clients blocked calling through copies of their badged caps: revoking one badged cap and cancelling its badged sends makes only that client's restarted call fail (sel4test CANCEL_BADGED_SENDS_0001)", cnode0012);
fn cnode0012(env: &mut Env) -> TestResult {
    reset_clients();
    let ep = env.endpoint()?;
    let clients = badged_clients(env, ep)?;
    // The bouncer is below every client: a call to it returns once they are all blocked.
    let bounce = env.endpoint()?;
    env.spawn(bouncer, bounce.bits(), 1)?;
    for (i, client) in clients.iter().enumerate() {
        env.spawn(twice_caller, crate::ipc::pack(client.copy, i as Word), 90)?;
    }
    let wait_for_clients = || bounce.call(MessageInfo::new(0, 0, 0, 0));
    wait_for_clients();
    for _ in 0..CLIENTS {
        let (info, badge) = ep.recv();
        check_eq!(info.length(), 1);
        let word = sel4::with_ipc_buffer(|b| b.msg[0]);
        check_eq!(word, badge - 100);
        sel4::with_ipc_buffer(|b| b.msg[0] = !word);
        sel4::reply(MessageInfo::new(0, 0, 0, 1));
    }
    wait_for_clients();
    check_eq!(states(), [0; CLIENTS]);
    for (i, client) in clients.iter().enumerate() {
        env.cnode.cnode_revoke(client.badged, 64).or_fail("revoke a badged cap")?;
        env.cnode.cnode_cancel_badged_sends(client.badged, 64).or_fail("cancel its badged sends")?;
        wait_for_clients();
        let expected: [Word; CLIENTS] = core::array::from_fn(|j| Word::from(j <= i));
        check_eq!(states(), expected);
    }
    check_eq!(CLIENT_ERRORS.load(Ordering::SeqCst), 0);
    Ok(())
}

/// Root CNode slots fit in 16 bits, leaving room for a client's index.
const INDEX_SHIFT: Word = 16;

/// Per call on its own endpoint (`arg` packs it, and its copy of a badged
/// cap with its index): calls through the badged cap, notes whether that
/// call got through (1) or failed with InvalidCapability (0), and replies.
fn probing_client(arg: Word) {
    let (own, cap_and_index) = crate::ipc::unpack(arg);
    let (cap, index) = (cap_and_index & ((1 << INDEX_SHIFT) - 1), (cap_and_index >> INDEX_SHIFT) as usize);
    let own = Cap::<Endpoint>::from_bits(own);
    own.recv();
    loop {
        let reply = Cap::<Endpoint>::from_bits(cap).call(MessageInfo::new(0, 0, 0, 0));
        let status = match reply.label() {
            0 => 1,
            l if l == Error::InvalidCapability as Word => 0,
            _ => {
                client_error();
                2
            }
        };
        CLIENT_STATE[index].store(status, Ordering::SeqCst);
        own.reply_recv(MessageInfo::new(0, 0, 0, 0));
    }
}

test_case!(CNODE0013, "revoking a badged cap deletes the copies derived from it: after revoke and cancel_badged_sends of each in turn, exactly the clients whose caps were revoked get InvalidCapability (sel4test CANCEL_BADGED_SENDS_0002)", cnode0013);
fn cnode0013(env: &mut Env) -> TestResult {
    reset_clients();
    let ep = env.endpoint()?;
    // Above everyone: it answers each call at once.
    env.spawn(bouncer, ep.bits(), 120)?;
    let clients = badged_clients(env, ep)?;
    let mut own = [Cap::<Endpoint>::from_bits(0); CLIENTS];
    for (i, client) in clients.iter().enumerate() {
        own[i] = env.endpoint()?;
        check!(client.copy < 1 << INDEX_SHIFT, "slot {:#x} too large to pack", client.copy);
        env.spawn(probing_client, crate::ipc::pack(own[i].bits(), client.copy | (i as Word) << INDEX_SHIFT), 110)?;
    }
    let probe_all = || {
        for ep in &own {
            ep.call(MessageInfo::new(0, 0, 0, 0));
        }
    };
    probe_all();
    check_eq!(states(), [1; CLIENTS]);
    for (i, client) in clients.iter().enumerate() {
        env.cnode.cnode_revoke(client.badged, 64).or_fail("revoke a badged cap")?;
        env.cnode.cnode_cancel_badged_sends(client.badged, 64).or_fail("cancel its badged sends")?;
        probe_all();
        let expected: [Word; CLIENTS] = core::array::from_fn(|j| Word::from(j > i));
        check_eq!(states(), expected);
    }
    check_eq!(CLIENT_ERRORS.load(Ordering::SeqCst), 0);
    Ok(())
}

// sel4test CSPACE0001: a CSpace of 64 one-bit CNodes, one per level.

/// The endpoint's cptr in the test's CSpace and in the 64-level one.
static FULL_EP: AtomicU64 = AtomicU64::new(0);
static FULL_EP_POS: AtomicU64 = AtomicU64::new(0);
/// Calls the helper found answered otherwise than expected.
static FULL_WRONG: AtomicU64 = AtomicU64::new(0);
const READY: Word = 0x4ead_1001;
const SUCCESS: Word = 0x5cce_55ed;
const SUCCESS_LABEL: Word = 0x5c;

/// Tells the test it is ready (in the test's CSpace), then, moved into the
/// 64-level one: calls every cptr 0..64 and the endpoint's with each one bit
/// flipped, all of which must be empty slots, then sends through the endpoint.
fn deep_cspace_prober(_: Word) {
    sel4::with_ipc_buffer(|b| b.msg[0] = READY);
    Cap::<Endpoint>::from_bits(FULL_EP.load(Ordering::SeqCst)).send(MessageInfo::new(0, 0, 0, 1));
    let pos = FULL_EP_POS.load(Ordering::SeqCst);
    let empty = |cptr: Word| Cap::<Endpoint>::from_bits(cptr).call(MessageInfo::new(0, 0, 0, 0)).label() == Error::InvalidCapability as Word;
    for i in 0..64 {
        if !empty(i) || !empty(pos ^ (1 << i)) {
            FULL_WRONG.fetch_add(1, Ordering::SeqCst);
        }
    }
    sel4::with_ipc_buffer(|b| b.msg[0] = SUCCESS);
    Cap::<Endpoint>::from_bits(pos).send(MessageInfo::new(SUCCESS_LABEL, 0, 0, 1));
    // Block for good (the stall alarm needs every thread blocked).
    Cap::<Endpoint>::from_bits(pos).recv();
}

test_case!(CNODE0014, "a thread in a CSpace of 64 one-bit CNodes reaches an endpoint through all 64 levels; cptrs 0..63 and the endpoint's with any bit flipped are empty slots (sel4test CSPACE0001)", cnode0014);
fn cnode0014(env: &mut Env) -> TestResult {
    FULL_WRONG.store(0, Ordering::SeqCst);
    let ep = env.endpoint()?;
    let mut levels = [Cap::<CNode>::from_bits(0); 64];
    for level in &mut levels {
        *level = env.create(ObjectType::CapTable, 1)?;
    }
    // Level i resolves bit 63 - i; the next level sits in alternating slots.
    let (mut slot, mut pos) = (0, 0);
    for i in 1..64 {
        levels[i - 1].cnode_copy(slot, 1, env.cnode, levels[i].bits(), 64, CapRights::all()).or_fail("link a level")?;
        pos |= slot << (64 - i);
        slot ^= 1;
    }
    levels[63].cnode_copy(slot, 1, env.cnode, ep.bits(), 64, CapRights::all()).or_fail("place the endpoint")?;
    pos |= slot;
    FULL_EP.store(ep.bits(), Ordering::SeqCst);
    FULL_EP_POS.store(pos, Ordering::SeqCst);
    // Should the prober get stuck, the stall alarm's signal ends the test's
    // receive (the test thread is bound to its notification).
    let stall = env.notification()?;
    env.tcb().tcb_bind_notification(stall.cptr()).or_fail("bind the test thread")?;
    crate::sched::stall_alarm_on(env, stall)?;
    // Below the test: it runs once the test waits.
    let prober = env.thread(deep_cspace_prober, 0, 90, None, true)?;
    let (info, badge) = ep.recv();
    check_eq!(badge, 0);
    check_eq!((info.length(), sel4::with_ipc_buffer(|b| b.msg[0])), (1, READY));
    // Its faults now go to the endpoint too, so the test sees them instead of waiting on.
    prober.tcb.tcb_set_space(pos, levels[0], CapData::none(), env.vspace.cast(), CapData::none()).or_fail("move the prober")?;
    let (info, badge) = ep.recv();
    check!(badge != crate::sched::STALLED, "the prober got stuck");
    check!(info.label() == SUCCESS_LABEL, "the prober did not finish: {}", sel4::Fault::decode(info));
    check_eq!((info.length(), sel4::with_ipc_buffer(|b| b.msg[0])), (1, SUCCESS));
    check_eq!(FULL_WRONG.load(Ordering::SeqCst), 0);
    Ok(())
}
