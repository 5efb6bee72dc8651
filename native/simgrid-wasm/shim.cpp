/* A small C interface over SimGrid's s4u API, so that simterpose can use
 * SimGrid as a clock oracle: start computations and transfers, then advance
 * the clock to their completions. No actor ever runs: every call is made by
 * maestro, and the engine loop is cut short after each round of completions.
 *
 * The same file is compiled to WebAssembly (build.sh) and natively against
 * Debian's libsimgrid-dev (driver.cpp), so the two builds can be compared.
 * Names avoid the sg_ prefix, which belongs to SimGrid's own C API.
 *
 * Conventions: functions returning int return -1 on failure, and then
 * simw_last_error() tells why. Hosts are designated by their index in
 * platform order (the order in which the platform file declares them). */

#include <simgrid/Exception.hpp>
#include <simgrid/s4u/Activity.hpp>
#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Exec.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#define SIMW_EXPORT extern "C" EMSCRIPTEN_KEEPALIVE
#else
#define SIMW_EXPORT extern "C"
#endif

namespace s4u = simgrid::s4u;

namespace {

/* Everything the shim knows lives here: one engine per process (SimGrid does
 * not support more), so one state. */
struct State {
  s4u::Engine* engine = nullptr;
  std::vector<s4u::Host*> hosts; // platform order
  std::vector<s4u::Link*> links;

  int32_t next_id = 1;
  /* id -> activity, keeping it alive; the id is also the activity's user data. */
  std::unordered_map<int32_t, s4u::ActivityPtr> live;
  std::vector<int32_t> completed;                            // this round; failed ones negated
  std::set<s4u::Activity*> vetoed;                           // see simw_advance()
  std::vector<s4u::ActivityPtr> cancelled; // kept alive until the kernel reaps their actions

  std::unordered_map<uint64_t, bool> routable; // (src, dst) -> has a route

  std::string error;
  std::string text; // storage for strings handed out
};

State st;

int fail(const std::string& message)
{
  st.error = message;
  return -1;
}

bool valid_host(int h)
{
  return h >= 0 && static_cast<size_t>(h) < st.hosts.size();
}

void on_completion(s4u::Activity const& activity)
{
  auto id = static_cast<int32_t>(reinterpret_cast<intptr_t>(activity.get_data<void>()));
  if (id == 0) // not ours, or cancelled by simw_cancel()
    return;
  bool failed = activity.get_state() == s4u::Activity::State::FAILED;
  st.completed.push_back(failed ? -id : id);
  /* A non-empty vetoed set makes EngineImpl::run() return after this solve round. */
  if (st.vetoed.empty())
    st.vetoed.insert(const_cast<s4u::Activity*>(&activity));
}

void json_string(std::ostringstream& out, const std::string& s)
{
  out << '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out << '\\' << c;
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out << buf;
    } else
      out << c;
  }
  out << '"';
}

void json_number(std::ostringstream& out, double v)
{
  if (std::isinf(v)) { // JSON has no infinity; a huge number reads back as one
    out << (v > 0 ? "1e999" : "-1e999");
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out << buf;
}

const char* sharing_name(s4u::Link::SharingPolicy p)
{
  switch (p) {
    case s4u::Link::SharingPolicy::NONLINEAR:
      return "NONLINEAR";
    case s4u::Link::SharingPolicy::WIFI:
      return "WIFI";
    case s4u::Link::SharingPolicy::SPLITDUPLEX:
      return "SPLITDUPLEX";
    case s4u::Link::SharingPolicy::SHARED:
      return "SHARED";
    case s4u::Link::SharingPolicy::FATPIPE:
      return "FATPIPE";
  }
  return "UNKNOWN";
}

/* SimGrid aborts on a comm between hosts without a route: check first, once per pair. */
bool has_route(int src, int dst)
{
  uint64_t key = (static_cast<uint64_t>(src) << 32) | static_cast<uint32_t>(dst);
  auto found   = st.routable.find(key);
  if (found != st.routable.end())
    return found->second;
  std::vector<s4u::Link*> route;
  double latency = 0;
  st.hosts[src]->route_to(st.hosts[dst], route, &latency);
  bool ok = not route.empty() || latency > 0;
  st.routable.emplace(key, ok);
  return ok;
}

int track(const s4u::ActivityPtr& activity)
{
  int32_t id = st.next_id++;
  activity->set_data(reinterpret_cast<void*>(static_cast<intptr_t>(id)));
  st.live.emplace(id, activity);
  return id;
}

void forget(int32_t id)
{
  auto found = st.live.find(id);
  if (found == st.live.end())
    return;
  found->second->set_data(nullptr);
  st.live.erase(found);
}

/* Keeps the first occurrence of each element of `seen` that is in `all`, then
 * appends what the creation signals missed, in SimGrid's order. */
template <typename T> void dedupe_in_order(std::vector<T*>& seen, const std::vector<T*>& all)
{
  std::set<T*> valid(all.begin(), all.end());
  std::set<T*> kept;
  std::vector<T*> ordered;
  for (T* x : seen)
    if (valid.count(x) && kept.insert(x).second)
      ordered.push_back(x);
  for (T* x : all)
    if (kept.insert(x).second)
      ordered.push_back(x);
  seen = std::move(ordered);
}

int load(const std::string& file, const char* options)
{
  if (st.engine != nullptr)
    return fail("a platform is already loaded (one per SimGrid instance)");
  std::vector<std::string> args{"simterpose", "--log=root.thresh:error"};
  std::istringstream lines(options == nullptr ? "" : options);
  for (std::string line; std::getline(lines, line);)
    if (not line.empty())
      args.push_back(line);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  try {
    st.engine = new s4u::Engine(&argc, argv.data());
    /* Platform order is creation order; get_all_hosts() sorts by name. */
    s4u::Host::on_creation_cb([](s4u::Host& h) { st.hosts.push_back(&h); });
    s4u::Link::on_creation_cb([](s4u::Link& l) { st.links.push_back(&l); });
    st.engine->load_platform(file);
    st.engine->seal_platform(); // routes (Dijkstra, Floyd) are only computable once sealed
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  dedupe_in_order(st.hosts, st.engine->get_all_hosts());
  dedupe_in_order(st.links, st.engine->get_all_links());
  s4u::Activity::on_completion_cb(on_completion);
  s4u::Activity::set_vetoed_activities(&st.vetoed);
  return 0;
}

} // namespace

SIMW_EXPORT const char* simw_last_error()
{
  return st.error.c_str();
}

/** Loads a platform file. `options` holds extra SimGrid command-line
 *  arguments (such as --cfg=network/model:CM02), one per line, or is NULL. */
SIMW_EXPORT int simw_load_file(const char* file, const char* options)
{
  return load(file, options);
}

/** Loads a platform given as XML text (written to a temporary file, since
 *  SimGrid's parser reads files). Error messages name that file. */
SIMW_EXPORT int simw_load_string(const char* xml, const char* options)
{
  char path[] = "/tmp/simterpose-platform-XXXXXX";
  int fd      = mkstemp(path);
  if (fd < 0)
    return fail("cannot create a temporary file for the platform");
  close(fd);
  {
    std::ofstream out(path);
    out << xml;
  }
  int res = load(path, options);
  unlink(path);
  return res;
}

/** Hosts and links as JSON: {"hosts":[{name,speed,cores,properties}],
 *  "links":[{name,bandwidth,latency,sharing}]}. Valid until the next call. */
SIMW_EXPORT const char* simw_platform_json()
{
  std::ostringstream out;
  out << "{\"hosts\":[";
  for (size_t i = 0; i < st.hosts.size(); i++) {
    const s4u::Host* h = st.hosts[i];
    out << (i ? "," : "") << "{\"name\":";
    json_string(out, h->get_name());
    out << ",\"speed\":";
    json_number(out, h->get_speed());
    out << ",\"cores\":" << h->get_core_count() << ",\"properties\":{";
    std::vector<std::pair<std::string, std::string>> props;
    if (const auto* p = h->get_properties())
      props.assign(p->begin(), p->end());
    std::sort(props.begin(), props.end());
    for (size_t k = 0; k < props.size(); k++) {
      out << (k ? "," : "");
      json_string(out, props[k].first);
      out << ':';
      json_string(out, props[k].second);
    }
    out << "}}";
  }
  out << "],\"links\":[";
  for (size_t i = 0; i < st.links.size(); i++) {
    const s4u::Link* l = st.links[i];
    out << (i ? "," : "") << "{\"name\":";
    json_string(out, l->get_name());
    out << ",\"bandwidth\":";
    json_number(out, l->get_bandwidth());
    out << ",\"latency\":";
    json_number(out, l->get_latency());
    out << ",\"sharing\":\"" << sharing_name(l->get_sharing_policy()) << "\"}";
  }
  out << "]}";
  st.text = out.str();
  return st.text.c_str();
}

/** The route between two hosts as JSON {"links":[names],"latency":s}, or NULL. */
SIMW_EXPORT const char* simw_route_json(int src, int dst)
{
  if (not valid_host(src) || not valid_host(dst)) {
    fail("no such host index");
    return nullptr;
  }
  std::vector<s4u::Link*> route;
  double latency = 0;
  try {
    st.hosts[src]->route_to(st.hosts[dst], route, &latency);
  } catch (const std::exception& e) {
    fail(e.what());
    return nullptr;
  }
  std::ostringstream out;
  out << "{\"links\":[";
  for (size_t i = 0; i < route.size(); i++) {
    out << (i ? "," : "");
    json_string(out, route[i]->get_name());
  }
  out << "],\"latency\":";
  json_number(out, latency);
  out << "}";
  st.text = out.str();
  return st.text.c_str();
}

/** Starts a computation of `flops` on host `host`; returns its id (> 0). */
SIMW_EXPORT int simw_exec_start(int host, double flops)
{
  if (not valid_host(host))
    return fail("no such host index");
  if (not(flops >= 0))
    return fail("flops must be a non-negative number");
  if (not st.hosts[host]->is_on())
    return fail("host " + st.hosts[host]->get_name() + " is off");
  try {
    s4u::ExecPtr exec = s4u::Exec::init();
    exec->set_host(st.hosts[host])->set_flops_amount(flops);
    int id = track(exec);
    exec->start();
    return id;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

/** Starts a transfer of `bytes` from host `src` to host `dst`; returns its id. */
SIMW_EXPORT int simw_comm_start(int src, int dst, double bytes)
{
  if (not valid_host(src) || not valid_host(dst))
    return fail("no such host index");
  if (not(bytes >= 0))
    return fail("bytes must be a non-negative number");
  for (int h : {src, dst}) // SimGrid asserts that both ends are on
    if (not st.hosts[h]->is_on())
      return fail("host " + st.hosts[h]->get_name() + " is off");
  try {
    if (not has_route(src, dst))
      return fail("no route from " + st.hosts[src]->get_name() + " to " + st.hosts[dst]->get_name());
    s4u::CommPtr comm = s4u::Comm::sendto_init(st.hosts[src], st.hosts[dst]);
    int id            = track(comm);
    comm->set_payload_size(static_cast<uint64_t>(bytes));
    comm->start();
    return id;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

/** Cancels an activity that has not completed yet. It is never reported. */
SIMW_EXPORT int simw_cancel(int id)
{
  auto found = st.live.find(id);
  if (found == st.live.end())
    return fail("no such running activity");
  s4u::ActivityPtr activity = found->second;
  forget(id);
  /* The cancelled action is reaped in the next solve round, which still
   * reaches the activity through a raw pointer: keep it alive until then. */
  st.cancelled.push_back(activity);
  try {
    /* Cancelling alone leaves the action's share in place until that round
     * is solved; suspending first gives it back to the others right now. */
    activity->suspend();
    activity->cancel();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}

/** What a running activity still has to do at the current date: bytes for a
 *  comm (all of them while it pays its latency), flops for an exec; -1 for an
 *  id that is not running. SimGrid updates a running activity's progress
 *  lazily, when its share changes: asking brings it up to date first. */
SIMW_EXPORT double simw_remaining(int id)
{
  auto found = st.live.find(id);
  if (found == st.live.end())
    return fail("no such running activity");
  try {
    return found->second->get_remaining();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

/** Advances the clock until one round of activities completes, or until
 *  `deadline` (negative: none). Returns how many completed; their ids are in
 *  simw_completed() in increasing order, negated for failed activities. With
 *  nothing pending and a deadline, the clock moves to the deadline. */
SIMW_EXPORT int simw_advance(double deadline)
{
  if (st.engine == nullptr)
    return fail("no platform loaded");
  double now = s4u::Engine::get_clock();
  if (deadline >= 0 && deadline < now)
    return fail("deadline is in the past");
  for (int32_t id : st.completed)
    forget(id < 0 ? -id : id);
  st.completed.clear();
  try {
    /* EngineImpl::run() stops early when the vetoed set is not empty, and
     * may stop up to 1e-5 s before the deadline: loop until one or the other. */
    do {
      st.vetoed.clear();
      st.engine->run_until(deadline < 0 ? -1.0 : deadline);
      now = s4u::Engine::get_clock();
    } while (st.completed.empty() && deadline >= 0 && now < deadline);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  st.vetoed.clear();
  st.cancelled.clear();
  std::sort(st.completed.begin(), st.completed.end(),
            [](int32_t a, int32_t b) { return std::abs(a) < std::abs(b); });
  return static_cast<int>(st.completed.size());
}

/** The ids completed by the last simw_advance(). */
SIMW_EXPORT const int32_t* simw_completed()
{
  return st.completed.data();
}

SIMW_EXPORT double simw_now()
{
  return s4u::Engine::get_clock();
}

/** How many activities are started and not yet reported or cancelled. */
SIMW_EXPORT int simw_pending()
{
  return static_cast<int>(st.live.size() - st.completed.size());
}
