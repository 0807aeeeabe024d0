//! The indicator controller's service: sensor starts, stops and statuses
//! for XNU's clients (a client is XNU's name for one of its handles), the
//! minimum-on-time deadline of a sensor, and a client's end (its task died:
//! its starts stop). Sensors are XNU's `exclaves_sensor_type_t` numbers,
//! statuses its `exclaves_sensor_status_t`; the controller decides both.

use zerocopy::byteorder::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{get_wire, put_wire, DecodeError, EncodeError, Payload, PAYLOAD_MAX};

/// The sensor kinds, 1 to 4 (camera, microphone, and the two Face ID cameras).
pub const SENSOR_KINDS: u32 = 4;

/// A request about one sensor for one client: start, stop (and status, where
/// the client is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorRequest {
    pub sensor: u32,
    pub client: u32,
}

/// The sensor's status after the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensorReply {
    pub status: u32,
}

/// Request: the minimum-on-time deadline of `sensor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinOnTime {
    pub sensor: u32,
}

/// Reply: the counter value until which the indicator stays on for that
/// sensor's last stop, 0 once that is past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinOnTimeReply {
    pub deadline: u64,
}

/// Request: `client` is gone; every start it holds stops. The reply is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientGone {
    pub client: u32,
}

/// The empty reply to [`ClientGone`].
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct Done;

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct SensorRequestWire {
    sensor: U32,
    client: U32,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct U32Wire {
    value: U32,
}

#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct U64Wire {
    value: U64,
}

/// A sensor number the decoder accepts: 1 to [`SENSOR_KINDS`].
fn sensor(value: u32) -> Result<u32, DecodeError> {
    if (1..=SENSOR_KINDS).contains(&value) {
        Ok(value)
    } else {
        Err(DecodeError::BadEnum { field: "sensor", value: value.into() })
    }
}

impl Payload<'_> for SensorRequest {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let w = get_wire::<SensorRequestWire>(payload)?;
        Ok(SensorRequest { sensor: sensor(w.sensor.get())?, client: w.client.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        sensor(self.sensor).map_err(EncodeError::Invalid)?;
        put_wire(SensorRequestWire { sensor: U32::new(self.sensor), client: U32::new(self.client) }, out)
    }
}

impl Payload<'_> for SensorReply {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(SensorReply { status: get_wire::<U32Wire>(payload)?.value.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(U32Wire { value: U32::new(self.status) }, out)
    }
}

impl Payload<'_> for MinOnTime {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(MinOnTime { sensor: sensor(get_wire::<U32Wire>(payload)?.value.get())? })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        sensor(self.sensor).map_err(EncodeError::Invalid)?;
        put_wire(U32Wire { value: U32::new(self.sensor) }, out)
    }
}

impl Payload<'_> for MinOnTimeReply {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(MinOnTimeReply { deadline: get_wire::<U64Wire>(payload)?.value.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(U64Wire { value: U64::new(self.deadline) }, out)
    }
}

impl Payload<'_> for ClientGone {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(ClientGone { client: get_wire::<U32Wire>(payload)?.value.get() })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        put_wire(U32Wire { value: U32::new(self.client) }, out)
    }
}

impl Payload<'_> for Done {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        get_wire::<Done>(payload)
    }

    fn encode(&self, _out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        Ok(0)
    }
}
