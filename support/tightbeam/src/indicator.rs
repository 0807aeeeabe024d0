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

/// The controller's events (its NOTIFICATION resource, `sensor_events`),
/// as `crate::events` counts them: bit `kind - 1` when that sensor starts
/// or stops delivering, and this one when the indicator turns on or off.
pub const EVENT_INDICATOR: usize = 4;

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

/// Request: copy two ranges (size, offset) of the microphone's samples
/// into the arbitrated audio buffer XNU maps, if the microphone delivers;
/// zeros there otherwise. The reply is the microphone's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioCopy {
    pub ranges: [(u32, u32); 2],
}

/// The simulated microphone's sample `i` (16-bit, little-endian in the
/// buffer): a triangle wave, so any copy can be checked byte for byte.
pub fn sample(i: usize) -> i16 {
    const PERIOD: usize = 64;
    let phase = (i % PERIOD) as i32;
    let rise = if phase < 32 { phase } else { 64 - phase };
    (rise * 1000 - 16_000) as i16
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
struct AudioCopyWire {
    size1: U32,
    offset1: U32,
    size2: U32,
    offset2: U32,
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

impl Payload<'_> for AudioCopy {
    fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let w = get_wire::<AudioCopyWire>(payload)?;
        Ok(AudioCopy { ranges: [(w.size1.get(), w.offset1.get()), (w.size2.get(), w.offset2.get())] })
    }

    fn encode(&self, out: &mut [u8; PAYLOAD_MAX]) -> Result<usize, EncodeError> {
        let [(size1, offset1), (size2, offset2)] = self.ranges;
        put_wire(AudioCopyWire { size1: U32::new(size1), offset1: U32::new(offset1), size2: U32::new(size2), offset2: U32::new(offset2) }, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_waveform_is_a_triangle_of_period_64() {
        assert_eq!(sample(0), -16_000);
        assert_eq!(sample(32), 16_000);
        assert_eq!(sample(16), 0);
        assert_eq!(sample(48), 0);
        for i in 0..256 {
            assert_eq!(sample(i), sample(i + 64));
            assert!((sample(i) - sample(i + 1)).abs() == 1000);
        }
    }
}
