// Instrumentation for the cost model (issue: cost models checked against counting).
//
// Built with -DATTNLAB_COUNT=1, every primitive adds what it executes: multiply-accumulates, exps
// and the largest intermediate buffer a form holds. Without it the macros compile to nothing, so
// the production build pays nothing. Variant code that does a multiply-add outside a primitive
// reports it with ATTNLAB_COUNT_MACS so the counted figure stays complete.
#pragma once

#include <cstdint>

namespace attnlab {

struct Counters {
  std::uint64_t macs = 0;   // multiply-accumulates (a*b+c counts 1)
  std::uint64_t exps = 0;   // calls of exp
  std::uint64_t peak = 0;   // largest intermediate, in floats, declared by a form
};

// The counters of this thread (the core is single-threaded; wasm has no threads here).
Counters& counters();
void reset_counters();

}  // namespace attnlab

#if defined(ATTNLAB_COUNT) && ATTNLAB_COUNT
#define ATTNLAB_COUNT_MACS(x) (::attnlab::counters().macs += static_cast<std::uint64_t>(x))
#define ATTNLAB_COUNT_EXPS(x) (::attnlab::counters().exps += static_cast<std::uint64_t>(x))
#define ATTNLAB_COUNT_PEAK(x)                                                     \
  do {                                                                            \
    std::uint64_t attnlab_p_ = static_cast<std::uint64_t>(x);                     \
    if (attnlab_p_ > ::attnlab::counters().peak) ::attnlab::counters().peak = attnlab_p_; \
  } while (0)
#else
#define ATTNLAB_COUNT_MACS(x) ((void)0)
#define ATTNLAB_COUNT_EXPS(x) ((void)0)
#define ATTNLAB_COUNT_PEAK(x) ((void)0)
#endif
