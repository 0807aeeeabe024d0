//! Capability pointers and typed capabilities.

use core::fmt;
use core::marker::PhantomData;

use crate::Word;

/// An address in a CSpace, resolved by the kernel at full word depth.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct CPtr(Word);

impl CPtr {
    pub const fn from_bits(bits: Word) -> Self {
        Self(bits)
    }

    pub const fn bits(self) -> Word {
        self.0
    }

    pub const fn cast<T: CapType>(self) -> Cap<T> {
        Cap::from_cptr(self)
    }
}

impl fmt::Debug for CPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CPtr({:#x})", self.0)
    }
}

/// Marker for what kind of object a `Cap` refers to.
pub trait CapType: Copy {
    const NAME: &'static str;
}

/// Object kinds, one marker type each.
pub mod cap_type {
    macro_rules! cap_types {
        ($($name:ident),* $(,)?) => {$(
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub struct $name;
            impl super::CapType for $name {
                const NAME: &'static str = stringify!($name);
            }
        )*};
    }

    cap_types!(
        Null, Unspecified, Untyped, Tcb, Endpoint, Notification, CNode, IrqControl, IrqHandler,
        DomainSet, Page, PageTable, PageDirectory, PageUpperDirectory, PageGlobalDirectory,
        AsidControl, AsidPool, IoSpace, IoPageTable,
    );
}

/// A capability of kind `T` at a `CPtr`. Copying it copies the pointer, not the capability.
pub struct Cap<T: CapType> {
    cptr: CPtr,
    _kind: PhantomData<T>,
}

impl<T: CapType> Clone for Cap<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: CapType> Copy for Cap<T> {}

impl<T: CapType> PartialEq for Cap<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cptr == other.cptr
    }
}

impl<T: CapType> Eq for Cap<T> {}

impl<T: CapType> Cap<T> {
    pub const fn from_cptr(cptr: CPtr) -> Self {
        Self { cptr, _kind: PhantomData }
    }

    pub const fn from_bits(bits: Word) -> Self {
        Self::from_cptr(CPtr::from_bits(bits))
    }

    pub const fn cptr(self) -> CPtr {
        self.cptr
    }

    pub const fn bits(self) -> Word {
        self.cptr.bits()
    }

    pub const fn cast<U: CapType>(self) -> Cap<U> {
        Cap::from_cptr(self.cptr)
    }
}

impl<T: CapType> fmt::Debug for Cap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cap<{}>({:#x})", T::NAME, self.cptr.bits())
    }
}

/// The capabilities the kernel gives the root task, at the slots
/// `bootinfo_types.h` fixes.
pub mod init_thread {
    use super::{cap_type, Cap};
    use crate::generated::init_thread_slot as slot;

    pub const TCB: Cap<cap_type::Tcb> = Cap::from_bits(slot::CAP_INIT_THREAD_TCB);
    pub const CNODE: Cap<cap_type::CNode> = Cap::from_bits(slot::CAP_INIT_THREAD_CNODE);
    pub const VSPACE: Cap<cap_type::PageGlobalDirectory> = Cap::from_bits(slot::CAP_INIT_THREAD_VSPACE);
    pub const IRQ_CONTROL: Cap<cap_type::IrqControl> = Cap::from_bits(slot::CAP_IRQ_CONTROL);
    pub const ASID_CONTROL: Cap<cap_type::AsidControl> = Cap::from_bits(slot::CAP_ASID_CONTROL);
    pub const ASID_POOL: Cap<cap_type::AsidPool> = Cap::from_bits(slot::CAP_INIT_THREAD_ASID_POOL);
    pub const BOOT_INFO_FRAME: Cap<cap_type::Page> = Cap::from_bits(slot::CAP_BOOT_INFO_FRAME);
    pub const IPC_BUFFER: Cap<cap_type::Page> = Cap::from_bits(slot::CAP_INIT_THREAD_IPC_BUFFER);
    pub const DOMAIN: Cap<cap_type::DomainSet> = Cap::from_bits(slot::CAP_DOMAIN);
}
