//! Thin wrappers over ptrace(2) requests that name themselves in errors.
//! Every one of them must run on the thread that seized the tracee.

use crate::errors::{check, Result};

pub const OPTIONS: libc::c_int = libc::PTRACE_O_TRACESYSGOOD
  | libc::PTRACE_O_TRACESECCOMP
  | libc::PTRACE_O_TRACEFORK
  | libc::PTRACE_O_TRACEVFORK
  | libc::PTRACE_O_TRACECLONE
  | libc::PTRACE_O_TRACEEXEC
  | libc::PTRACE_O_TRACEEXIT
  | libc::PTRACE_O_EXITKILL;

/// The type of a ptrace request: glibc declares ptrace() over an unsigned
/// `enum __ptrace_request`, musl over a plain int, and the libc crate types
/// the PTRACE_* constants to match each.
#[cfg(target_env = "gnu")]
type Request = libc::c_uint;
#[cfg(target_env = "musl")]
type Request = libc::c_int;

fn request(name: &str, req: Request, tid: i32, addr: usize, data: usize) -> Result<libc::c_long> {
  let ret = unsafe { libc::ptrace(req, tid, addr as *mut libc::c_void, data as *mut libc::c_void) };
  check(ret, || format!("ptrace({name}, {tid})"))
}

pub fn seize(pid: i32) -> Result<()> {
  request("PTRACE_SEIZE", libc::PTRACE_SEIZE, pid, 0, OPTIONS as usize).map(drop)
}

pub fn cont(tid: i32, signal: i32) -> Result<()> {
  request("PTRACE_CONT", libc::PTRACE_CONT, tid, 0, signal as usize).map(drop)
}

pub fn cont_to_syscall_stop(tid: i32, signal: i32) -> Result<()> {
  request("PTRACE_SYSCALL", libc::PTRACE_SYSCALL, tid, 0, signal as usize).map(drop)
}

pub fn interrupt(tid: i32) -> Result<()> {
  request("PTRACE_INTERRUPT", libc::PTRACE_INTERRUPT, tid, 0, 0).map(drop)
}

pub fn event_message(tid: i32) -> Result<u64> {
  let mut message: libc::c_ulong = 0;
  request("PTRACE_GETEVENTMSG", libc::PTRACE_GETEVENTMSG, tid, 0, &mut message as *mut libc::c_ulong as usize)?;
  Ok(message as u64)
}

pub fn get_regs(tid: i32) -> Result<libc::user_regs_struct> {
  let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
  request("PTRACE_GETREGS", libc::PTRACE_GETREGS, tid, 0, &mut regs as *mut libc::user_regs_struct as usize)?;
  Ok(regs)
}

pub fn set_regs(tid: i32, regs: &libc::user_regs_struct) -> Result<()> {
  request("PTRACE_SETREGS", libc::PTRACE_SETREGS, tid, 0, regs as *const libc::user_regs_struct as usize).map(drop)
}

/// Size of siginfo_t on Linux: the kernel copies exactly this much.
pub const SIGINFO_SIZE: usize = 128;

pub fn get_siginfo(tid: i32) -> Result<[u8; SIGINFO_SIZE]> {
  let mut info = [0u8; SIGINFO_SIZE];
  request("PTRACE_GETSIGINFO", libc::PTRACE_GETSIGINFO, tid, 0, info.as_mut_ptr() as usize)?;
  Ok(info)
}

pub fn set_siginfo(tid: i32, info: &[u8; SIGINFO_SIZE]) -> Result<()> {
  request("PTRACE_SETSIGINFO", libc::PTRACE_SETSIGINFO, tid, 0, info.as_ptr() as usize).map(drop)
}
