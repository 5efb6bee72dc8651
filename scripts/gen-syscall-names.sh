#!/bin/sh
# Regenerates src/mediator/syscall-names.ts from the installed kernel headers.
set -eu
header=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
out="$(dirname "$0")/../src/mediator/syscall-names.ts"
{
  grep -E '^#define __NR_' "$header" | awk '{sub("__NR_","",$2); print $3, $2}'
  # Newer than Debian 12's headers; numbers from the kernel's syscall_64.tbl.
  cat <<'NEWER'
451 cachestat
452 fchmodat2
453 map_shadow_stack
454 futex_wake
455 futex_wait
456 futex_requeue
457 statmount
458 listmount
459 lsm_get_self_attr
460 lsm_set_self_attr
461 lsm_list_modules
462 mseal
NEWER
} | sort -n -u -k1,1 | awk '
  BEGIN {
    print "// Generated from <asm/unistd_64.h> (Linux x86_64); the index is the syscall number."
    print "// Regenerate with scripts/gen-syscall-names.sh when the kernel grows new calls."
    print "export const SYSCALL_NAMES: ReadonlyMap<number, string> = new Map(["
  }
  # \047 is a single quote: the output is already as biome.jsonc formats it.
  { printf "  [%d, \047%s\047],\n", $1, $2 }
  END { print "]);" }' > "$out"
