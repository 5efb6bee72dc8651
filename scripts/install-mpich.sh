#!/usr/bin/env bash
# Installs MPICH 4.3.2 into .mpich/ at the repository root, where the MPI test
# (test/e2e/remote-launch.test.ts) looks for it: a Python venv holding PyPI's
# `mpich` wheel (mpi4py's build of MPICH: mpicc, mpiexec and a libmpi that
# mpicc's programs find through their rpath). Debian 12's MPICH is 4.0.2,
# which hangs in MPI_Finalize in jobs of 8 ranks or more, even natively
# (README, limitations); 4.2 fixed that. Needs python3 with venv (Debian's
# python3-venv).
set -euo pipefail

cd "$(dirname "$0")/.."

MPICH_VERSION=4.3.2

python3 -m venv .mpich
.mpich/bin/pip install --quiet --disable-pip-version-check "mpich==${MPICH_VERSION}"
.mpich/bin/mpichversion | head -n 1
