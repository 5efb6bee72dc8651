//! All x86_64 register knowledge: which register holds the syscall number, its
//! arguments and its result, and how to skip, restart or rewrite a syscall.
//!
//! The registers read at a stop are cached per thread until it is resumed, so
//! the usual "emulate and skip" costs one PTRACE_SETREGS and no second GETREGS.

use std::cell::RefCell;

use libc::user_regs_struct;

use crate::errors::{invalid, Result};
use crate::id_map::IdMap;
use crate::ptrace;

/// Length of the `syscall` instruction (0f 05), to step back over it.
const SYSCALL_INSN_LEN: u64 = 2;

thread_local! {
  static CACHE: RefCell<IdMap<i32, user_regs_struct>> = RefCell::new(IdMap::default());
}

/// Reads the registers at a new stop and keeps them for the calls that follow.
pub fn fetch(tid: i32) -> Result<user_regs_struct> {
  let regs = ptrace::get_regs(tid)?;
  CACHE.with(|cache| cache.borrow_mut().insert(tid, regs));
  Ok(regs)
}

/// The thread moved on (resumed, or stopped somewhere we did not read registers).
pub fn forget(tid: i32) {
  CACHE.with(|cache| cache.borrow_mut().remove(&tid));
}

/// The registers at the current stop, read once.
pub fn current(tid: i32) -> Result<user_regs_struct> {
  match CACHE.with(|cache| cache.borrow().get(&tid).copied()) {
    Some(regs) => Ok(regs),
    None => fetch(tid),
  }
}

fn modify(tid: i32, change: impl FnOnce(&mut user_regs_struct)) -> Result<()> {
  let mut regs = current(tid)?;
  change(&mut regs);
  ptrace::set_regs(tid, &regs)?;
  CACHE.with(|cache| cache.borrow_mut().insert(tid, regs));
  Ok(())
}

pub fn syscall_number(regs: &user_regs_struct) -> i64 {
  regs.orig_rax as i64
}

pub fn syscall_args(regs: &user_regs_struct) -> [i64; 6] {
  [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9].map(|r| r as i64)
}

pub fn syscall_result(regs: &user_regs_struct) -> i64 {
  regs.rax as i64
}

pub fn stack_pointer(tid: i32) -> Result<u64> {
  Ok(current(tid)?.rsp)
}

/// At a seccomp stop: the kernel skips a syscall whose number became -1 and
/// leaves rax as its result.
pub fn skip_syscall(tid: i32, result: i64) -> Result<()> {
  modify(tid, |regs| {
    regs.orig_rax = u64::MAX;
    regs.rax = result as u64;
  })
}

/// At a seccomp stop: skip the syscall now, and leave rip on the `syscall`
/// instruction with rax holding the number again, so it runs anew later.
pub fn restart_syscall(tid: i32) -> Result<()> {
  modify(tid, |regs| {
    regs.rax = regs.orig_rax;
    regs.orig_rax = u64::MAX;
    regs.rip -= SYSCALL_INSN_LEN;
  })
}

pub fn return_value(tid: i32) -> Result<i64> {
  Ok(syscall_result(&current(tid)?))
}

pub fn set_return_value(tid: i32, value: i64) -> Result<()> {
  modify(tid, |regs| regs.rax = value as u64)
}

pub fn set_syscall(tid: i32, sysno: i64, args: &[i64]) -> Result<()> {
  if args.len() > 6 {
    return Err(invalid(&format!("setSyscall({tid})"), "a syscall takes at most 6 arguments"));
  }
  modify(tid, |regs| {
    regs.orig_rax = sysno as u64;
    let slots = [&mut regs.rdi, &mut regs.rsi, &mut regs.rdx, &mut regs.r10, &mut regs.r8, &mut regs.r9];
    for (slot, value) in slots.into_iter().zip(args) {
      *slot = *value as u64;
    }
  })
}
