/* Native driver for shim.cpp, compiled with g++ against Debian's
 * libsimgrid-dev. It reads commands on stdin, one per line, and answers on
 * stdout, so that a test can feed the very sequence it feeds the WebAssembly
 * build and compare the answers bit for bit.
 *
 *   cfg <name:value>            -> "ok" (a SimGrid setting for the next load)
 *   load <platform file>        -> "ok" or "error <message>"
 *   exec <host> <flops>         -> "<id>"
 *   comm <src> <dst> <bytes>    -> "<id>"
 *   cancel <id>                 -> "ok"
 *   advance <deadline|-1>       -> "<clock bits> <id> <id>..." (failed ids negative)
 *   bench <total> <inflight> <seed>
 *                               -> "<CPU nanoseconds per activity>"
 *
 * Clocks are printed as the 16 hex digits of their IEEE-754 bits, so that
 * equality of the printed text is equality of the doubles.
 * Numbers are read with strtod, which rounds exactly. */

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <time.h>

extern "C" {
const char* simw_last_error();
int simw_load_file(const char* file, const char* options);
const char* simw_platform_json();
int simw_exec_start(int host, double flops);
int simw_comm_start(int src, int dst, double bytes);
int simw_cancel(int id);
double simw_remaining(int id);
int simw_advance(double deadline);
const int32_t* simw_completed();
double simw_now();
}

namespace {

uint64_t bits(double d)
{
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

/* The benchmark workload. bench/sim.js runs the same loop through src/sim:
 * keep `inflight` activities running, alternately execs and comms on hosts
 * drawn from a xorshift32 generator, until `total` have completed. */
struct Xorshift32 {
  uint32_t s;
  uint32_t next()
  {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

int host_count()
{
  /* Count hosts from the JSON description: each host has a "cores" field. */
  std::string json = simw_platform_json();
  int n            = 0;
  for (size_t at = json.find("\"cores\""); at != std::string::npos; at = json.find("\"cores\"", at + 1))
    n++;
  return n;
}

void start_one(Xorshift32& rng, int hosts, uint32_t k)
{
  int h = static_cast<int>(rng.next() % static_cast<uint32_t>(hosts));
  if (k % 2 == 0) {
    simw_exec_start(h, 1e6 + rng.next() % 1000000);
  } else {
    int dst = (h + 1 + static_cast<int>(rng.next() % static_cast<uint32_t>(hosts - 1))) % hosts;
    simw_comm_start(h, dst, 1e3 + rng.next() % 1000000);
  }
}

/* CPU time of the whole process, as bench/sim.js measures the node process:
 * on a shared machine it leaves out the time other processes held the CPU. */
double cpu_ns()
{
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

double bench(uint32_t total, uint32_t inflight, uint32_t seed)
{
  int hosts = host_count();
  Xorshift32 rng{seed};
  uint32_t started = 0;
  uint32_t done    = 0;
  double begin     = cpu_ns();
  while (started < inflight && started < total)
    start_one(rng, hosts, started++);
  while (done < total) {
    int n = simw_advance(-1);
    if (n <= 0) {
      std::fprintf(stderr, "bench: advance returned %d: %s\n", n, simw_last_error());
      std::exit(1);
    }
    /* Read every id, as src/sim does to hand them to the mediator. */
    const int32_t* ids = simw_completed();
    for (int i = 0; i < n; i++)
      if (ids[i] < 0) {
        std::fprintf(stderr, "bench: activity %d failed\n", -ids[i]);
        std::exit(1);
      }
    done += static_cast<uint32_t>(n);
    for (int i = 0; i < n && started < total; i++)
      start_one(rng, hosts, started++);
  }
  return (cpu_ns() - begin) / total;
}

} // namespace

int main()
{
  std::string line;
  std::string settings; // SimGrid command-line arguments, one per line, as simw_load_file() takes them
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "cfg") {
      std::string setting;
      in >> setting;
      settings += "--cfg=" + setting + "\n";
      std::printf("ok\n");
    } else if (cmd == "load") {
      std::string file;
      std::getline(in >> std::ws, file);
      if (simw_load_file(file.c_str(), settings.c_str()) == 0)
        std::printf("ok\n");
      else
        std::printf("error %s\n", simw_last_error());
    } else if (cmd == "exec") {
      int h;
      std::string flops;
      in >> h >> flops;
      std::printf("%d\n", simw_exec_start(h, std::strtod(flops.c_str(), nullptr)));
    } else if (cmd == "comm") {
      int s, d;
      std::string bytes;
      in >> s >> d >> bytes;
      std::printf("%d\n", simw_comm_start(s, d, std::strtod(bytes.c_str(), nullptr)));
    } else if (cmd == "cancel") {
      int id;
      in >> id;
      std::printf(simw_cancel(id) == 0 ? "ok\n" : "error\n");
    } else if (cmd == "remaining") {
      int id;
      in >> id;
      std::printf("%016" PRIx64 "\n", bits(simw_remaining(id)));
    } else if (cmd == "advance") {
      std::string deadline;
      in >> deadline;
      int n = simw_advance(std::strtod(deadline.c_str(), nullptr));
      if (n < 0) {
        std::printf("error %s\n", simw_last_error());
        continue;
      }
      std::printf("%016" PRIx64, bits(simw_now()));
      const int32_t* ids = simw_completed();
      for (int i = 0; i < n; i++)
        std::printf(" %d", ids[i]);
      std::printf("\n");
    } else if (cmd == "bench") {
      uint32_t total, inflight, seed;
      in >> total >> inflight >> seed;
      std::printf("%.3f\n", bench(total, inflight, seed));
    } else if (not cmd.empty()) {
      std::printf("error unknown command %s\n", cmd.c_str());
    }
    std::fflush(stdout);
  }
  return 0;
}
