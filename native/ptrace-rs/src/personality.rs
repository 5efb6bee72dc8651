//! Address-space layout randomization (ASLR) is turned off in every program
//! simterpose starts (personality ADDR_NO_RANDOMIZE), so that the addresses a
//! program sees, and what depends on them, are the same from run to run.
//! Some machines refuse it: Docker's default seccomp profile lets
//! personality() through with only a few values, and refuses
//! ADDR_NO_RANDOMIZE with EPERM. There the programs keep the randomization
//! the container gives them rather than not running at all.

use std::sync::OnceLock;

/// What the child is to do about randomization before its execve.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Randomization {
  /// Turn it off: set this persona, which the child inherits from us but with ADDR_NO_RANDOMIZE.
  TurnOff(libc::c_ulong),
  /// It is off already (simterpose itself runs under `setarch -R`): the child inherits that.
  AlreadyOff,
  /// The kernel refused to turn it off: the child keeps it.
  Refused,
}

static RANDOMIZATION: OnceLock<Randomization> = OnceLock::new();

/// Whether, and how, children started from this thread can run without
/// randomization: tried once, on our own persona, which is then restored
/// (a persona only matters to the execs made under it, and none is made
/// from this thread meanwhile).
pub fn randomization() -> Randomization {
  *RANDOMIZATION.get_or_init(|| {
    const QUERY: libc::c_ulong = 0xffff_ffff;
    let persona = unsafe { libc::personality(QUERY) };
    if persona < 0 {
      return Randomization::Refused;
    }
    if persona & libc::ADDR_NO_RANDOMIZE != 0 {
      return Randomization::AlreadyOff;
    }
    let without = (persona | libc::ADDR_NO_RANDOMIZE) as libc::c_ulong;
    if unsafe { libc::personality(without) } < 0 {
      return Randomization::Refused;
    }
    unsafe { libc::personality(persona as libc::c_ulong) };
    Randomization::TurnOff(without)
  })
}
