//! simterpose's native side: ptrace, waitpid, registers, tracee memory, the
//! seccomp filter installed before exec, CPU affinity and per-thread counters.
//! It holds no policy. Everything is synchronous: ptrace requests must come
//! from the thread that seized the tracee, Node's main thread.
//!
//! This file only declares the exported functions; each concern has its module.

use napi::bindgen_prelude::{Buffer, BufferSlice, Either, Float64ArraySlice};
use napi_derive::napi;

mod calibrate;
mod counters;
mod errors;
mod fds;
mod id_map;
mod ipc;
mod memory;
mod notify;
mod open_as;
mod paths;
mod personality;
mod preempt;
mod process;
mod ptrace;
mod regs;
mod seccomp;
mod sockets;
mod spawn;
mod stop_cost;
mod stop_program;
mod tsc;
mod uring;
mod vdso;
mod wait;

use errors::Result;
pub use fds::{FdInfo, TraceeFd};
pub use ipc::{MessageQueue, PosixMessageQueue, SemaphoreSet};
pub use spawn::SpawnOptions;
pub use wait::StopKind;

/// As the addon loads: the time-stamp counter's rate is measured from here (tsc.rs).
#[napi_derive::module_init]
fn init() {
  tsc::start_calibration();
}

/// JS numbers carry addresses; user-space addresses fit in 53 bits exactly.
fn address(addr: i64) -> u64 {
  addr as u64
}

/// Starts a traced child; returns its pid once it is stopped at its
/// PTRACE_EVENT_EXEC stop (not resumed). Failures before the exec throw,
/// e.g. `execve(/no/such): ENOENT (No such file or directory)`.
#[napi]
pub fn spawn(opts: SpawnOptions) -> Result<i32> {
  spawn::spawn(&opts)
}

/// Whether the programs spawned run without address-space randomization
/// (personality ADDR_NO_RANDOMIZE), as they do unless the machine refuses it
/// (a container's seccomp profile): they then keep the randomization it gives.
#[napi]
pub fn address_randomization_disabled() -> bool {
  personality::randomization() != personality::Randomization::Refused
}

/// Waits for the next stop of `tid` (-1: any tracee); with `nohang` returns 0 if
/// there is none. Writes the event into `out` (length >= 8) and returns its
/// `StopKind`; `out[0]` is the tid. Throws ESRCH (with `out[0]` set) if the
/// thread died before its registers could be read at a syscall stop; its exit
/// is reported by a later call. With the `listener` of the thread's process
/// (and no `nohang`), a seccomp user notification of it counts as its next
/// event too (`StopKind.Notified`). Reporting a thread's exit (`Exited`,
/// `Killed`) lets go of what was kept for it, as `forgetThread` does.
#[napi]
pub fn wait_stop(tid: i32, mut out: Float64ArraySlice, nohang: bool, listener: Option<i32>) -> Result<u32> {
  let out = unsafe { out.as_mut() };
  Ok(wait::next_event(tid, out, nohang, listener)?.map_or(0, |kind| kind as u32))
}

/// The seccomp listener of a child spawned with `notifySyscalls` (once; the
/// caller owns it and closes it with `closeListener`), or null.
#[napi]
pub fn take_listener(pid: i32) -> Option<i32> {
  spawn::take_listener(pid)
}

#[napi]
pub fn close_listener(fd: i32) {
  uring::close_listener(fd);
}

/// Whether seccomp user notifications can be waited for next to ptrace
/// stops here: io_uring with WAITID (Linux 6.7), not disabled. Tried once.
#[napi]
pub fn notifications_available() -> bool {
  notify::available()
}

/// Ends a notified syscall without running it: the thread sees `result` (a
/// negative errno for a failure). False if the thread was killed meanwhile.
#[napi]
pub fn answer_notification(tid: i32, result: i64) -> Result<bool> {
  notify::answer(tid, result, false)
}

/// Lets the kernel run a notified syscall as the thread made it.
#[napi]
pub fn continue_notification(tid: i32) -> Result<bool> {
  notify::answer(tid, 0, true)
}

/// Lets the kernel run a notified syscall as the thread made it, and stops
/// the thread as the call returns (`StopKind.NotifiedReturn`), where its
/// result and what it wrote can be rewritten. False if the thread was killed meanwhile.
#[napi]
pub fn continue_notification_to_return(tid: i32) -> Result<bool> {
  notify::continue_to_return(tid)
}

/// Answers a notified open with the mediator's descriptor `fd` (closed here),
/// installed in the thread's process as the lowest free descriptor: returns
/// its number, or the negative errno the call got instead (EMFILE); null
/// if the thread was killed meanwhile.
#[napi]
pub fn answer_notification_with_fd(tid: i32, fd: i32, cloexec: bool) -> Result<Option<i64>> {
  notify::answer_with_fd(tid, fd, cloexec)
}

/// Opens `path` for thread `tid` as open(2) with `flags` and `mode` would,
/// with the thread's credentials when they differ from the mediator's. The
/// mediator's descriptor is close-on-exec. Returns it, or a negative errno.
#[napi]
pub fn open_as_thread(tid: i32, path: String, flags: i32, mode: u32) -> Result<i64> {
  open_as::open_as(tid, &path, flags, mode)
}

/// What `path` leads to, following links: its st_dev, or, when it is a FIFO,
/// its "dev:ino" (a FIFO is never in a proc file system: /proc/PID/fd/N of a
/// pipe leads to pipefs); null when it leads nowhere or cannot be looked at.
/// A number in the common case: no object to make for each open.
#[napi]
pub fn look_at(path: String) -> Option<Either<f64, String>> {
  paths::look_at(&path).map(|(device, fifo)| match fifo {
    Some(key) => Either::B(key),
    None => Either::A(device as f64),
  })
}

/// The target of the symbolic link `path`, "" when it is something else,
/// null when nothing is there (or it cannot be looked at).
#[napi]
pub fn link_at(path: String) -> Option<String> {
  paths::link_at(&path)
}

/// PTRACE_CONT, or PTRACE_SYSCALL when `toSyscallExit` (from a seccomp stop the
/// next syscall stop is then that syscall's exit).
#[napi]
pub fn resume(tid: i32, signal: i32, to_syscall_exit: bool) -> Result<()> {
  regs::forget(tid);
  if to_syscall_exit {
    ptrace::cont_to_syscall_stop(tid, signal)?;
  } else {
    ptrace::cont(tid, signal)?;
  }
  preempt::running(tid);
  Ok(())
}

/// At an exec stop: maps simterpose's vDSO (native/vdso) into the new
/// program in place of the kernel's, which starts at `kernelVdso` (the
/// program's AT_SYSINFO_EHDR; null when it has none); returns the address
/// of the page it reads, one page below its ELF header (what
/// AT_SYSINFO_EHDR must name). The thread, at its exec event stop, is left
/// at another stop with the registers the program starts with, ready to
/// resume (two stops in all, each running one call).
#[napi]
pub fn install_vdso(tid: i32, kernel_vdso: Option<f64>) -> Result<f64> {
  vdso::install(tid, kernel_vdso.map(|start| start as u64)).map(|page| page as f64)
}

/// The time-stamp counter's reading `ns` nanoseconds from now: past it,
/// simterpose's vDSO makes its clock reads real syscalls (its page's
/// `tsc_deadline`). The counter's rate is measured from the addon's load to
/// the first call (at least 2 ms).
#[napi]
pub fn tsc_after_ns(ns: f64) -> f64 {
  tsc::after_ns(ns)
}

/// At a seccomp stop: do not run the syscall; the tracee sees `result`.
#[napi]
pub fn skip_syscall(tid: i32, result: i64) -> Result<()> {
  regs::skip_syscall(tid, result)
}

/// `skipSyscall` then PTRACE_CONT: an emulated syscall's whole round trip.
#[napi]
pub fn skip_syscall_and_resume(tid: i32, result: i64) -> Result<()> {
  regs::skip_syscall(tid, result)?;
  regs::forget(tid);
  ptrace::cont(tid, 0)?;
  preempt::running(tid);
  Ok(())
}

/// Preempts a tracee that runs `ms` milliseconds of wall time without any
/// stop: it then stops with `StopKind.Preempted`. 0 turns preemption off.
#[napi]
pub fn set_preempt_quantum(ms: u32) {
  preempt::set_quantum(ms)
}

/// At a seccomp stop: do not run the syscall now, but run the same `syscall`
/// instruction again when the thread next runs user code.
#[napi]
pub fn restart_syscall(tid: i32) -> Result<()> {
  regs::restart_syscall(tid)
}

/// At the first stop after a syscall returned (its exit, or a signal's delivery on the way back): its result.
#[napi]
pub fn return_value(tid: i32) -> Result<i64> {
  regs::return_value(tid)
}

/// At a syscall-exit stop: the tracee sees `value` as the result.
#[napi]
pub fn set_return_value(tid: i32, value: i64) -> Result<()> {
  regs::set_return_value(tid, value)
}

/// At a seccomp stop: rewrite the syscall number and the first `args.length`
/// arguments before the kernel runs it.
#[napi]
pub fn set_syscall(tid: i32, sysno: i64, args: Vec<i64>) -> Result<()> {
  regs::set_syscall(tid, sysno, &args)
}

/// The thread's rsp at its current stop (at the exec stop: &argc).
#[napi]
pub fn stack_pointer(tid: i32) -> Result<f64> {
  Ok(regs::stack_pointer(tid)? as f64)
}

/// Fills `target` from the tracee's memory at `addr`; throws EFAULT naming
/// the first address that could not be read. The caller allocates: a Buffer
/// from Node's allocator fills several times faster than one the addon makes
/// and hands over (fresh pages each time, freed only by V8's collector).
/// Buffers come in as slices, used only during the call: an owned Buffer
/// would cost a V8 handle made and freed at every copy.
#[napi]
pub fn read_memory_into(pid: i32, addr: i64, mut target: BufferSlice) -> Result<()> {
  memory::read_into(pid, address(addr), &mut target)
}

/// Honours page protections, as the kernel's copies for a syscall do: a
/// read-only or unmapped page throws EFAULT naming its first address, the
/// bytes before it written.
#[napi]
pub fn write_memory(pid: i32, addr: i64, data: BufferSlice) -> Result<()> {
  memory::write(pid, address(addr), &data)
}

/// Fills `target` with the C string at `addr`, up to its NUL; returns its
/// length (`target`'s when no NUL came first). A caller's reusable buffer,
/// not a new one per string: making a Buffer cost more than the copy.
#[napi]
pub fn read_c_string_into(pid: i32, addr: i64, mut target: BufferSlice) -> Result<u32> {
  Ok(memory::read_c_string_into(pid, address(addr), &mut target)? as u32)
}

/// tgkill(2).
#[napi]
pub fn signal_thread(tgid: i32, tid: i32, signal: i32) -> Result<()> {
  process::signal_thread(tgid, tid, signal)
}

/// kill(2).
#[napi]
pub fn signal_process(pid: i32, signal: i32) -> Result<()> {
  process::signal_process(pid, signal)
}

/// Queues `signal` with the siginfo_t `info` (128 bytes; a negative si_code other than SI_TKILL) to a process, or to
/// one of its threads when `tid` is given: how a virtual POSIX timer's expiry reaches it.
#[napi]
pub fn queue_signal(tgid: i32, tid: Option<i32>, signal: i32, info: Buffer) -> Result<()> {
  if info.len() != ptrace::SIGINFO_SIZE {
    return Err(errors::invalid(&format!("queueSignal({tgid})"), "siginfo_t is 128 bytes"));
  }
  process::queue_signal(tgid, tid, signal, &info)
}

/// At a signal-delivery-stop: the siginfo_t of the signal about to be delivered (128 bytes).
#[napi]
pub fn get_signal_info(tid: i32) -> Result<Buffer> {
  Ok(ptrace::get_siginfo(tid)?.to_vec().into())
}

/// At a signal-delivery-stop: replaces the siginfo_t the handler will see.
#[napi]
pub fn set_signal_info(tid: i32, info: Buffer) -> Result<()> {
  let bytes: [u8; ptrace::SIGINFO_SIZE] =
    info.as_ref().try_into().map_err(|_| errors::invalid(&format!("setSignalInfo({tid})"), "siginfo_t is 128 bytes"))?;
  ptrace::set_siginfo(tid, &bytes)
}

/// PTRACE_INTERRUPT: the thread reports a `StopKind.EventStop` soon.
#[napi]
pub fn interrupt(tid: i32) -> Result<()> {
  ptrace::interrupt(tid)
}

/// Looks at a tracee's descriptor without disturbing it; null when it has no
/// such descriptor.
#[napi]
pub fn inspect_fd(pid: i32, fd: i32) -> Result<Option<FdInfo>> {
  fds::inspect(pid, fd)
}

/// Whether the tracee's socket `fd` has SO_PASSCRED set, so that what it
/// receives carries SCM_CREDENTIALS; false for any other descriptor or none.
#[napi]
pub fn passes_credentials(pid: i32, fd: i32) -> Result<bool> {
  fds::passes_credentials(pid, fd)
}

/// Sets the expiration count of a tracee's timerfd (0: disarm and clear), so
/// its expirations follow virtual time while reads and polls stay native.
/// Disarming leaves `tag` seconds as the timer's interval: the kernel never
/// runs the timer, and the interval is what tells this timerfd from the
/// others (they all share one inode).
#[napi]
pub fn set_timer_ticks(pid: i32, fd: i32, ticks: f64, tag: f64) -> Result<()> {
  fds::set_timer_ticks(pid, fd, ticks, tag)
}

/// How sendfile sees a tracee's descriptor as its input (readable, a
/// regular file, its size and offset); null when there is no such descriptor.
#[napi]
pub fn file_source(pid: i32, fd: i32) -> Result<Option<fds::FileSource>> {
  fds::file_source(pid, fd)
}

/// Fills `target` from a tracee's file at `position` without moving its
/// offset; how many bytes came before the end of the file.
#[napi]
pub fn read_file_at(pid: i32, fd: i32, position: f64, mut target: BufferSlice) -> Result<u32> {
  fds::read_file_at(pid, fd, position, &mut target).map(|n| n as u32)
}

/// Takes up to `target`'s length of bytes from a tracee's pipe, asked for
/// no more than it holds; how many came.
#[napi]
pub fn read_pipe(pid: i32, fd: i32, mut target: BufferSlice) -> Result<u32> {
  fds::read_pipe(pid, fd, &mut target).map(|n| n as u32)
}

/// Puts what fits of `data` into a tracee's pipe without waiting; how many bytes went.
#[napi]
pub fn write_pipe(pid: i32, fd: i32, data: BufferSlice) -> Result<u32> {
  fds::write_pipe(pid, fd, &data).map(|n| n as u32)
}

/// The directory entries (struct linux_dirent64, up to `max` bytes) that
/// getdents64 on a tracee's descriptor gives now; its position moves past them.
#[napi]
pub fn read_directory(pid: i32, fd: i32, max: u32) -> Result<Buffer> {
  fds::read_directory(pid, fd, max).map(Buffer::from)
}

/// Sets the offset of the open file behind a tracee's descriptor.
#[napi]
pub fn set_file_offset(pid: i32, fd: i32, position: f64) -> Result<()> {
  fds::set_file_offset(pid, fd, position)
}

/// Sets or clears O_NONBLOCK on the open file behind a tracee's descriptor;
/// returns the previous setting.
#[napi]
pub fn set_fd_nonblocking(pid: i32, fd: i32, nonblocking: bool) -> Result<bool> {
  fds::set_nonblocking(pid, fd, nonblocking)
}

/// The System V message queue `msqid` (its counts, and with `withTypes` the
/// type of each message), read without taking anything; null when there is
/// no such queue we may look at.
#[napi]
pub fn message_queue(msqid: i32, with_types: bool) -> Result<Option<MessageQueue>> {
  ipc::message_queue(msqid, with_types)
}

/// The values of the System V semaphore set `semid` and the most operations
/// one semop takes; null when there is no such set we may look at.
#[napi]
pub fn semaphore_set(semid: i32) -> Result<Option<SemaphoreSet>> {
  ipc::semaphore_set(semid)
}

/// The attributes and access mode of the POSIX message queue behind a
/// tracee's descriptor; null when it is no message queue descriptor.
#[napi]
pub fn posix_message_queue(pid: i32, fd: i32) -> Result<Option<PosixMessageQueue>> {
  ipc::posix_message_queue(pid, fd)
}

/// Drops the pidfd cached for `pid` (call when the process is gone).
#[napi]
pub fn forget_process(pid: i32) {
  fds::forget_process(pid)
}

/// Blocks (wall time) until one of the tracee descriptors is readable or hung
/// up, or `timeoutMs` passes (-1: forever); returns the indexes ready.
#[napi]
pub fn wait_for_tracee_input(fds: Vec<TraceeFd>, timeout_ms: i32) -> Result<Vec<u32>> {
  fds::wait_for_input(&fds, timeout_ms)
}

/// Keeps a duplicate of a tracee's socket, bound to its loopback address (127.0.0.1, or ::1 for AF_INET6) on a port the
/// kernel picks, with `bufferBytes` of buffer each way; returns our fd.
#[napi]
pub fn hold_socket(pid: i32, fd: i32, buffer_bytes: i32) -> Result<i32> {
  sockets::hold(pid, fd, buffer_bytes)
}

/// Binds a held socket to its loopback address (127.0.0.1 or ::1) on a port the kernel picks; returns the port.
#[napi]
pub fn bind_held_socket(fd: i32) -> Result<u32> {
  sockets::bind_loopback(fd)
}

#[napi]
pub fn listen_held_socket(fd: i32, backlog: i32) -> Result<()> {
  sockets::listen(fd, backlog)
}

/// Connects a held socket to its loopback address, port `port`; returns once established.
#[napi]
pub fn connect_held_socket(fd: i32, port: u32) -> Result<()> {
  sockets::connect_loopback(fd, port)
}

/// Disconnects a held socket (connect to AF_UNSPEC): it may connect or listen again.
#[napi]
pub fn disconnect_held_socket(fd: i32) -> Result<()> {
  sockets::disconnect(fd)
}

/// Waits (wall time, briefly) until a held listening socket has a connection queued.
#[napi]
pub fn wait_held_acceptable(fd: i32) -> Result<()> {
  sockets::wait_acceptable(fd)
}

/// Sends what the kernel takes of `data` without waiting; returns how many bytes.
#[napi]
pub fn send_held(fd: i32, data: BufferSlice) -> Result<u32> {
  sockets::send(fd, &data)
}

/// Sends one datagram from a held socket to its loopback address, port `port`.
#[napi]
pub fn send_held_to(fd: i32, data: BufferSlice, port: u32) -> Result<()> {
  sockets::send_to_loopback(fd, &data, port)
}

/// `max` bytes of a stream known to be on their way (waits for the kernel to
/// carry them), or the next datagram cut to `max` with its full length.
#[napi]
pub fn receive_held(fd: i32, max: u32, peek: bool, datagram: bool) -> Result<sockets::ReceivedBytes> {
  sockets::receive(fd, max, peek, datagram)
}

/// Throws away what a held socket has to read.
#[napi]
pub fn discard_held_input(fd: i32) {
  sockets::discard_input(fd)
}

#[napi]
pub fn close_held(fd: i32) {
  sockets::close(fd)
}

/// A close-on-exec pipe, [read end, write end], to hand to `spawn` as a tracee's stdout or stderr.
#[napi]
pub fn make_pipe() -> Result<Vec<i32>> {
  process::make_pipe()
}

/// sched_setaffinity of the calling (main) thread to one CPU; the process's
/// other threads move to the other CPUs it may use, if any.
#[napi]
pub fn pin_this_thread(cpu: u32) -> Result<()> {
  process::pin_calling_thread(cpu)
}

/// An exclusive lock on a file, held until this process ends; false if another process holds it.
#[napi]
pub fn hold_file_lock(path: String) -> Result<bool> {
  process::hold_file_lock(&path)
}

/// The CPUs this process may run on (its affinity), in order.
#[napi]
pub fn allowed_cpus() -> Result<Vec<u32>> {
  process::allowed_cpus()
}

/// Whether per-thread instruction counters can be opened here (cached).
#[napi]
pub fn instruction_counter_available() -> bool {
  counters::instructions_available()
}

/// A perf fd counting the thread's retired user-space instructions.
#[napi]
pub fn open_instruction_counter(tid: i32) -> Result<i32> {
  counters::open_instruction_counter(tid)
}

#[napi]
pub fn read_counter(fd: i32) -> Result<f64> {
  Ok(counters::read_counter(fd)? as f64)
}

#[napi]
pub fn close_counter(fd: i32) -> Result<()> {
  counters::close_counter(fd)
}

/// CPU time consumed by any thread, in ns.
#[napi]
pub fn thread_cpu_time_ns(tid: i32) -> Result<f64> {
  Ok(counters::thread_cpu_time_ns(tid)? as f64)
}

/// Lets go of everything kept for a thread that is gone (its registers, its
/// `threadCpuTimeNs` file...). `waitStop` does so when it reports the
/// thread's exit; call it for a thread gone some other way (ECHILD). Never
/// for a live thread: a notification it waits with would be lost.
#[napi]
pub fn forget_thread(tid: i32) {
  wait::forget_thread(tid)
}

/// What the calibration loop retired, and in how much CPU time.
#[napi(object)]
pub struct InstructionRate {
  pub instructions: f64,
  pub cpu_seconds: f64,
}

/// Runs a loop of exactly known instruction count for about `seconds` of CPU time.
#[napi]
pub fn measure_instruction_rate(seconds: f64) -> InstructionRate {
  let (instructions, cpu_seconds) = calibrate::instruction_rate(seconds);
  InstructionRate { instructions, cpu_seconds }
}

/// The hardware counter's count for `iterations` of the calibration loop,
/// which retires `calibrationInstructionsPerIteration()` each.
#[napi]
pub fn count_calibration_instructions(iterations: u32) -> Result<f64> {
  calibrate::counted_instructions(u64::from(iterations))
}

#[napi]
pub fn calibration_instructions_per_iteration() -> u32 {
  calibrate::INSTRUCTIONS_PER_ITERATION as u32
}

#[napi(object)]
pub struct StopCostOptions {
  /// The run's seccomp filter: the syscalls it traps, or every one.
  pub trap_syscalls: Vec<u32>,
  pub trap_all: bool,
  /// The CPU the run pins its tracees to.
  pub cpu: Option<u32>,
  /// The syscall the measuring tracee makes at every stop (trapped, and skipped as an emulated one is).
  pub syscall: u32,
  /// The syscall comes as a seccomp user notification, answered as a notified one is, instead.
  pub notified: Option<bool>,
  pub batches: u32,
  pub stops_per_batch: u32,
}

/// Runs a tracee whose only work is stopping: it makes `syscall` again and
/// again under the run's filter, and each call is skipped at its seccomp stop
/// as an emulated syscall is (or, `notified`, each call comes as a user
/// notification and is answered). Returns its CPU time in ns over each batch
/// of `stopsPerBatch` stops.
#[napi]
pub fn measure_stop_cost(opts: StopCostOptions) -> Result<Vec<f64>> {
  let setup = stop_cost::Setup {
    trapped: &opts.trap_syscalls,
    trap_all: opts.trap_all,
    cpu: opts.cpu,
    sysno: opts.syscall,
    notified: opts.notified.unwrap_or(false),
  };
  stop_cost::measure(&setup, opts.batches, opts.stops_per_batch)
}
