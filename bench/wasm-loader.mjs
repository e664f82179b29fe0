// Loads a benchmark module (bench-simd.wasm or bench-baseline.wasm, built from bench/kernels.cpp) in
// Node or in a browser. The modules are standalone: their imports are WASI's clock, which reads
// `clock` here (milliseconds; performance.now by default), and two calls that never happen in a run
// (memory-growth notice, exit).

export async function loadBench(bytes, { clock = () => performance.now() } = {}) {
  const module = await WebAssembly.compile(bytes);
  let memory = null;
  const provided = {
    env: { emscripten_notify_memory_growth() {} },
    wasi_snapshot_preview1: {
      clock_time_get(_id, _precision, out) {
        const ns = BigInt(Math.round(clock() * 1e6));
        new DataView(memory.buffer).setBigUint64(out, ns, true);
        return 0;
      },
      proc_exit(code) {
        throw new Error(`benchmark module exited with status ${code}`);
      },
    },
  };
  // Any other import the toolchain adds is a function the benchmark never calls: fail loudly if it does.
  for (const imp of WebAssembly.Module.imports(module)) {
    provided[imp.module] ??= {};
    if (!(imp.name in provided[imp.module]) && imp.kind === 'function') {
      provided[imp.module][imp.name] = () => {
        throw new Error(`benchmark module called unexpected import ${imp.module}.${imp.name}`);
      };
    }
  }
  const instance = await WebAssembly.instantiate(module, provided);
  const x = instance.exports;
  memory = x.memory;
  x._initialize();

  const cstring = (ptr) => {
    const bytes = new Uint8Array(memory.buffer);
    let end = ptr;
    while (bytes[end]) end++;
    return new TextDecoder().decode(bytes.subarray(ptr, end));
  };

  const cases = [];
  for (let id = 0; id < x.bench_count(); id++) {
    const buffers = {};
    for (let i = 0; i < x.bench_buffers(id); i++) buffers[cstring(x.bench_buffer_name(id, i))] = i;
    cases.push({
      id,
      name: cstring(x.bench_name(id)),
      kernel: cstring(x.bench_kernel(id)),
      sizes: [0, 1, 2].map((w) => x.bench_size(id, w)),
      flops: x.bench_flops(id),
      elements: x.bench_elements(id),
      buffers,
    });
  }

  return {
    cases,
    // A copy of one named buffer (views die when memory grows, so never keep one).
    read(c, name) {
      const i = c.buffers[name];
      return new Float32Array(memory.buffer, x.bench_buffer(c.id, i), x.bench_buffer_length(c.id, i)).slice();
    },
    runOnce(c) {
      x.bench_run_once(c.id);
    },
    // Calls per batch of about batchMs, after warmMs of warm-up (bench_calibrate in kernels.cpp).
    calibrate(c, { warmMs, batchMs }) {
      return x.bench_calibrate(c.id, warmMs, batchMs);
    },
    // Milliseconds per call over one batch of `reps` calls, timed inside the module.
    time(c, reps) {
      return x.bench_time(c.id, reps) / reps;
    },
    measure(c, { warmMs, batchMs, batches }) {
      const median = x.bench_measure(c.id, warmMs, batchMs, batches);
      const batchesMs = Array.from({ length: batches }, (_, b) => x.bench_batch(b));
      return { median_ms: median, reps: x.bench_reps(), batches_ms: batchesMs };
    },
  };
}
