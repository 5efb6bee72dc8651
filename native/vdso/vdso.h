/* The page simterpose's vDSO reads, one per process, just below the vDSO's
 * ELF header. The mediator writes it (process_vm_writev) while every
 * tracee is stopped; the vDSO of the one running thread reads it and
 * counts down its budget. Offsets are mirrored in
 * src/mediator/abi/vdso-page.ts. */
#ifndef SIMTERPOSE_VDSO_H
#define SIMTERPOSE_VDSO_H

struct vdso_timespec {
  long long seconds;
  long long nanoseconds;
};

struct vdso_page {
  /* Odd while the mediator writes; a reader that sees it change or odd makes the real syscall. */
  unsigned long long sequence;
  /* Clock reads the running thread may still make without a stop; at 0 the next one is a real syscall. */
  long long budget;
  struct vdso_timespec realtime;
  struct vdso_timespec monotonic;
  struct vdso_timespec tai;
  /* 0, or the time-stamp counter's reading (rdtsc) past which the running
   * thread may have done work a stop would charge: reads then make the real
   * syscall. */
  unsigned long long tsc_deadline;
};

#endif
