//! simterpose's own vDSO (native/vdso), put into a new program at its exec
//! stop in place of the kernel's: the tracee is made to run mmap and
//! mprotect (a few instructions written over its first ones for as long as
//! that takes), and the image is copied in. The kernel's [vvar] and [vdso]
//! pages are replaced where they lie, so that every other mapping of the
//! program lands where it would have.

use std::sync::OnceLock;

use crate::errors::{errno_error, invalid, last_error, Result};
use crate::{memory, ptrace, regs};

/// The image, as gcc built it (build.rs).
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));

const PAGE: u64 = 4096;

/// What the tracee runs: `push 9; pop rax` (mmap's number: the exec's return
/// sets rax to 0 as the thread leaves the exec stop, after registers set
/// there), `syscall`, `int3` (the stop after the call). Another call runs
/// from the `syscall` on, its number set with the other registers.
const STUB: [u8; 6] = [0x6a, libc::SYS_mmap as u8, 0x58, 0x0f, 0x05, 0xcc];
const STUB_SYSCALL: u64 = 3;

/// Where the page the vDSO reads lies; the image's ELF header is one page
/// above. `kernel_vdso` is where the kernel's vDSO starts in the program
/// (its AT_SYSINFO_EHDR), if it has one. Called at the exec event stop: the
/// thread is left at a stop (the stub's last trap) with the registers the
/// program starts with.
pub fn install(tid: i32, kernel_vdso: Option<u64>) -> Result<u64> {
  let mut saved = regs::current(tid)?;
  // What the exec returns, as the thread leaves its stop.
  saved.rax = 0;
  let text = saved.rip;
  let word = peek(tid, text)?;
  poke(tid, text, with_stub(word))?;
  let installed = map_image(tid, &saved, kernel_vdso);
  poke(tid, text, word)?;
  // The thread is at the stub's trap now: no syscall under way.
  ptrace::set_regs(tid, &libc::user_regs_struct { orig_rax: u64::MAX, ..saved })?;
  regs::forget(tid);
  installed
}

/// `word` with the stub over its first bytes.
fn with_stub(word: u64) -> u64 {
  let mut bytes = word.to_le_bytes();
  bytes[..STUB.len()].copy_from_slice(&STUB);
  u64::from_le_bytes(bytes)
}

fn map_image(tid: i32, saved: &libc::user_regs_struct, kernel_vdso: Option<u64>) -> Result<u64> {
  let image_len = IMAGE.len().div_ceil(PAGE as usize) as u64 * PAGE;
  let needed = PAGE + image_len;
  let span = match (kernel_vdso, kernel_vdso_layout()) {
    (None, _) => None,
    (Some(start), Some(layout)) => start.checked_sub(layout.below).zip(start.checked_add(layout.size)),
    (Some(_), None) => std::fs::read_to_string(format!("/proc/{tid}/maps")).ok().and_then(|maps| kernel_vdso_span(&maps)),
  };
  let (hint, flags, len) = match span {
    Some((start, end)) if end - start >= needed => (start, libc::MAP_FIXED, end - start),
    _ => (0, 0, needed),
  };
  let mmap_args = [hint, len, (libc::PROT_READ | libc::PROT_WRITE) as u64, (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | flags) as u64, u64::MAX, 0];
  let base = run(tid, &with_args(*saved, mmap_args), libc::SYS_mmap)?;
  memory::write(tid, base + PAGE, IMAGE)?;
  let mprotect = at_stub_syscall(*saved, libc::SYS_mprotect, [base + PAGE, image_len, (libc::PROT_READ | libc::PROT_EXEC) as u64, 0, 0, 0]);
  run(tid, &mprotect, libc::SYS_mprotect)?;
  Ok(base)
}

fn with_args(mut regs: libc::user_regs_struct, args: [u64; 6]) -> libc::user_regs_struct {
  [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9] = args;
  regs
}

/// A call made from the stub's `syscall`, at its trap (no syscall under way): its number is set with the other registers.
fn at_stub_syscall(saved: libc::user_regs_struct, number: libc::c_long, args: [u64; 6]) -> libc::user_regs_struct {
  let regs = libc::user_regs_struct { rip: saved.rip + STUB_SYSCALL, rax: number as u64, orig_rax: u64::MAX, ..saved };
  with_args(regs, args)
}

/// Lets the tracee run from `call` to the stub's trap; returns the result of the syscall `number` it made.
fn run(tid: i32, call: &libc::user_regs_struct, number: libc::c_long) -> Result<u64> {
  ptrace::set_regs(tid, call)?;
  ptrace::cont(tid, 0)?;
  let status = wait(tid)?;
  // The stub's int3: a SIGTRAP, suppressed when the thread goes on.
  if !(libc::WIFSTOPPED(status) && libc::WSTOPSIG(status) == libc::SIGTRAP && status >> 16 == 0) {
    return Err(invalid("vdso install", &format!("the injected syscall {number} ended in status {status:#x}")));
  }
  let result = ptrace::get_regs(tid)?.rax as i64;
  if result < 0 {
    return Err(errno_error(&format!("syscall {number} run by tracee {tid}"), -result as i32));
  }
  Ok(result as u64)
}

fn wait(tid: i32) -> Result<i32> {
  let mut status = 0;
  loop {
    let ret = unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
    if ret >= 0 {
      return Ok(status);
    }
    if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
      return Err(last_error(&format!("waitpid({tid})")));
    }
  }
}

fn peek(tid: i32, address: u64) -> Result<u64> {
  let mut bytes = [0u8; 8];
  memory::read_into(tid, address, &mut bytes)?;
  Ok(u64::from_le_bytes(bytes))
}

/// Writes through ptrace, which may write to the program's read-only text.
fn poke(tid: i32, address: u64, word: u64) -> Result<()> {
  let ret = unsafe { libc::ptrace(libc::PTRACE_POKETEXT, tid, address as *mut libc::c_void, word as *mut libc::c_void) };
  if ret < 0 {
    return Err(last_error(&format!("ptrace(PTRACE_POKETEXT, {tid}, {address:#x})")));
  }
  Ok(())
}

/// How the kernel lays out its vDSO: its data pages ([vvar], [vvar_vclock])
/// take `below` bytes right below the vDSO's start, which spans `size` bytes.
struct VdsoLayout {
  below: u64,
  size: u64,
}

/// The kernel's layout, the same in every program: learned once from our own
/// mappings, so that a program's need not be read at each exec (a read of
/// /proc/PID/maps costs tens of microseconds). None where ours are not
/// contiguous: each program's are read then.
fn kernel_vdso_layout() -> Option<&'static VdsoLayout> {
  static LAYOUT: OnceLock<Option<VdsoLayout>> = OnceLock::new();
  LAYOUT
    .get_or_init(|| {
      let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
      let (start, end) = kernel_vdso_span(&maps)?;
      let text = maps.lines().find(|line| line.split_whitespace().nth(5) == Some("[vdso]"))?;
      let text_start = u64::from_str_radix(text.split('-').next()?, 16).ok()?;
      Some(VdsoLayout { below: text_start - start, size: end - text_start })
    })
    .as_ref()
}

/// In `maps` (a /proc/PID/maps), the pages of the kernel's vDSO and its data ([vvar], [vvar_vclock], [vdso]), when they are contiguous.
fn kernel_vdso_span(maps: &str) -> Option<(u64, u64)> {
  let mut span: Option<(u64, u64)> = None;
  for line in maps.lines() {
    let name = line.split_whitespace().nth(5).unwrap_or("");
    if !matches!(name, "[vvar]" | "[vvar_vclock]" | "[vdso]") {
      continue;
    }
    let (start, end) = line.split_whitespace().next()?.split_once('-')?;
    let (start, end) = (u64::from_str_radix(start, 16).ok()?, u64::from_str_radix(end, 16).ok()?);
    span = match span {
      None => Some((start, end)),
      Some((first, last)) if last == start => Some((first, end)),
      Some(_) => return None,
    };
  }
  span
}
