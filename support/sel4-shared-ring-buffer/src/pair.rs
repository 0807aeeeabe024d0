//! A free ring and a used ring bundled with a notify callback: the usual way
//! two PDs pass buffers of a shared data region back and forth.
//!
//! The server owns the buffers and starts by putting them all on the free
//! ring. The client takes a buffer from the free ring, fills it, and puts it
//! on the used ring; the server processes it and returns it to the free ring.

use core::fmt;
use core::marker::PhantomData;

use crate::{Descriptor, Error, RingConsumer, RingProducer};

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Client {}
    impl Sealed for super::Server {}
}

/// Which end of a [`RingBuffers`] pair this PD is.
pub trait Side: sealed::Sealed {
    /// For `Debug` output.
    const NAME: &'static str;
}

/// Consumes the free ring, produces the used ring.
#[derive(Clone, Copy, Debug)]
pub struct Client;

/// Consumes the used ring, produces the free ring.
#[derive(Clone, Copy, Debug)]
pub struct Server;

impl Side for Client {
    const NAME: &'static str = "Client";
}

impl Side for Server {
    const NAME: &'static str = "Server";
}

/// One side of a free/used ring pair.
///
/// `enqueue` puts a descriptor on this side's outgoing ring (used for the
/// client, free for the server), `dequeue` takes one from the incoming ring.
/// Both check descriptors against the data region size.
///
/// Notify rule: `enqueue` never notifies. [`notify_if_needed`] calls `notify`
/// once if at least one descriptor was enqueued since the previous call, and
/// otherwise does nothing. Call it at the end of each batch. (Notifying only
/// on an observed empty-to-non-empty transition would be cheaper but can lose
/// a wakeup when the consumer empties the ring and goes to sleep in between.)
///
/// [`notify_if_needed`]: RingBuffers::notify_if_needed
pub struct RingBuffers<S, F> {
    outgoing: RingProducer,
    incoming: RingConsumer,
    data_len: usize,
    notify: F,
    notify_pending: bool,
    _side: PhantomData<S>,
}

impl<F: FnMut()> RingBuffers<Client, F> {
    /// The client end: consumes `free`, produces `used`. `data_len` is the
    /// size of the data region the descriptors point into.
    pub fn new(free: RingConsumer, used: RingProducer, data_len: usize, notify: F) -> Self {
        Self::from_parts(used, free, data_len, notify)
    }
}

impl<F: FnMut()> RingBuffers<Server, F> {
    /// The server end: produces `free`, consumes `used`. `data_len` is the
    /// size of the data region the descriptors point into.
    pub fn new(free: RingProducer, used: RingConsumer, data_len: usize, notify: F) -> Self {
        Self::from_parts(free, used, data_len, notify)
    }
}

impl<S: Side, F: FnMut()> RingBuffers<S, F> {
    fn from_parts(
        outgoing: RingProducer,
        incoming: RingConsumer,
        data_len: usize,
        notify: F,
    ) -> Self {
        Self {
            outgoing,
            incoming,
            data_len,
            notify,
            notify_pending: false,
            _side: PhantomData,
        }
    }

    /// Size of the data region descriptors are checked against.
    pub fn data_len(&self) -> usize {
        self.data_len
    }

    /// The ring this side produces (used for a client, free for a server).
    pub fn outgoing(&self) -> &RingProducer {
        &self.outgoing
    }

    /// The ring this side consumes (free for a client, used for a server).
    pub fn incoming(&self) -> &RingConsumer {
        &self.incoming
    }

    /// Put a descriptor on the outgoing ring. A descriptor outside the data
    /// region is refused with [`Error::DescriptorOutOfBounds`] rather than
    /// handed to the peer.
    pub fn enqueue(&mut self, descriptor: Descriptor) -> Result<(), Error> {
        descriptor.checked_range(self.data_len)?;
        self.outgoing.enqueue(descriptor)?;
        self.notify_pending = true;
        Ok(())
    }

    /// Take a descriptor from the incoming ring; `None` if it is empty.
    ///
    /// A returned descriptor always satisfies `checked_range(data_len)`. One
    /// that does not is still consumed (so the ring keeps moving) and
    /// reported as [`Error::DescriptorOutOfBounds`].
    pub fn dequeue(&mut self) -> Result<Option<Descriptor>, Error> {
        match self.incoming.dequeue()? {
            Some(descriptor) => {
                descriptor.checked_range(self.data_len)?;
                Ok(Some(descriptor))
            }
            None => Ok(None),
        }
    }

    /// Whether `notify_if_needed` would call `notify`.
    pub fn notify_pending(&self) -> bool {
        self.notify_pending
    }

    /// Call `notify` if anything was enqueued since the last call. Returns
    /// whether it did.
    pub fn notify_if_needed(&mut self) -> bool {
        if !self.notify_pending {
            return false;
        }
        self.notify_pending = false;
        (self.notify)();
        true
    }
}

impl<S: Side, F> fmt::Debug for RingBuffers<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingBuffers")
            .field("side", &S::NAME)
            .field("outgoing", &self.outgoing)
            .field("incoming", &self.incoming)
            .field("data_len", &self.data_len)
            .field("notify_pending", &self.notify_pending)
            .finish_non_exhaustive()
    }
}
