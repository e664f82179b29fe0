#include "lab/measure.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/json_writer.hpp"
#include "lab/rng.hpp"
#include "lab/sample.hpp"

namespace attnlab {

Bench::Bench(const std::string& id) : id_(id) {}

void Bench::set_number(const std::string& key, double value) {
  cfg_.strings.erase(key);
  cfg_.numbers[key] = value;
  ready_ = false;
}

void Bench::set_string(const std::string& key, const std::string& value) {
  cfg_.numbers.erase(key);
  cfg_.strings[key] = value;
  ready_ = false;
}

Status Bench::init(double seed) {
  ready_ = false;
  if (!std::isfinite(seed) || seed < 0 || seed != std::floor(seed) || seed > 9007199254740992.0)
    return range_error("seed", "expected a non-negative integer, got " + fmt(seed));
  entry_ = find_variant(id_);
  if (!entry_) return range_error("id", "unknown variant '" + id_ + "'; expected one of " + variant_ids());
  Status st = validate_config(*entry_, cfg_, true, &sizes_, &form_, &chunk_, &bound_);
  if (!st.empty()) return st;
  const VariantInfo& info = entry_->info;
  // The same budget Call::run enforces: inputs + output + the form's scratch.
  double floats = 0;
  for (const InputSpec& s : info.inputs) floats += static_cast<double>(input_length(s, sizes_, true));
  floats += static_cast<double>(sizes_.n) * bound_->out_width() + bound_->workspace(sizes_.n, form_, chunk_);
  if (floats * 4 > kMemoryBudgetBytes)
    return range_error("n", "this call needs about " + fmt(std::ceil(floats * 4 / 1048576)) +
                                " MiB, over the module's budget of " + fmt(kMemoryBudgetBytes / 1048576) +
                                " MiB; use a shorter sequence or the recurrent/chunkwise form");
  Rng rng(static_cast<std::uint64_t>(seed));
  auto drawn = sample_inputs(info, sizes_, rng);
  data_.assign(info.inputs.size(), {});
  in_ = Inputs{};
  for (size_t i = 0; i < info.inputs.size(); ++i) {
    data_[i] = std::move(drawn[info.inputs[i].name]);
    in_.ptr[i] = data_[i].data();
    in_.width[i] = input_length(info.inputs[i], sizes_, false);
  }
  out_.assign(static_cast<size_t>(sizes_.n * bound_->out_width()), 0.f);
  ready_ = true;
  return {};
}

double Bench::run(int runs) {
  if (!ready_ || runs < 1) return 0;
  using clock = std::chrono::steady_clock;
  const long n = sizes_.n;
  const long w = bound_->out_width();
  const auto t0 = clock::now();
  for (int r = 0; r < runs; ++r) {
    State s;
    bound_->init_state(s);
    if (form_ == Form::parallel) {
      bound_->parallel(in_, n, s, out_.data());
    } else if (form_ == Form::recurrent) {
      for (long t = 0; t < n; ++t) {
        bound_->step(Token::at(in_, entry_->info, t), s, out_.data() + t * w);
        ++s.t;
      }
    } else {
      bound_->chunkwise(in_, n, chunk_, s, out_.data());
    }
  }
  const auto t1 = clock::now();
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

int runs_for(Bench& b, double one_run_ms, double target_ms) {
  constexpr int kMaxRuns = 1 << 16;
  if (one_run_ms >= target_ms) return 1;
  if (one_run_ms > 0) return static_cast<int>(std::min<double>(kMaxRuns, std::ceil(target_ms / one_run_ms)));
  int runs = 2;
  while (runs < kMaxRuns && b.run(runs) <= 0) runs *= 2;
  return runs;
}

double median(std::vector<double> xs) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  const size_t m = xs.size() / 2;
  return xs.size() % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

Status measure(const std::string& id, const Config& cfg, int reps, MeasureResult* out) {
  if (reps < 1 || reps > 1000) return range_error("reps", "expected an integer in [1, 1000], got " + std::to_string(reps));
  Bench b(id);
  for (const auto& kv : cfg.numbers) b.set_number(kv.first, kv.second);
  for (const auto& kv : cfg.strings) b.set_string(kv.first, kv.second);
  Status st = b.init(1);
  if (!st.empty()) return st;
  MeasureResult r;
  r.id = id;
  r.form = b.form();
  r.n = b.n();
  r.chunk = b.form() == Form::chunkwise ? b.chunk() : 0;
  r.reps = reps;
  r.warmup_ms = b.run();
  r.inner = runs_for(b, r.warmup_ms);
  for (int i = 0; i < reps; ++i) r.times_ms.push_back(b.run(r.inner) / r.inner);
  r.median_ms = median(r.times_ms);
  r.min_ms = *std::min_element(r.times_ms.begin(), r.times_ms.end());
  r.max_ms = *std::max_element(r.times_ms.begin(), r.times_ms.end());
  *out = std::move(r);
  return {};
}

std::string to_json(const MeasureResult& r) {
  JsonObject o;
  o.str("id", r.id).str("form", form_name(r.form)).num("n", static_cast<double>(r.n));
  if (r.form == Form::chunkwise) o.num("chunk", r.chunk);
  return o.num("reps", r.reps)
      .num("inner", r.inner)
      .num("medianMs", r.median_ms)
      .num("minMs", r.min_ms)
      .num("maxMs", r.max_ms)
      .num("warmupMs", r.warmup_ms)
      .raw("timesMs", JsonObject::numbers(r.times_ms))
      .text();
}

}  // namespace attnlab
