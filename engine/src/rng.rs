//! Random streams: one ChaCha8 stream per VM and one for the scheduler.
//!
//! A stream's key is a BLAKE3 hash of a domain tag, the scenario seed and (for a VM) its id,
//! so a VM's draws depend on nothing but the seed and its own name: not on creation order,
//! thread, or which other VMs exist.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The generator used everywhere in the engine.
pub type Stream = ChaCha8Rng;

const VM_DOMAIN: &str = "bioxen.rng.vm.v1";
const SCHEDULER_DOMAIN: &str = "bioxen.rng.scheduler.v1";

fn derive(domain: &str, seed: u64, name: &[u8]) -> Stream {
    let mut hasher = blake3::Hasher::new_derive_key(domain);
    hasher.update(&seed.to_le_bytes());
    // Length prefix so ("ab", "c") and ("a", "bc") style collisions cannot happen.
    hasher.update(&(name.len() as u64).to_le_bytes());
    hasher.update(name);
    Stream::from_seed(*hasher.finalize().as_bytes())
}

/// The stream of the VM named `vm_id` in a scenario with seed `seed`.
pub fn vm_stream(seed: u64, vm_id: &str) -> Stream {
    derive(VM_DOMAIN, seed, vm_id.as_bytes())
}

/// The scheduler's stream for seed `seed`.
pub fn scheduler_stream(seed: u64) -> Stream {
    derive(SCHEDULER_DOMAIN, seed, b"")
}

/// A stream's position, enough to rebuild it exactly (for checkpoints).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamState {
    /// The 32-byte key.
    pub seed: [u8; 32],
    /// The ChaCha stream number.
    pub stream: u64,
    /// Position in 32-bit words.
    pub word_pos: u128,
}

impl StreamState {
    /// Captures a stream's position.
    pub fn capture(rng: &Stream) -> StreamState {
        StreamState { seed: rng.get_seed(), stream: rng.get_stream(), word_pos: rng.get_word_pos() }
    }

    /// Rebuilds the stream at exactly the captured position.
    pub fn restore(&self) -> Stream {
        let mut rng = Stream::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }
}

/// Serde adapter: stores a [`Stream`] as its [`StreamState`].
pub(crate) mod serde_stream {
    use super::{Stream, StreamState};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serialises a stream's position.
    pub fn serialize<S: Serializer>(rng: &Stream, s: S) -> Result<S::Ok, S::Error> {
        StreamState::capture(rng).serialize(s)
    }

    /// Restores a stream from its position.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Stream, D::Error> {
        Ok(StreamState::deserialize(d)?.restore())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn vm_streams_depend_only_on_seed_and_id() {
        let a1: u64 = vm_stream(7, "alpha").random();
        let a2: u64 = vm_stream(7, "alpha").random();
        let b: u64 = vm_stream(7, "beta").random();
        let a_other_seed: u64 = vm_stream(8, "alpha").random();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, a_other_seed);
        assert_ne!(a1, scheduler_stream(7).random::<u64>());
    }

    #[test]
    fn stream_state_round_trips_mid_block() {
        let mut rng = vm_stream(1, "x");
        for _ in 0..37 {
            let _: u32 = rng.random();
        }
        let mut restored = StreamState::capture(&rng).restore();
        for _ in 0..100 {
            assert_eq!(rng.random::<u64>(), restored.random::<u64>());
        }
    }
}
