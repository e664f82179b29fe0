// Measured cost: the real kernel of a variant's form, timed inside the module on seeded unit-scale
// inputs, so the lesson can plot the reader's own parabola and line beside the cost model.
//
// A Bench validates its options exactly like a run, draws every input once from the InputSpec
// `sample` hints (seeded, lab/sample.hpp), and then times whole runs of the bound kernel (what
// Call::run executes after validation: state init + parallel / step loop / chunkwise), without
// re-validating or re-drawing. run(k) times k runs back to back, so a page can spread a
// measurement over frames (a few runs per frame) and never block for long; measure() is the
// one-shot form: one warm-up run, then `reps` timed repetitions, median and min reported.
// A run shorter than the clock can resolve (browsers coarsen performance.now() to 5-100 us) would
// read 0: each repetition therefore times `inner` back-to-back runs, enough for about 1 ms, and
// reports the time per run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/api.hpp"

namespace attnlab {

struct MeasureResult {
  std::string id;
  Form form = Form::recurrent;
  long n = 0;
  int chunk = 0;              // chunk used (clamped to n); 0 unless chunkwise
  int reps = 0;               // timed repetitions
  int inner = 1;              // runs per repetition (1 unless a run is shorter than ~1 ms)
  double median_ms = 0;       // median time per run
  double min_ms = 0;
  double max_ms = 0;
  double warmup_ms = 0;       // the untimed first run (first touch of buffers, caches)
  std::vector<double> times_ms;  // time per run of every repetition, in order
};

class Bench {
 public:
  explicit Bench(const std::string& id);
  void set_number(const std::string& key, double value);
  void set_string(const std::string& key, const std::string& value);
  // Validates like Call::run (sizes, form, chunk, options, memory budget) and draws the inputs.
  Status init(double seed);
  // `runs` full runs of the kernel back to back; returns their total wall time in ms
  // (steady_clock). 0 before init().
  double run(int runs = 1);
  bool ready() const { return ready_; }
  Form form() const { return form_; }
  long n() const { return sizes_.n; }
  int chunk() const { return chunk_; }

 private:
  std::string id_;
  Config cfg_;
  const Entry* entry_ = nullptr;
  Sizes sizes_;
  Form form_ = Form::recurrent;
  int chunk_ = 0;
  std::unique_ptr<Bound> bound_;
  std::vector<std::vector<float>> data_;
  Inputs in_;
  std::vector<float> out_;
  bool ready_ = false;
};

// Median of a list of times (mean of the middle two for an even count).
double median(std::vector<double> xs);

// Runs per repetition so that one repetition lasts about target_ms, from the time of one run
// (doubling from 1 while the clock reads 0); at most 1 << 16.
int runs_for(Bench& b, double one_run_ms, double target_ms = 1.0);

// cfg as for a run ({n, dk, dv, form, chunk, ...options}); reps in [1, 1000]; inputs seeded with 1.
Status measure(const std::string& id, const Config& cfg, int reps, MeasureResult* out);

std::string to_json(const MeasureResult& r);

}  // namespace attnlab
