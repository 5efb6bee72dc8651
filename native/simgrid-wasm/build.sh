#!/usr/bin/env bash
# Builds SimGrid 3.32 to WebAssembly with Debian's emscripten and links our shim.
# Output: dist/simgrid.js + dist/simgrid.wasm + dist/BUILD-INFO.txt (committed,
# so `npm install` never needs emscripten). Run as `npm run build:simgrid`.
#
# Needs: apt-get install emscripten libboost-dev cmake make dpkg-dev
# `build.sh --relink` only recompiles shim.cpp and small-blocks.cpp against the
# library already built in the work folder (for working on the shim).
# The source comes from Debian's source package through a private apt setup,
# so the system's sources and lists are left untouched (source.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${SIMGRID_WASM_WORK:-$here/.work}"
jobs="${JOBS:-$(nproc)}"
# shellcheck source=source.sh
source "$here/source.sh"
toolchain=/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake

mkdir -p "$work"
cd "$work"
# configure runs its test programs with node: inside this package ("type":
# "module") they would load as ES modules and fail.
echo '{ "type": "commonjs" }' > package.json

relink=false
[[ "${1:-}" == --relink && -f build/lib/libsimgrid.a ]] && relink=true

# emcc runs on Debian's node modules and python; both pinned for reproducibility.
export NODE_PATH=/usr/share/nodejs
export EMSDK_PYTHON=/usr/bin/python3
# -fwasm-exceptions everywhere: the shim catches SimGrid's C++ exceptions.
# -O3 -fno-strict-aliasing with link-time optimization: Debian builds the
# native libsimgrid the benchmark compares with at -O3 with upstream's
# enable_compile_optimizations and enable_lto left on (their defaults). Here
# the flags are given directly and those switches stay off.
# With -flto the library holds LLVM bitcode, and the final link optimizes it
# together with the shim across SimGrid's files.
# The prefix maps keep the work folder's path out of __FILE__ strings, so the
# bytes do not depend on where the build ran.
opt_flags="-O3 -fno-strict-aliasing -flto -g0 -fwasm-exceptions"
flags="$opt_flags -ffile-prefix-map=$work/= -ffile-prefix-map=$here/="

if ! $relink; then
fetch_simgrid_source

# A fresh tree every time, so the patches always apply to pristine source.
rm -rf src build boost-only
mkdir src
tar -xf "$simgrid_tarball" -C src --strip-components=1
for p in "$here"/patches/*.patch; do
  patch -d src -p1 --quiet < "$p"
done

# Boost headers only, without letting the rest of /usr/include into the sysroot.
mkdir boost-only
ln -s /usr/include/boost boost-only/boost

node_emulator="$(command -v node);--no-experimental-fetch"

cmake -S src -B build -G "Unix Makefiles" \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DEMSCRIPTEN_SYSTEM_PROCESSOR=wasm32 \
  -DCMAKE_CROSSCOMPILING_EMULATOR="$node_emulator" \
  -DCMAKE_EXE_LINKER_FLAGS="-sEXIT_RUNTIME=1" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS_RELEASE="$flags" -DCMAKE_CXX_FLAGS_RELEASE="$flags" \
  -DBoost_INCLUDE_DIR="$work/boost-only" \
  -DCMAKE_DISABLE_FIND_PACKAGE_Eigen3=ON \
  -Denable_smpi=OFF -Denable_smpi_papi=OFF -Denable_fortran=OFF \
  -Denable_model-checking=OFF -Denable_java=OFF -Denable_msg=OFF -Denable_ns3=OFF \
  -Denable_documentation=OFF -Denable_compile_optimizations=OFF -Denable_lto=OFF \
  -Dminimal-bindings=ON
make -C build -j"$jobs" simgrid
fi

# Link our shim against the library. Each flag is needed:
#  MODULARIZE/EXPORT_NAME  one fresh instance per simulation (one engine each)
#  ENVIRONMENT=node, NODERAWFS  platform files are read from the real filesystem
#  WASM_ASYNC_COMPILATION=0  synchronous instantiation (src/sim supplies the module)
#  -fwasm-exceptions  SimGrid's C++ exceptions are caught in the shim
#  NODEJS_CATCH_*=0  no process-wide handlers added by each instance
#  -lexports.js  keeps the exports' names, which -O3 would minify (src/sim
#                calls them on the instance by name)
#  small-blocks.cpp  operator new/delete with per-size free lists (see there)
out="$here/dist"
mkdir -p "$out"
exports="$(grep -o 'SIMW_EXPORT [^(]*simw_[a-z_]*' "$here/shim.cpp" | grep -o 'simw_[a-z_]*' | sed 's/^/_/' | paste -sd, -)"
em++ -std=c++17 $flags -Wno-deprecated-declarations \
  -I src/include -I build/include -I boost-only \
  "$here/shim.cpp" "$here/small-blocks.cpp" build/lib/libsimgrid.a \
  -o build/simgrid.js \
  -sMODULARIZE=1 -sEXPORT_NAME=SimGridModule -sENVIRONMENT=node -sNODERAWFS=1 \
  -sALLOW_MEMORY_GROWTH=1 -sWASM_ASYNC_COMPILATION=0 -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 \
  -sEXPORTED_FUNCTIONS="_malloc,_free,$exports" \
  -sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8 -lexports.js
# The package is ESM ("type": "module"): the CommonJS glue needs a .cjs name.
cp build/simgrid.js "$out/simgrid.cjs"
cp build/simgrid.wasm "$out/simgrid.wasm"

{
  echo "SimGrid ${simgrid_version} compiled to WebAssembly by native/simgrid-wasm/build.sh"
  echo "source: Debian source package simgrid ${simgrid_version}-2, $simgrid_tarball"
  echo "source sha256: $simgrid_tarball_sha256"
  echo "emscripten: $(em++ --version | head -n1)"
  echo "compile flags: $opt_flags"
  echo "link: shim.cpp small-blocks.cpp libsimgrid.a, -O3 -flto, MODULARIZE ENVIRONMENT=node NODERAWFS ALLOW_MEMORY_GROWTH WASM_ASYNC_COMPILATION=0, -lexports.js"
  echo "patches:"
  for p in "$here"/patches/*.patch; do
    echo "  $(basename "$p") sha256 $(sha256sum < "$p" | cut -d' ' -f1)"
  done
  echo "outputs:"
  (cd "$out" && sha256sum simgrid.cjs simgrid.wasm | sed 's/^/  /')
} > "$out/BUILD-INFO.txt"
cat "$out/BUILD-INFO.txt"
