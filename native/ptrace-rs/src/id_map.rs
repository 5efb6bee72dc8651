//! Maps and sets keyed by the kernel's numbers (tids, pids, descriptors,
//! poll ids), hashed with one multiplication. std's default SipHash resists
//! keys an attacker picks, which these are not, and costs more: a notified
//! syscall adds and removes a key in several such tables on each round trip.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The golden-ratio constant of Fibonacci hashing: consecutive ids land far apart in the high bits.
const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
  fn finish(&self) -> u64 {
    self.0
  }

  fn write(&mut self, bytes: &[u8]) {
    for &byte in bytes {
      self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(MULTIPLIER);
    }
  }

  fn write_i32(&mut self, id: i32) {
    self.0 = u64::from(id as u32).wrapping_mul(MULTIPLIER);
  }

  fn write_u32(&mut self, id: u32) {
    self.0 = u64::from(id).wrapping_mul(MULTIPLIER);
  }
}

pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
pub type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;
