use std::path::Path;
use std::process::Command;

fn main() {
  napi_build::setup();
  build_vdso();
}

/// Compiles simterpose's vDSO (native/vdso) into the addon: one image for every exec.
fn build_vdso() {
  let source = Path::new("../vdso");
  for file in ["vdso.c", "vdso.h", "vdso.lds", "vdso.ver"] {
    println!("cargo:rerun-if-changed=../vdso/{file}");
  }
  let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("vdso.so");
  let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "gcc".into()))
    .args([
      "-O2",
      "-fPIC",
      "-nostdlib",
      "-shared",
      "-fno-stack-protector",
      "-fno-asynchronous-unwind-tables",
      "-fno-jump-tables",
      "-fvisibility=hidden",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-Wl,--hash-style=both",
      "-Wl,-soname=linux-vdso.so.1",
      "-Wl,--no-undefined",
      "-Wl,-z,norelro",
      "-Wl,--build-id=none",
    ])
    .arg(format!("-Wl,-T,{}", source.join("vdso.lds").display()))
    .arg(format!("-Wl,--version-script={}", source.join("vdso.ver").display()))
    .arg("-o")
    .arg(&out)
    .arg(source.join("vdso.c"))
    .status()
    .expect("running gcc to build native/vdso");
  assert!(status.success(), "building native/vdso/vdso.c failed");
}
