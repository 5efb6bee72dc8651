//! The classic-BPF seccomp filter the child installs just before execve: chosen
//! syscalls stop the tracee (SECCOMP_RET_TRACE), others go to the mediator as
//! user notifications (SECCOMP_RET_USER_NOTIF, see notify.rs), the rest run at
//! native speed.

use crate::errors::{invalid, Result};

// Classic BPF opcode parts (linux/bpf_common.h); BPF_LD, BPF_W and BPF_K are 0.
const BPF_ABS: u16 = 0x20;
const BPF_JMP: u16 = 0x05;
const BPF_JEQ: u16 = 0x10;
const BPF_JGE: u16 = 0x30;
const BPF_JSET: u16 = 0x40;
const BPF_RET: u16 = 0x06;

const LOAD_WORD: u16 = BPF_ABS;
const JUMP_IF_EQUAL: u16 = BPF_JMP | BPF_JEQ;
const JUMP_IF_AT_LEAST: u16 = BPF_JMP | BPF_JGE;
const JUMP_IF_ANY_BIT: u16 = BPF_JMP | BPF_JSET;
const RETURN: u16 = BPF_RET;

// Offsets in struct seccomp_data.
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;
/// args[i] is a u64 at 16 + 8 i; its low word comes first (little-endian).
const ARGS_OFFSET: u32 = 16;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// x32 syscalls carry this bit; the emulator does not model that ABI, so it sees them.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const RET_USER_NOTIF: u32 = 0x7fc0_0000;
const RET_ALLOW: u32 = 0x7fff_0000;

/// The kernel's BPF_MAXINSNS.
const MAX_INSTRUCTIONS: usize = 4096;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
  libc::sock_filter { code, jt: 0, jf: 0, k }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
  libc::sock_filter { code, jt, jf, k }
}

/// A notified syscall that stops (SECCOMP_RET_TRACE) instead when its
/// argument `argument` has any of `bits` set in its low 32 bits.
#[derive(Clone, Copy)]
pub struct StopWhen {
  pub syscall: u32,
  pub argument: u32,
  pub bits: u32,
}

/// Builds the program; the lists may be unsorted and hold duplicates. A
/// number in both lists notifies, unless `stops` has it stop for its
/// arguments; `trap_all` traps everything.
pub fn build_filter(trapped: &[u32], notified: &[u32], stops: &[StopWhen], trap_all: bool) -> Result<Vec<libc::sock_filter>> {
  let sorted = |list: &[u32]| {
    let mut numbers = list.to_vec();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
  };
  let notified = sorted(notified);
  let trapped: Vec<u32> = sorted(trapped).into_iter().filter(|number| !notified.contains(number)).collect();

  let mut program = vec![stmt(LOAD_WORD, ARCH_OFFSET), jump(JUMP_IF_EQUAL, AUDIT_ARCH_X86_64, 1, 0), stmt(RETURN, RET_KILL_PROCESS)];
  if trap_all {
    program.push(stmt(RETURN, RET_TRACE));
    return Ok(program);
  }
  program.push(stmt(LOAD_WORD, NR_OFFSET));
  program.push(jump(JUMP_IF_AT_LEAST, X32_SYSCALL_BIT, 0, 1));
  program.push(stmt(RETURN, RET_TRACE));
  // One "equal? verdict : next pair" per number keeps every jump offset at 0 or 1,
  // far below classic BPF's 8-bit limit whatever the list length.
  for (numbers, verdict) in [(notified, RET_USER_NOTIF), (trapped, RET_TRACE)] {
    for number in numbers {
      match stops.iter().find(|stop| stop.syscall == number && verdict == RET_USER_NOTIF) {
        // The argument replaces the number in the accumulator: both branches return.
        Some(stop) => {
          program.push(jump(JUMP_IF_EQUAL, number, 0, 4));
          program.push(stmt(LOAD_WORD, ARGS_OFFSET + 8 * stop.argument));
          program.push(jump(JUMP_IF_ANY_BIT, stop.bits, 0, 1));
          program.push(stmt(RETURN, RET_TRACE));
          program.push(stmt(RETURN, RET_USER_NOTIF));
        }
        None => {
          program.push(jump(JUMP_IF_EQUAL, number, 0, 1));
          program.push(stmt(RETURN, verdict));
        }
      }
    }
  }
  program.push(stmt(RETURN, RET_ALLOW));
  if program.len() > MAX_INSTRUCTIONS {
    return Err(invalid("spawn", "too many trapped syscalls for one seccomp filter"));
  }
  Ok(program)
}
