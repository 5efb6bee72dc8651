//! A program whose only work is one syscall, made again and again: the
//! tracee `stop_cost` measures. It is a minimal static x86_64 ELF executable
//! (elf(5): one header, one loadable segment, no sections), written into an
//! anonymous memory file and executed from there, so that it is a process
//! of its own like any tracee (its own address space, its own execve)
//! without shipping a binary.

use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;

use crate::errors::{last_error, Result};

/// Where the kernel maps the file: the traditional base of x86_64 executables.
const LOAD_ADDRESS: u64 = 0x40_0000;
const ELF_HEADER_SIZE: u16 = 64;
const PROGRAM_HEADER_SIZE: u16 = 56;
const SYSCALL_EXIT_GROUP: u32 = 231;

/// The machine code. rbx counts the calls down (the syscall instruction
/// keeps it); rsi points at 16 bytes of stack, so that a syscall given a
/// buffer has one; rdi is 0.
fn code(sysno: u32, times: u32) -> Vec<u8> {
  let mut code = Vec::new();
  code.push(0xbb); // mov ebx, times
  code.extend(times.to_le_bytes());
  code.extend([0x48, 0x83, 0xec, 0x10]); // sub rsp, 16
  let repeat = code.len();
  code.push(0xb8); // mov eax, sysno
  code.extend(sysno.to_le_bytes());
  code.extend([0x31, 0xff]); // xor edi, edi
  code.extend([0x48, 0x89, 0xe6]); // mov rsi, rsp
  code.extend([0x0f, 0x05]); // syscall
  code.extend([0xff, 0xcb]); // dec ebx
  let back = repeat as i64 - (code.len() as i64 + 2);
  code.extend([0x75, back as i8 as u8]); // jnz repeat
  code.push(0xb8); // mov eax, exit_group
  code.extend(SYSCALL_EXIT_GROUP.to_le_bytes());
  code.extend([0x31, 0xff]); // xor edi, edi: status 0
  code.extend([0x0f, 0x05]); // syscall
  code
}

/// The whole executable: ELF header, one PT_LOAD program header mapping the
/// file read-and-execute at LOAD_ADDRESS, then the code.
fn executable(sysno: u32, times: u32) -> Vec<u8> {
  let code = code(sysno, times);
  let headers = u64::from(ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE);
  let file_size = headers + code.len() as u64;
  let mut elf = Vec::with_capacity(file_size as usize);
  // e_ident: magic, 64-bit, little-endian, version 1, System V ABI, padding.
  elf.extend([0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  elf.extend(2u16.to_le_bytes()); // e_type: ET_EXEC
  elf.extend(62u16.to_le_bytes()); // e_machine: EM_X86_64
  elf.extend(1u32.to_le_bytes()); // e_version
  elf.extend((LOAD_ADDRESS + headers).to_le_bytes()); // e_entry: the code
  elf.extend(u64::from(ELF_HEADER_SIZE).to_le_bytes()); // e_phoff
  elf.extend(0u64.to_le_bytes()); // e_shoff: no sections
  elf.extend(0u32.to_le_bytes()); // e_flags
  elf.extend(ELF_HEADER_SIZE.to_le_bytes()); // e_ehsize
  elf.extend(PROGRAM_HEADER_SIZE.to_le_bytes()); // e_phentsize
  elf.extend(1u16.to_le_bytes()); // e_phnum
  elf.extend([0u8; 6]); // e_shentsize, e_shnum, e_shstrndx
  elf.extend(1u32.to_le_bytes()); // p_type: PT_LOAD
  elf.extend(5u32.to_le_bytes()); // p_flags: PF_R | PF_X
  elf.extend(0u64.to_le_bytes()); // p_offset
  elf.extend(LOAD_ADDRESS.to_le_bytes()); // p_vaddr
  elf.extend(LOAD_ADDRESS.to_le_bytes()); // p_paddr
  elf.extend(file_size.to_le_bytes()); // p_filesz
  elf.extend(file_size.to_le_bytes()); // p_memsz
  elf.extend(0x1000u64.to_le_bytes()); // p_align
  elf.extend(code);
  elf
}

/// The program in a close-on-exec memory file; execute it as
/// `/proc/self/fd/<fd>` (the kernel opens it before closing the descriptor).
pub fn write(sysno: u32, times: u32) -> Result<File> {
  let name = c"simterpose-stop-cost";
  let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
  if fd < 0 {
    return Err(last_error("memfd_create(simterpose-stop-cost)"));
  }
  let mut file = unsafe { File::from_raw_fd(fd) };
  file
    .write_all(&executable(sysno, times))
    .map_err(|error| crate::errors::errno_error("write(stop-cost program)", error.raw_os_error().unwrap_or(libc::EIO)))?;
  Ok(file)
}
