//! Starting a traced child from a multi-threaded Node process.
//!
//! The child is a clone that shares our memory (CLONE_VM) on a stack of its
//! own until its execve, as posix_spawn does: fork would copy the page tables
//! of Node's whole heap and make every page copy-on-write, a cost that grows
//! with the mediator's memory (milliseconds per process with a few hundred
//! MB). Unlike vfork, we are not suspended, so we can seize the child before
//! it installs its seccomp filter. It shares our descriptor table too
//! (CLONE_FILES) until it takes one of its own holding only the numbers up to
//! the highest it inherits (see `highest_inherited`): a copy of the whole
//! table would take a reference to each of the mediator's descriptors (two
//! per live tracee, a pidfd and a seccomp listener, all close-on-exec) and
//! drop them all again at the exec, a cost that grows with the tracees alive.
//!
//! Until execve the child may only make async-signal-safe calls on data that
//! nobody changes meanwhile: everything it needs (C strings, pointer arrays,
//! the BPF program, the CPU set) is prepared before the clone and stays
//! untouched until it has exec'd, and the child only issues raw syscalls on
//! it. It must not make a call that can fail unless it then reports and exits,
//! or makes it raw (`raw_syscall`): errno lives in the memory it shares with
//! our thread.

use std::cell::RefCell;
use std::ffi::CString;
use std::mem;
use std::os::fd::{IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::sync::OnceLock;

use napi_derive::napi;

use crate::errors::{errno_error, invalid, last_errno, last_error, Result};
use crate::id_map::IdMap;
use crate::personality::{self, Randomization};
use crate::{fds, ptrace, seccomp};

#[napi(object)]
pub struct SpawnOptions {
  /// Absolute path of the executable.
  pub path: String,
  pub argv: Vec<String>,
  /// `KEY=VALUE` strings.
  pub env: Vec<String>,
  pub cwd: Option<String>,
  /// Syscall numbers that stop the tracee (SECCOMP_RET_TRACE); the rest run natively.
  pub trap_syscalls: Vec<u32>,
  /// Syscall numbers that reach the mediator as seccomp user notifications
  /// (notify.rs); the listener is then kept for `takeListener`. execve must be
  /// trapped: the listener is taken at the child's execve stop, its last
  /// moment before exec closes it.
  pub notify_syscalls: Option<Vec<u32>>,
  /// Notified syscalls that stop instead for some values of an argument.
  pub stop_notified_when: Option<Vec<NotifiedStop>>,
  /// Trapped syscalls that stop only for some values of an argument, and otherwise run natively.
  pub stop_only_when: Option<Vec<StopOnlyWhen>>,
  /// Stop at every syscall (for --strace).
  pub trap_all: bool,
  /// Pin the child to this single CPU.
  pub cpu: Option<u32>,
  /// Parent descriptors to dup2 onto the child's 0, 1 and 2 (else inherited).
  pub stdin: Option<i32>,
  pub stdout: Option<i32>,
  pub stderr: Option<i32>,
}

/// A notified syscall that stops at a seccomp stop instead when its
/// argument `argument` (0-5) has any of `bits` set in its low 32 bits.
#[napi(object)]
pub struct NotifiedStop {
  pub syscall: u32,
  pub argument: u32,
  pub bits: u32,
}

/// A trapped syscall that stops only when its argument `argument` (0-5) is
/// one of `one_of` (compared with its low 32 bits), or, without `one_of`,
/// is not 0 (all 64 bits); it runs natively otherwise.
#[napi(object)]
pub struct StopOnlyWhen {
  pub syscall: u32,
  pub argument: u32,
  pub one_of: Option<Vec<u32>>,
}

/// Where the child failed before execve succeeded, reported in `ChildFailure`.
#[derive(Clone, Copy)]
#[repr(i32)]
enum Stage {
  Stdin = 1,
  Stdout,
  Stderr,
  Personality,
  Affinity,
  Chdir,
  SignalMask,
  Descriptors,
  NoNewPrivs,
  Seccomp,
  Execve,
}

impl Stage {
  fn from_code(code: i32) -> Option<Stage> {
    use Stage::*;
    [Stdin, Stdout, Stderr, Personality, Affinity, Chdir, SignalMask, Descriptors, NoNewPrivs, Seccomp, Execve]
      .into_iter()
      .find(|stage| *stage as i32 == code)
  }
}

/// Everything the child touches before its execve, built while allocating is still safe.
struct ChildPlan {
  path: CString,
  cwd: Option<CString>,
  // Own the strings the pointer arrays below point into.
  _argv: Vec<CString>,
  _env: Vec<CString>,
  argv_ptrs: Vec<*const libc::c_char>,
  env_ptrs: Vec<*const libc::c_char>,
  filter: Vec<libc::sock_filter>,
  /// Whether the filter notifies, and so must be installed with a listener.
  notifies: bool,
  cpu_set: Option<libc::cpu_set_t>,
  stdio: [Option<i32>; 3],
  /// The descriptor the program is exec'd through (`/proc/self/fd/N`), if it is.
  exec_fd: Option<i32>,
  highest_inherited: i32,
  /// The persona that turns address randomization off, when the machine lets us set it.
  persona: Option<libc::c_ulong>,
}

fn c_string(what: &str, value: &str) -> Result<CString> {
  CString::new(value).map_err(|_| invalid("spawn", &format!("{what} contains a NUL byte: {value:?}")))
}

fn notified_stops(opts: &SpawnOptions) -> Result<Vec<seccomp::StopWhen>> {
  let stops = opts.stop_notified_when.as_deref().unwrap_or(&[]);
  if stops.iter().any(|stop| stop.argument > 5) {
    return Err(invalid("spawn", "a syscall has 6 arguments, numbered 0 to 5"));
  }
  Ok(stops.iter().map(|stop| seccomp::StopWhen { syscall: stop.syscall, argument: stop.argument, bits: stop.bits }).collect())
}

fn stop_gates(opts: &SpawnOptions) -> Result<Vec<seccomp::StopOnlyWhen>> {
  let gates = opts.stop_only_when.as_deref().unwrap_or(&[]);
  if gates.iter().any(|gate| gate.argument > 5) {
    return Err(invalid("spawn", "a syscall has 6 arguments, numbered 0 to 5"));
  }
  // A filter's conditional jump reaches 255 instructions ahead: one comparison per value must stay within it.
  if gates.iter().any(|gate| gate.one_of.as_ref().is_some_and(|values| values.len() > 255)) {
    return Err(invalid("spawn", "a syscall stops for at most 255 values of an argument"));
  }
  Ok(
    gates
      .iter()
      .map(|gate| seccomp::StopOnlyWhen {
        syscall: gate.syscall,
        argument: gate.argument,
        values: match &gate.one_of {
          Some(values) => seccomp::StopValues::OneOf(values.clone()),
          None => seccomp::StopValues::NonZero,
        },
      })
      .collect(),
  )
}

impl ChildPlan {
  fn new(opts: &SpawnOptions) -> Result<ChildPlan> {
    let argv = opts.argv.iter().map(|a| c_string("an argument", a)).collect::<Result<Vec<_>>>()?;
    let env = opts.env.iter().map(|e| c_string("an environment entry", e)).collect::<Result<Vec<_>>>()?;
    let argv_ptrs = argv.iter().map(|a| a.as_ptr()).chain([std::ptr::null()]).collect();
    let env_ptrs = env.iter().map(|e| e.as_ptr()).chain([std::ptr::null()]).collect();
    let notified = opts.notify_syscalls.as_deref().unwrap_or(&[]);
    let cpu_set = match opts.cpu {
      Some(cpu) => Some(cpu_set_of(cpu, "spawn")?),
      None => None,
    };
    Ok(ChildPlan {
      path: c_string("the path", &opts.path)?,
      cwd: opts.cwd.as_deref().map(|cwd| c_string("the cwd", cwd)).transpose()?,
      _argv: argv,
      _env: env,
      argv_ptrs,
      env_ptrs,
      filter: seccomp::build_filter(&opts.trap_syscalls, notified, &notified_stops(opts)?, &stop_gates(opts)?, opts.trap_all)?,
      notifies: !notified.is_empty() && !opts.trap_all,
      cpu_set,
      stdio: [opts.stdin, opts.stdout, opts.stderr],
      exec_fd: ["/proc/self/fd/", "/dev/fd/"].iter().find_map(|folder| opts.path.strip_prefix(folder)?.parse().ok()),
      highest_inherited: highest_inherited(),
      persona: match personality::randomization() {
        Randomization::TurnOff(persona) => Some(persona),
        Randomization::AlreadyOff | Randomization::Refused => None,
      },
    })
  }
}

/// The highest descriptor of ours that a program inherits, not close-on-exec:
/// one Node was started with (a shell's `3<file`, a make jobserver's pipe),
/// as every descriptor Node and this addon open is close-on-exec. Looked for
/// once, at the first spawn.
fn highest_inherited() -> i32 {
  static HIGHEST: OnceLock<i32> = OnceLock::new();
  *HIGHEST.get_or_init(|| {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
      // No /proc: keep every number, as a copy of the whole table would.
      return i32::MAX - 1;
    };
    let numbers = entries.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok());
    let inherited = |&fd: &i32| {
      let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
      flags >= 0 && flags & libc::FD_CLOEXEC == 0
    };
    numbers.filter(inherited).max().unwrap_or(2)
  })
}

pub fn cpu_set_of(cpu: u32, call: &str) -> Result<libc::cpu_set_t> {
  if cpu as usize >= libc::CPU_SETSIZE as usize {
    return Err(invalid(call, &format!("no CPU {cpu}")));
  }
  let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
  unsafe { libc::CPU_SET(cpu as usize, &mut set) };
  Ok(set)
}

/// The child's stack until its execve, with a guard page below it.
struct ChildStack {
  base: *mut libc::c_void,
  size: usize,
}

const CHILD_STACK_SIZE: usize = 256 * 1024;
const GUARD_SIZE: usize = 4096;

impl ChildStack {
  fn new() -> Result<ChildStack> {
    let size = CHILD_STACK_SIZE + GUARD_SIZE;
    let base = unsafe {
      libc::mmap(std::ptr::null_mut(), size, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK, -1, 0)
    };
    if base == libc::MAP_FAILED {
      return Err(last_error("mmap(child stack)"));
    }
    let stack = ChildStack { base, size };
    if unsafe { libc::mprotect(base, GUARD_SIZE, libc::PROT_NONE) } < 0 {
      return Err(last_error("mprotect(child stack guard)"));
    }
    Ok(stack)
  }

  /// Stacks grow down: the child starts at the highest address.
  fn top(&self) -> *mut libc::c_void {
    unsafe { (self.base as *mut u8).add(self.size) as *mut libc::c_void }
  }
}

impl Drop for ChildStack {
  fn drop(&mut self) {
    unsafe { libc::munmap(self.base, self.size) };
  }
}

/// Where the child failed before its execve, and with which errno: written
/// in the memory it shares with us, not to a pipe, because once its filter
/// is in place a write could be a notified call that nobody answers before
/// the exec (the parent waits for its stops, not for its notifications).
struct ChildFailure {
  /// A `Stage`, or 0 while the child has not failed.
  stage: AtomicI32,
  errno: AtomicI32,
}

/// The gate the child waits at until it is seized (a futex word in the memory we share).
const GATE_CLOSED: u32 = 0;
const GATE_OPEN: u32 = 1;
/// The seize failed: the child exits without running anything.
const GATE_ABANDONED: u32 = 2;

/// Sets the gate and wakes the child waiting at it.
fn set_gate(gate: &AtomicU32, state: u32) {
  gate.store(state, Ordering::Release);
  unsafe { libc::syscall(libc::SYS_futex, gate.as_ptr(), libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, 1) };
}

/// What the child's entry point receives through clone's argument pointer.
struct ChildArgs<'a> {
  plan: &'a ChildPlan,
  gate: AtomicU32,
  /// The child's number for its seccomp listener, written before its execve.
  listener: AtomicI32,
  failure: ChildFailure,
}

extern "C" fn child_entry(arg: *mut libc::c_void) -> libc::c_int {
  let args = unsafe { &*(arg as *const ChildArgs) };
  unsafe { run_child(args.plan, &args.gate, &args.listener, &args.failure) }
}

/// Clones the child on its own stack, sharing our memory and descriptors. Every signal is
/// blocked around the clone so that none of Node's handlers ever runs on the
/// child's side; the child unblocks them once their dispositions are reset.
fn clone_child(args: &ChildArgs, stack: &ChildStack) -> Result<i32> {
  let mut all: libc::sigset_t = unsafe { mem::zeroed() };
  let mut previous: libc::sigset_t = unsafe { mem::zeroed() };
  unsafe {
    libc::sigfillset(&mut all);
    libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut previous);
  }
  let pid = unsafe {
    libc::clone(child_entry, stack.top(), libc::CLONE_VM | libc::CLONE_FILES | libc::SIGCHLD, args as *const ChildArgs as *mut libc::c_void)
  };
  let error = if pid < 0 { Some(last_error("clone(CLONE_VM | CLONE_FILES)")) } else { None };
  unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut()) };
  error.map_or(Ok(pid), Err)
}

thread_local! {
  /// The stack the last child ran on until its execve, for the next one:
  /// mapping one per child, and unmapping it (which interrupts every CPU
  /// that ran one of Node's threads, to flush its TLB), cost each spawn.
  static SPARE_STACK: RefCell<Option<ChildStack>> = const { RefCell::new(None) };
}

/// Starts the child and returns its pid, stopped at its PTRACE_EVENT_EXEC stop.
pub fn spawn(opts: &SpawnOptions) -> Result<i32> {
  let plan = ChildPlan::new(opts)?;
  // They live until the child has exec'd or died: it runs on them until then.
  let stack = match SPARE_STACK.with(|spare| spare.borrow_mut().take()) {
    Some(stack) => stack,
    None => ChildStack::new()?,
  };
  let failure = ChildFailure { stage: AtomicI32::new(0), errno: AtomicI32::new(0) };
  let args = ChildArgs { plan: &plan, gate: AtomicU32::new(GATE_CLOSED), listener: AtomicI32::new(-1), failure };
  let pid = clone_child(&args, &stack)?;

  if let Err(err) = ptrace::seize(pid) {
    set_gate(&args.gate, GATE_ABANDONED);
    reap(pid);
    // A child that failed before the gate (no descriptor left for its stdio, say)
    // may be gone before the seize, which then fails too: its own report says why.
    return Err(reported_failure(&args.failure, &opts.path, opts.cwd.as_deref()).unwrap_or(err));
  }
  set_gate(&args.gate, GATE_OPEN);
  let listener = wait_for_exec(pid, &opts.path, opts.cwd.as_deref(), &args)?;
  // The child has exec'd: its stack is ours again. (On the failures above it is
  // let go instead, as a child that failed to report may still run on it.)
  SPARE_STACK.with(|spare| *spare.borrow_mut() = Some(stack));
  if plan.notifies {
    let Some(listener) = listener else {
      unsafe { libc::kill(pid, libc::SIGKILL) };
      reap(pid);
      return Err(invalid(&format!("spawn({})", opts.path), "the seccomp listener was not taken before execve (is execve trapped?)"));
    };
    LISTENERS.with(|listeners| listeners.borrow_mut().insert(pid, listener));
  }
  Ok(pid)
}

thread_local! {
  /// Listeners of spawned children, until `take_listener` hands them over.
  static LISTENERS: RefCell<IdMap<i32, OwnedFd>> = RefCell::new(IdMap::default());
}

/// The seccomp listener of the child `pid` spawned with notified syscalls; the caller owns it.
pub fn take_listener(pid: i32) -> Option<i32> {
  LISTENERS.with(|listeners| listeners.borrow_mut().remove(&pid)).map(IntoRawFd::into_raw_fd)
}

/// Collects a child that will never exec (killed, or failed before its
/// execve); like `wait_for_exec`, apart from `wait::next_event`.
fn reap(pid: i32) {
  let mut status = 0;
  while unsafe { libc::waitpid(pid, &mut status, libc::__WALL) } < 0 && last_errno() == libc::EINTR {}
}

/// Lets the child run through its pre-exec syscalls until it has exec'd or
/// died; returns our duplicate of its listener, taken at its execve stop.
/// Its stops are collected here, not through `wait::next_event`: until its
/// execve the child is no tracee of the run but our own, running on our
/// memory, and its stops are none of the run's. Collected there, each would
/// end the preemption watch of a tracee that may be running meanwhile, and
/// cost a GETREGS to decode what this loop does not read.
fn wait_for_exec(pid: i32, path: &str, cwd: Option<&str>, args: &ChildArgs) -> Result<Option<OwnedFd>> {
  let mut taken = None;
  loop {
    let mut status = 0;
    if unsafe { libc::waitpid(pid, &mut status, libc::__WALL) } < 0 {
      let errno = last_errno();
      if errno == libc::EINTR {
        continue;
      }
      return Err(errno_error(&format!("waitpid({pid})"), errno));
    }
    if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
      return Err(child_failure(pid, path, cwd, status, &args.failure));
    }
    let event = (status >> 16) & 0xff;
    if event == libc::PTRACE_EVENT_EXEC {
      return Ok(taken);
    }
    let number = args.listener.load(Ordering::Acquire);
    if event == libc::PTRACE_EVENT_SECCOMP && number >= 0 && taken.is_none() {
      taken = fds::duplicate(pid, number)?;
    }
    // Seccomp, exit and event stops carry no signal to deliver; a signal-delivery-stop does.
    let signal = if event == 0 { libc::WSTOPSIG(status) } else { 0 };
    if let Err(err) = ptrace::cont(pid, signal) {
      if err.status != "ESRCH" {
        // It must not run on our memory once its stack is gone.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        reap(pid);
        return Err(err);
      }
    }
  }
}

fn child_failure(pid: i32, path: &str, cwd: Option<&str>, status: i32, failure: &ChildFailure) -> crate::errors::Error {
  reported_failure(failure, path, cwd).unwrap_or_else(|| {
    let how = if libc::WIFEXITED(status) {
      format!("exited with status {}", libc::WEXITSTATUS(status))
    } else {
      format!("was killed by signal {}", libc::WTERMSIG(status))
    };
    invalid(&format!("spawn({path})"), &format!("child {pid} {how} before execve"))
  })
}

/// The call the child failed in before execve and its errno, if it reported them (read once the child is gone).
fn reported_failure(failure: &ChildFailure, path: &str, cwd: Option<&str>) -> Option<crate::errors::Error> {
  let stage = failure.stage.load(Ordering::Acquire);
  if stage == 0 {
    return None;
  }
  let errno = failure.errno.load(Ordering::Relaxed);
  let call = match Stage::from_code(stage) {
    Some(Stage::Stdin) => "dup2(stdin)".to_string(),
    Some(Stage::Stdout) => "dup2(stdout)".to_string(),
    Some(Stage::Stderr) => "dup2(stderr)".to_string(),
    Some(Stage::Personality) => "personality(ADDR_NO_RANDOMIZE)".to_string(),
    Some(Stage::Affinity) => "sched_setaffinity".to_string(),
    Some(Stage::Chdir) => format!("chdir({})", cwd.unwrap_or("")),
    Some(Stage::SignalMask) => "sigprocmask".to_string(),
    Some(Stage::Descriptors) => "close_range(CLOSE_RANGE_UNSHARE)".to_string(),
    Some(Stage::NoNewPrivs) => "prctl(PR_SET_NO_NEW_PRIVS)".to_string(),
    Some(Stage::Seccomp) => "seccomp(SECCOMP_SET_MODE_FILTER)".to_string(),
    Some(Stage::Execve) | None => format!("execve({path})"),
  };
  Some(errno_error(&call, errno))
}

/// A syscall that returns -errno rather than setting errno, for calls that may
/// fail without the child giving up: errno lives in the memory (the thread's
/// TLS) the child shares with the thread that spawned it.
unsafe fn raw_syscall(number: libc::c_long, args: [usize; 4]) -> isize {
  let result: isize;
  std::arch::asm!(
    "syscall",
    inlateout("rax") number as isize => result,
    in("rdi") args[0],
    in("rsi") args[1],
    in("rdx") args[2],
    in("r10") args[3],
    lateout("rcx") _,
    lateout("r11") _,
    options(nostack),
  );
  result
}

/// The child between clone and execve: raw syscalls on prepared data only.
unsafe fn run_child(plan: &ChildPlan, gate: &AtomicU32, listener: &AtomicI32, failure: &ChildFailure) -> ! {
  let fail = |stage: Stage| -> ! {
    failure.errno.store(*libc::__errno_location(), Ordering::Relaxed);
    failure.stage.store(stage as i32, Ordering::Release);
    libc::_exit(127)
  };

  // A table of our own before we change any descriptor: Node's with only the numbers
  // up to the highest we need (stdio sources, the program's own descriptor, inherited ones).
  let needed = plan.stdio.iter().flatten().chain(&plan.exec_fd).chain([&plan.highest_inherited]);
  let kept = needed.filter(|&&fd| fd >= 0).map(|&fd| fd as usize + 1).fold(3, usize::max);
  if raw_syscall(libc::SYS_close_range, [kept, u32::MAX as usize, libc::CLOSE_RANGE_UNSHARE as usize, 0]) < 0 && libc::unshare(libc::CLONE_FILES) < 0
  {
    // Before Linux 5.9: a copy of the whole table, whose close-on-exec descriptors the exec closes.
    fail(Stage::Descriptors);
  }

  // Move the requested sources out of the way first, so that e.g. stdout taken
  // from the parent's fd 0 is not clobbered by the stdin dup2.
  let stdio_stages = [Stage::Stdin, Stage::Stdout, Stage::Stderr];
  let mut sources = [-1; 3];
  for ((source, wanted), stage) in sources.iter_mut().zip(plan.stdio).zip(stdio_stages) {
    if let Some(fd) = wanted {
      *source = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3);
      if *source < 0 {
        fail(stage);
      }
    }
  }
  for (target, (source, stage)) in sources.into_iter().zip(stdio_stages).enumerate() {
    if source >= 0 && libc::dup2(source, target as i32) < 0 {
      fail(stage);
    }
    // Node may mark its own stdio close-on-exec; the program must inherit it.
    libc::fcntl(target as i32, libc::F_SETFD, 0);
  }

  if let Some(persona) = plan.persona {
    if libc::personality(persona) < 0 {
      fail(Stage::Personality);
    }
  }
  if let Some(set) = &plan.cpu_set {
    if libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), set) < 0 {
      fail(Stage::Affinity);
    }
  }
  if let Some(cwd) = &plan.cwd {
    if libc::chdir(cwd.as_ptr()) < 0 {
      fail(Stage::Chdir);
    }
  }

  // Node ignores SIGPIPE and blocks some signals; ignored dispositions and the
  // mask survive execve, so start the program clean.
  let mut default_action: libc::sigaction = mem::zeroed();
  default_action.sa_sigaction = libc::SIG_DFL;
  for signal in 1..=64 {
    // glibc refuses the two numbers it reserves for itself (32, 33), and a refusal would write errno.
    if signal != libc::SIGKILL && signal != libc::SIGSTOP && signal != 32 && signal != 33 {
      libc::sigaction(signal, &default_action, std::ptr::null_mut());
    }
  }
  let mut empty: libc::sigset_t = mem::zeroed();
  libc::sigemptyset(&mut empty);
  if libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut()) < 0 {
    fail(Stage::SignalMask);
  }

  // Wait until the parent has seized us, so the filter's TRACE stops reach it.
  // The wait ends early when the gate moved first (EAGAIN) or on a signal (EINTR): look again.
  loop {
    match gate.load(Ordering::Acquire) {
      GATE_CLOSED => {
        let wait = (libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG) as usize;
        raw_syscall(libc::SYS_futex, [gate.as_ptr() as usize, wait, GATE_CLOSED as usize, 0]);
      }
      GATE_OPEN => break,
      _ => libc::_exit(127),
    }
  }

  if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 {
    fail(Stage::NoNewPrivs);
  }
  let program = libc::sock_fprog { len: plan.filter.len() as u16, filter: plan.filter.as_ptr() as *mut libc::sock_filter };
  let flags = if plan.notifies { libc::SECCOMP_FILTER_FLAG_NEW_LISTENER | libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV } else { 0 };
  let installed = libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, flags, &program as *const libc::sock_fprog);
  if installed < 0 {
    fail(Stage::Seccomp);
  }
  if plan.notifies {
    // Shared memory: the parent reads it at our execve stop and takes the descriptor.
    listener.store(installed as i32, Ordering::Release);
  }
  libc::execve(plan.path.as_ptr(), plan.argv_ptrs.as_ptr(), plan.env_ptrs.as_ptr());
  fail(Stage::Execve)
}
