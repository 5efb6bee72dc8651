//! The classic-BPF seccomp filter the child installs just before execve: chosen
//! syscalls stop the tracee (SECCOMP_RET_TRACE), others go to the mediator as
//! user notifications (SECCOMP_RET_USER_NOTIF, see notify.rs), the rest run at
//! native speed; some stop only for some values of an argument.

use crate::errors::{invalid, Result};

// Classic BPF opcode parts (linux/bpf_common.h); BPF_LD, BPF_W and BPF_K are 0.
const BPF_ABS: u16 = 0x20;
const BPF_JMP: u16 = 0x05;
const BPF_JA: u16 = 0x00;
const BPF_JEQ: u16 = 0x10;
const BPF_JGE: u16 = 0x30;
const BPF_JSET: u16 = 0x40;
const BPF_RET: u16 = 0x06;

const LOAD_WORD: u16 = BPF_ABS;
const JUMP_IF_EQUAL: u16 = BPF_JMP | BPF_JEQ;
const JUMP_IF_AT_LEAST: u16 = BPF_JMP | BPF_JGE;
const JUMP_IF_ANY_BIT: u16 = BPF_JMP | BPF_JSET;
const JUMP_ALWAYS: u16 = BPF_JMP | BPF_JA;
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
#[derive(Clone, Copy, PartialEq)]
pub struct StopWhen {
  pub syscall: u32,
  pub argument: u32,
  pub bits: u32,
}

/// A trapped syscall that stops only for some values of its argument
/// `argument`, and runs natively for the others: where the mediator would
/// only let those run, the filter spares them the stop.
#[derive(Clone, PartialEq)]
pub struct StopOnlyWhen {
  pub syscall: u32,
  pub argument: u32,
  pub values: StopValues,
}

#[derive(Clone, PartialEq)]
pub enum StopValues {
  /// Any value but 0 (all 64 bits of it): a pointer that is not NULL.
  NonZero,
  /// One of these in the argument's low 32 bits (an int or unsigned int argument, as the kernel reads it).
  OneOf(Vec<u32>),
}

/// What the filter answers for the syscall numbers of one segment.
#[derive(Clone, Copy, PartialEq)]
enum Verdict {
  Allow,
  Trace,
  Notify,
  /// Notify, but stop for some values of an argument.
  NotifyUnless(StopWhen),
  /// Stop for the values of `gates[i]`, else run natively.
  TraceOnlyWhen(usize),
}

/// Builds the program; the lists may be unsorted and hold duplicates. A
/// number in both lists notifies, unless `stops` has it stop for its
/// arguments; a number only trapped stops, only for the values `gates`
/// gives it if it has one; `trap_all` traps everything.
///
/// Every syscall a program makes runs the filter, and so does the kernel
/// once per syscall number when it installs it (to cache which numbers are
/// always allowed): the numbers are looked up in a binary search tree over
/// segments of consecutive numbers with one verdict, a dozen instructions
/// deep, not in a list hundreds of instructions long.
pub fn build_filter(trapped: &[u32], notified: &[u32], stops: &[StopWhen], gates: &[StopOnlyWhen], trap_all: bool) -> Result<Vec<libc::sock_filter>> {
  let mut program = vec![stmt(LOAD_WORD, ARCH_OFFSET), jump(JUMP_IF_EQUAL, AUDIT_ARCH_X86_64, 1, 0), stmt(RETURN, RET_KILL_PROCESS)];
  if trap_all {
    program.push(stmt(RETURN, RET_TRACE));
    return Ok(program);
  }
  program.push(stmt(LOAD_WORD, NR_OFFSET));
  program.push(jump(JUMP_IF_AT_LEAST, X32_SYSCALL_BIT, 0, 1));
  program.push(stmt(RETURN, RET_TRACE));
  program.extend(search_tree(&segments(trapped, notified, stops, gates), gates));
  if program.len() > MAX_INSTRUCTIONS {
    return Err(invalid("spawn", "too many trapped syscalls for one seccomp filter"));
  }
  Ok(program)
}

/// The numbers below the x32 bit cut into segments `(first number, verdict)`,
/// in order, each running to the next one's first number; neighbours differ.
fn segments(trapped: &[u32], notified: &[u32], stops: &[StopWhen], gates: &[StopOnlyWhen]) -> Vec<(u32, Verdict)> {
  let trace = |number: u32| match gates.iter().position(|gate| gate.syscall == number) {
    Some(gate) => Verdict::TraceOnlyWhen(gate),
    None => Verdict::Trace,
  };
  let mut verdicts: Vec<(u32, Verdict)> = trapped.iter().map(|&number| (number, trace(number))).collect();
  for &number in notified {
    let verdict = match stops.iter().find(|stop| stop.syscall == number) {
      Some(stop) => Verdict::NotifyUnless(*stop),
      None => Verdict::Notify,
    };
    verdicts.push((number, verdict));
  }
  // Sorted by number with notifications last, so that the last verdict of a number wins.
  verdicts.sort_by_key(|&(number, verdict)| (number, !matches!(verdict, Verdict::Trace | Verdict::TraceOnlyWhen(_))));
  let mut segments: Vec<(u32, Verdict)> = vec![(0, Verdict::Allow)];
  let mut next = 0;
  for (number, verdict) in verdicts.into_iter().filter(|&(number, _)| number < X32_SYSCALL_BIT) {
    if number < next {
      // A duplicate of the number just placed: the later verdict wins.
      segments.last_mut().expect("placed").1 = verdict;
      continue;
    }
    if number > next {
      segments.push((next, Verdict::Allow));
    }
    segments.push((number, verdict));
    next = number + 1;
  }
  segments.push((next, Verdict::Allow));
  // Empty segments (a number placed at the start of a gap's) and neighbours with
  // one verdict (the argument test is per syscall: never merged) fold away.
  let mut folded: Vec<(u32, Verdict)> = Vec::with_capacity(segments.len());
  for (first, verdict) in segments {
    if let Some(last) = folded.last_mut() {
      if last.0 == first {
        *last = (first, verdict);
        continue;
      }
      if last.1 == verdict && !matches!(verdict, Verdict::NotifyUnless(_) | Verdict::TraceOnlyWhen(_)) {
        continue;
      }
    }
    folded.push((first, verdict));
  }
  folded.retain(|&(first, _)| first < X32_SYSCALL_BIT);
  folded
}

/// The instructions that find the segment of the number in the accumulator and return its verdict.
fn search_tree(segments: &[(u32, Verdict)], gates: &[StopOnlyWhen]) -> Vec<libc::sock_filter> {
  if let [(_, verdict)] = segments {
    return leaf(*verdict, gates);
  }
  let middle = segments.len() / 2;
  let below = search_tree(&segments[..middle], gates);
  let above = search_tree(&segments[middle..], gates);
  let pivot = segments[middle].0;
  let mut code = Vec::with_capacity(2 + below.len() + above.len());
  match u8::try_from(below.len()) {
    Ok(skip) => code.push(jump(JUMP_IF_AT_LEAST, pivot, skip, 0)),
    // Conditional jumps reach 255 instructions ahead at most; an unconditional one, any distance.
    Err(_) => {
      code.push(jump(JUMP_IF_AT_LEAST, pivot, 0, 1));
      code.push(stmt(JUMP_ALWAYS, below.len() as u32));
    }
  }
  code.extend(below);
  code.extend(above);
  code
}

fn leaf(verdict: Verdict, gates: &[StopOnlyWhen]) -> Vec<libc::sock_filter> {
  match verdict {
    Verdict::Allow => vec![stmt(RETURN, RET_ALLOW)],
    Verdict::Trace => vec![stmt(RETURN, RET_TRACE)],
    Verdict::Notify => vec![stmt(RETURN, RET_USER_NOTIF)],
    // The argument replaces the number in the accumulator: both branches return.
    Verdict::NotifyUnless(stop) => vec![
      stmt(LOAD_WORD, ARGS_OFFSET + 8 * stop.argument),
      jump(JUMP_IF_ANY_BIT, stop.bits, 0, 1),
      stmt(RETURN, RET_TRACE),
      stmt(RETURN, RET_USER_NOTIF),
    ],
    Verdict::TraceOnlyWhen(gate) => gated_trace(&gates[gate]),
  }
}

/// Stops when the argument has one of the gate's values, else allows; the argument replaces the number in the accumulator.
fn gated_trace(gate: &StopOnlyWhen) -> Vec<libc::sock_filter> {
  let low = ARGS_OFFSET + 8 * gate.argument;
  match &gate.values {
    // Both words 0 allow; either one not 0 stops.
    StopValues::NonZero => vec![
      stmt(LOAD_WORD, low),
      jump(JUMP_IF_EQUAL, 0, 0, 3),
      stmt(LOAD_WORD, low + 4),
      jump(JUMP_IF_EQUAL, 0, 0, 1),
      stmt(RETURN, RET_ALLOW),
      stmt(RETURN, RET_TRACE),
    ],
    // Each comparison that matches jumps past the ones after it and the allow, to the stop.
    StopValues::OneOf(values) => {
      let mut code = vec![stmt(LOAD_WORD, low)];
      for (index, &value) in values.iter().enumerate() {
        let to_stop = u8::try_from(values.len() - index).expect("at most 255 values (checked at spawn)");
        code.push(jump(JUMP_IF_EQUAL, value, to_stop, 0));
      }
      code.push(stmt(RETURN, RET_ALLOW));
      code.push(stmt(RETURN, RET_TRACE));
      code
    }
  }
}
