//! The classic-BPF seccomp filter the child installs just before execve: chosen
//! syscalls stop the tracee (SECCOMP_RET_TRACE), the rest run at native speed.

use crate::errors::{invalid, Result};

// Classic BPF opcodes (linux/bpf_common.h).
const BPF_LD_W_ABS: u16 = 0x00 | 0x00 | 0x20;
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10 | 0x00;
const BPF_JMP_JGE_K: u16 = 0x05 | 0x30 | 0x00;
const BPF_RET_K: u16 = 0x06 | 0x00;

// Offsets in struct seccomp_data.
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;

const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// x32 syscalls carry this bit; the emulator does not model that ABI, so it sees them.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const RET_ALLOW: u32 = 0x7fff_0000;

/// The kernel's BPF_MAXINSNS.
const MAX_INSTRUCTIONS: usize = 4096;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
  libc::sock_filter { code, jt: 0, jf: 0, k }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
  libc::sock_filter { code, jt, jf, k }
}

/// Builds the program; `trapped` may be unsorted and hold duplicates.
pub fn build_filter(trapped: &[u32], trap_all: bool) -> Result<Vec<libc::sock_filter>> {
  let mut numbers = trapped.to_vec();
  numbers.sort_unstable();
  numbers.dedup();

  let mut program = vec![
    stmt(BPF_LD_W_ABS, ARCH_OFFSET),
    jump(BPF_JMP_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    stmt(BPF_RET_K, RET_KILL_PROCESS),
  ];
  if trap_all {
    program.push(stmt(BPF_RET_K, RET_TRACE));
    return Ok(program);
  }
  program.push(stmt(BPF_LD_W_ABS, NR_OFFSET));
  program.push(jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, 0, 1));
  program.push(stmt(BPF_RET_K, RET_TRACE));
  // One "equal? trace : next pair" per number keeps every jump offset at 0 or 1,
  // far below classic BPF's 8-bit limit whatever the list length.
  for number in numbers {
    program.push(jump(BPF_JMP_JEQ_K, number, 0, 1));
    program.push(stmt(BPF_RET_K, RET_TRACE));
  }
  program.push(stmt(BPF_RET_K, RET_ALLOW));
  if program.len() > MAX_INSTRUCTIONS {
    return Err(invalid("spawn", "too many trapped syscalls for one seccomp filter"));
  }
  Ok(program)
}
