// The one JS wrapper over the Embind module (bindings/embind.cpp): typed arrays in and out, option
// objects, JavaScript errors, and the delete() of every Embind handle. The entry points (attnlab.js
// for browsers and bundlers, node.js for Node) only decide where the .wasm bytes come from.
//
// Embind is linked with -sDYNAMIC_EXECUTION=0, which makes every JS->C++ call several times dearer:
// whole arrays cross through HEAPF32 with one call each, never one call per element. HEAPF32 is
// replaced whenever wasm memory grows, so it is re-read from the Module after every call that can
// allocate, and results are always copied out.

// (func (result v128) i32.const 0 i32x4.splat): valid only where WebAssembly SIMD is.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b,
]);

export function simdSupported() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// loadCore for one way of instantiating the module: instantiate(flavour) resolves to the ready
// Emscripten Module of 'simd' or 'baseline'. Each flavour is loaded once and shared.
export function makeLoadCore(instantiate) {
  const loaded = new Map();
  return async function loadCore(options = {}) {
    if (options === null || typeof options !== 'object')
      throw argError(TypeError, 'options', `expected an object such as { simd: 'auto' }, got ${describe(options)}`);
    const simd = options.simd === undefined ? 'auto' : options.simd;
    if (simd !== 'auto' && simd !== true && simd !== false)
      throw argError(TypeError, 'simd', `expected 'auto', true or false, got ${describe(simd)}`);
    const supported = simdSupported();
    if (simd === true && !supported)
      throw argError(RangeError, 'simd', "this JavaScript engine has no WebAssembly SIMD; use simd: 'auto' or false");
    const flavour = simd === false || !supported ? 'baseline' : 'simd';
    let core = loaded.get(flavour);
    if (!core) {
      core = Promise.resolve()
        .then(() => instantiate(flavour))
        .then((M) => makeCore(M, flavour === 'simd'));
      loaded.set(flavour, core);
      // A failed load (e.g. a network error) may be retried.
      core.catch(() => loaded.delete(flavour));
    }
    return core;
  };
}

// The length and brand of a typed array through the built-in getters, never through properties a
// subclass or a proxy could redefine: the copy into the wasm heap (TypedArray.prototype.set) uses
// the real length, so the length that sizes the buffer must be the real one too.
const TypedArrayProto = Object.getPrototypeOf(Float32Array.prototype);
const lengthOf = Object.getOwnPropertyDescriptor(TypedArrayProto, 'length').get;
const bufferOf = Object.getOwnPropertyDescriptor(TypedArrayProto, 'buffer').get;
const byteOffsetOf = Object.getOwnPropertyDescriptor(TypedArrayProto, 'byteOffset').get;
const tagOf = Object.getOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get;
const isFloat32Array = (x) => tagOf.call(x) === 'Float32Array';

// A fixed-length view of exactly the validated elements, made before any user code runs. An array
// over a resizable ArrayBuffer tracks the buffer's length: a getter that grows or shrinks the buffer
// between validation and copy would otherwise change how much TypedArray.prototype.set writes into
// the wasm heap. The view never grows; if the buffer shrinks under it, the view goes out of bounds
// and its length reads 0, which copyRows() reports. Built with the intrinsic getters and the
// Float32Array constructor, so no subclass or Symbol.species hook runs.
function pinned(arg, arr, length) {
  try {
    return new Float32Array(bufferOf.call(arr), byteOffsetOf.call(arr), length);
  } catch {
    // Only a detached buffer makes the constructor throw here.
    throw argError(TypeError, arg, 'its ArrayBuffer is detached (transferred or resized away)');
  }
}

// Copies a pinned view into the heap at a float index, after checking that it still holds the
// validated number of elements.
function copyPinned(arg, view, length, heap, index) {
  if (lengthOf.call(view) !== length)
    throw argError(RangeError, arg, `its buffer shrank to fewer than the ${length} validated elements during the call`);
  heap.set(view, index);
}

// Every object argument is read once, into a plain object, before any wasm object is touched: a
// getter that calls back into the core (or returns something else the second time) then cannot
// change what was validated, nor reuse a shared query object half-way through a call.
function snapshot(x) {
  return Object.fromEntries(Object.entries(x));
}

function describe(x) {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an Array';
  if (ArrayBuffer.isView(x)) return `a ${tagOf.call(x) ?? 'DataView'}`;
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'number' || typeof x === 'boolean') return `${typeof x} ${x}`;
  return `a ${typeof x}`;
}

function isPlainObject(x) {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

// Every error names the argument at the start of its message and in `argument`.
function argError(Ctor, arg, message) {
  const err = new Ctor(`${arg}: ${message}`);
  err.argument = arg;
  return err;
}

function checkObject(arg, x, what) {
  if (!isPlainObject(x)) throw argError(TypeError, arg, `expected ${what}, got ${describe(x)}`);
}

function checkId(id) {
  if (typeof id !== 'string')
    throw argError(TypeError, 'id', `expected a variant id such as 'softmax', got ${describe(id)}`);
}

// The core's Status: "" when fine, else "TypeError|arg: message" or "RangeError|arg: message".
function statusError(status) {
  const bar = status.indexOf('|');
  const kind = status.slice(0, bar);
  const text = status.slice(bar + 1);
  const colon = text.indexOf(': ');
  const Ctor = kind === 'TypeError' ? TypeError : kind === 'RangeError' ? RangeError : Error;
  return colon > 0 ? argError(Ctor, text.slice(0, colon), text.slice(colon + 2)) : new Ctor(text);
}

function makeCore(M, simd) {
  const budgetBytes = M._memory_budget();
  const variantsJson = M._variants_json();
  const byId = new Map(JSON.parse(variantsJson).map((v) => [v.id, v]));
  let live = 0;

  const heap = () => M.HEAPF32;
  const read = (ptr, len) => heap().slice(ptr >>> 2, (ptr >>> 2) + len);

  // Options go to the core as numbers (booleans as 0/1) or strings; the core validates names,
  // ranges and defaults. Keys set to undefined count as absent.
  function setOptions(handle, options) {
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined) continue;
      if (typeof value === 'number') handle.set_number(key, value);
      else if (typeof value === 'boolean') handle.set_number(key, value ? 1 : 0);
      else if (typeof value === 'string') handle.set_string(key, value);
      else throw argError(TypeError, key, `expected a number, boolean or string, got ${describe(value)}`);
    }
  }

  // Checks every array of an inputs object before any is copied, so that a bad one allocates
  // nothing and the total stays within the module's memory budget. Each array is pinned to the length
  // validated here (see pinned()). `obj` is a snapshot: its getters have already run, once.
  function arrays(arg, obj) {
    const list = [];
    let bytes = 0;
    for (const [name, arr] of Object.entries(obj)) {
      if (arr === undefined) continue;
      if (!isFloat32Array(arr))
        throw argError(TypeError, `${arg}.${name}`, `expected a Float32Array, got ${describe(arr)}`);
      const length = lengthOf.call(arr);
      bytes += length * 4;
      list.push([name, pinned(`${arg}.${name}`, arr, length), length]);
    }
    if (bytes > budgetBytes)
      throw argError(
        RangeError,
        arg,
        `${Math.ceil(bytes / 1048576)} MiB of arrays, over the module's budget of ${budgetBytes / 1048576} MiB`,
      );
    return list;
  }

  function copyIn(arg, list, alloc) {
    for (const [name, view, length] of list) {
      const ptr = alloc(name, length);
      copyPinned(`${arg}.${name}`, view, length, heap(), ptr >>> 2);
    }
  }

  function run(id, inputs, options) {
    checkId(id);
    checkObject('inputs', inputs, 'an object of Float32Arrays such as { q, k, v }');
    checkObject('options', options, 'an object such as { n, dk, dv, form }');
    // Every getter runs here, once, before anything is validated or copied.
    const opts = snapshot(options);
    const list = arrays('inputs', snapshot(inputs));
    const call = new M._Call(id);
    live++;
    try {
      setOptions(call, opts);
      copyIn('inputs', list, (name, len) => call.input(name, len));
      const status = call.run();
      if (status) throw statusError(status);
      const output = read(call.output(), call.output_size());
      const state = call.has_state() ? read(call.state(), call.state_size()) : null;
      return { output, state };
    } finally {
      call.delete();
      live--;
    }
  }

  class State {
    #h;
    #id;
    #tokens;
    #out;
    #width;

    constructor(id, options, channelInputs) {
      const list = arrays('channelInputs', channelInputs);
      const h = new M._Stepper(id);
      live++;
      try {
        setOptions(h, options);
        copyIn('channelInputs', list, (name, len) => h.channel_input(name, len));
        const status = h.init();
        if (status) throw statusError(status);
        // Token buffers and the output row keep their place until the next init().
        const info = byId.get(id);
        this.#tokens = info.inputs
          .filter((s) => s.perToken)
          .map((s) => ({
            name: s.name,
            length: s.dims.slice(1).reduce((p, d) => p * (d === '1' ? 1 : options[d]), 1),
            ptr: h.token_input(s.name),
          }));
        this.#out = h.output();
        this.#width = h.out_width();
      } catch (e) {
        h.delete();
        live--;
        throw e;
      }
      this.#h = h;
      this.#id = id;
    }

    #handle() {
      if (!this.#h)
        throw argError(TypeError, 'state', `this ${this.#id} state was disposed; create a new one with createState()`);
      return this.#h;
    }

    get id() {
      return this.#id;
    }

    get t() {
      return this.#handle().t();
    }

    step(token) {
      this.#handle();
      checkObject('token', token, 'an object with one Float32Array row per input');
      // Every getter of the token runs here, once; nothing after this line runs user code.
      const own = snapshot(token);
      for (const [key, value] of Object.entries(own)) {
        if (!this.#tokens.some((s) => s.name === key) && value !== undefined)
          throw argError(
            TypeError,
            `token.${key}`,
            `not a per-token input of ${this.#id}; expected ${this.#tokens.map((s) => s.name).join(', ')}`,
          );
      }
      const rows = this.#tokens.map(({ name, length }) => {
        const arr = own[name];
        if (arr === undefined)
          throw argError(TypeError, `token.${name}`, `missing; expected a Float32Array of length ${length}`);
        if (!isFloat32Array(arr))
          throw argError(TypeError, `token.${name}`, `expected a Float32Array, got ${describe(arr)}`);
        if (lengthOf.call(arr) !== length)
          throw argError(RangeError, `token.${name}`, `expected length ${length}, got ${lengthOf.call(arr)}`);
        return pinned(`token.${name}`, arr, length);
      });
      // A getter of the token may have disposed this state.
      const h = this.#handle();
      const f32 = heap();
      this.#tokens.forEach(({ name, ptr, length }, i) => copyPinned(`token.${name}`, rows[i], length, f32, ptr >>> 2));
      const status = h.step();
      if (status) throw statusError(status);
      return read(this.#out, this.#width);
    }

    state() {
      const h = this.#handle();
      return read(h.state(), h.state_size());
    }

    reset() {
      this.#handle().reset();
    }

    dispose() {
      if (!this.#h) return;
      this.#h.delete();
      this.#h = null;
      live--;
    }
  }
  if (typeof Symbol.dispose === 'symbol') State.prototype[Symbol.dispose] = State.prototype.dispose;

  // initialState seeds the new state with one that run() (any form) or state() returned, so that a
  // prompt read in parallel continues token by token. It may sit with the channel inputs, as it sits
  // with the inputs of run(), or in the options.
  function createState(id, options, channelInputs = {}) {
    checkId(id);
    checkObject('options', options, 'an object such as { dk, dv }');
    checkObject('channelInputs', channelInputs, 'an object of Float32Arrays (per-channel inputs)');
    const opts = snapshot(options);
    const channels = snapshot(channelInputs);
    if (opts.initialState !== undefined) {
      if (channels.initialState !== undefined)
        throw argError(TypeError, 'initialState', 'given both in options and in channelInputs; give it once');
      if (!isFloat32Array(opts.initialState))
        throw argError(TypeError, 'initialState', `expected a Float32Array, got ${describe(opts.initialState)}`);
      channels.initialState = opts.initialState;
    }
    delete opts.initialState;
    return new State(id, opts, channels);
  }

  // One query object for the core's lifetime: cost, memory and measure results come back as JSON.
  const costQuery = new M._CostQuery();
  function query(call, options) {
    costQuery.clear();
    setOptions(costQuery, options);
    const status = call();
    if (status) throw statusError(status);
    return JSON.parse(costQuery.json());
  }

  function cost(id, options) {
    checkId(id);
    checkObject('options', options, 'an object such as { n, dk, dv, form }');
    return query(() => costQuery.cost(id), snapshot(options));
  }

  function twoOrders(options) {
    checkObject('options', options, 'an object such as { n, dk, dv }');
    const { n, dk, dv } = options;
    return query(() => costQuery.two_orders(), { n, dk, dv });
  }

  function memory(id, options, model = {}) {
    checkId(id);
    checkObject('options', options, 'an object such as { n, dk, dv }');
    checkObject('model', model, 'an object such as { layers, heads }');
    const { layers = 1, heads = 1 } = model;
    for (const [k, v] of Object.entries({ layers, heads }))
      if (typeof v !== 'number') throw argError(TypeError, `model.${k}`, `expected a positive integer, got ${describe(v)}`);
    try {
      return query(() => costQuery.memory(id, layers, heads), snapshot(options));
    } catch (e) {
      // The core names them as its own arguments; here they are fields of `model`.
      if (e.argument === 'layers' || e.argument === 'heads')
        throw argError(e.constructor, `model.${e.argument}`, e.message.slice(e.argument.length + 2));
      throw e;
    }
  }

  // Blocks for a warm-up plus `reps` runs: call it from a Worker, or keep n small on the main thread.
  function measure(id, options) {
    checkId(id);
    checkObject('options', options, 'an object such as { n, dk, dv, form, reps }');
    const { reps = 3, ...rest } = options;
    if (typeof reps !== 'number') throw argError(TypeError, 'reps', `expected a positive integer, got ${describe(reps)}`);
    return query(() => costQuery.measure(id, reps), rest);
  }

  const recallNumbers = ['d', 'pairs', 'rewrites', 'gap', 'trials', 'seed', 'cosine'];
  function recall(spec) {
    checkObject('spec', spec, 'an object such as { variant, d, pairs, keys }');
    const { variant, options = {}, keys, ...rest } = spec;
    if (typeof variant !== 'string')
      throw argError(TypeError, 'variant', `expected a variant id such as 'linear', got ${describe(variant)}`);
    checkObject('options', options, "the variant's options, e.g. { featureMap: 'identity' }");
    if (keys !== undefined && typeof keys !== 'string')
      throw argError(TypeError, 'keys', `expected 'orthogonal', 'random' or 'correlated', got ${describe(keys)}`);
    for (const [k, v] of Object.entries(rest)) {
      if (v === undefined) continue;
      if (!recallNumbers.includes(k))
        throw argError(TypeError, k, `not a recall argument; expected variant, options, ${recallNumbers.join(', ')} or keys`);
      if (typeof v !== 'number') throw argError(TypeError, k, `expected a number, got ${describe(v)}`);
    }
    const job = new M._RecallJob(variant);
    live++;
    try {
      // Option keys naming a constant input of the variant (beta, g, w, ...) become constants in C++.
      setOptions({ set_number: (k, v) => job.set_option_number(k, v), set_string: (k, v) => job.set_option_string(k, v) }, options);
      for (const k of recallNumbers) if (rest[k] !== undefined) job.set_number(k, rest[k]);
      if (keys !== undefined) job.set_keys(keys);
      const status = job.run();
      if (status) throw statusError(status);
      const rewritten = job.rewritten_accuracy();
      return {
        accuracy: job.accuracy(),
        // NaN in the core when nothing was rewritten; null here, so that it cannot pass for a number.
        rewrittenAccuracy: Number.isNaN(rewritten) ? null : rewritten,
        meanCosine: job.mean_cosine(),
        exact: job.exact(),
        signal: job.signal(),
        interference: job.interference(),
        sir: job.sir(),
        trials: job.trials(),
        byAge: read(job.by_age(), job.by_age_size()),
      };
    } finally {
      job.delete();
      live--;
    }
  }

  // Recall over a grid of pair counts (and state sizes): one result per point, pairs varying fastest.
  function recallSweep(spec, grid = {}) {
    checkObject('spec', spec, 'an object such as { variant, d, pairs, keys }');
    checkObject('grid', grid, 'an object such as { pairs: [8, 16, 32], d: [64] }');
    const list = (name, fallback) => {
      const v = grid[name] ?? [fallback];
      if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number'))
        throw argError(TypeError, `grid.${name}`, `expected a non-empty array of numbers, got ${describe(v)}`);
      return v;
    };
    const out = [];
    for (const d of list('d', spec.d ?? 64))
      for (const pairs of list('pairs', spec.pairs ?? 32)) out.push({ d, pairs, ...recall({ ...spec, d, pairs }) });
    return out;
  }

  // The rows φ(x_t) exactly as linear attention computes them (cpp/api/feature_map_call.hpp).
  function featureMap(name, x, options) {
    if (typeof name !== 'string')
      throw argError(TypeError, 'name', `expected a feature map name such as 'elu1', got ${describe(name)}`);
    if (!isFloat32Array(x)) throw argError(TypeError, 'x', `expected a Float32Array [n, dk], got ${describe(x)}`);
    checkObject('options', options, 'an object such as { n, dk }');
    const opts = snapshot(options);
    // No caller code runs between reading x's length and copying it (the options were read above).
    const length = lengthOf.call(x);
    if (length * 4 > budgetBytes)
      throw argError(RangeError, 'x', `${Math.ceil((length * 4) / 1048576)} MiB, over the module's budget of ${budgetBytes / 1048576} MiB`);
    const call = new M._FeatureMap(name);
    live++;
    try {
      setOptions(call, opts);
      // The allocation may grow wasm memory (a new HEAPF32): allocate first, then read the heap.
      const ptr = call.input(length);
      heap().set(x, ptr >>> 2);
      const status = call.run();
      if (status) throw statusError(status);
      return read(call.output(), call.output_size());
    } finally {
      call.delete();
      live--;
    }
  }

  // RWKV's token shift, out_t = μ ⊙ x_t + (1 − μ) ⊙ x_{t−1} with x_{−1} = 0 (cpp/api/token_shift.hpp).
  const shiftArgs = ['x', 'mu', 'n', 'd'];
  function tokenShift(spec) {
    checkObject('spec', spec, 'an object such as { x, mu, n, d }');
    const args = snapshot(spec);
    for (const [key, value] of Object.entries(args))
      if (value !== undefined && !shiftArgs.includes(key))
        throw argError(TypeError, key, 'not an argument of tokenShift; expected x, mu, n and d');
    const { x, mu, n, d } = args;
    const arrays = [
      ['x', x, '[n, d]'],
      ['mu', mu, '[d]'],
    ];
    let bytes = 0;
    for (const [name, arr, shape] of arrays) {
      if (arr === undefined) throw argError(TypeError, name, `missing; expected a Float32Array ${shape}`);
      if (!isFloat32Array(arr)) throw argError(TypeError, name, `expected a Float32Array ${shape}, got ${describe(arr)}`);
      bytes += lengthOf.call(arr) * 4;
    }
    if (bytes > budgetBytes)
      throw argError(RangeError, 'x', `${Math.ceil(bytes / 1048576)} MiB of arrays, over the module's budget of ${budgetBytes / 1048576} MiB`);
    const call = new M._TokenShift();
    live++;
    try {
      setOptions(call, { n, d });
      for (const [name, arr] of arrays) {
        // Allocate first: the allocation may grow wasm memory and replace HEAPF32.
        const ptr = call.input(name, lengthOf.call(arr));
        heap().set(arr, ptr >>> 2);
      }
      const status = call.run();
      if (status) throw statusError(status);
      return read(call.output(), call.output_size());
    } finally {
      call.delete();
      live--;
    }
  }

  return Object.freeze({
    info: Object.freeze({ version: M._version(), simd }),
    variants: () => JSON.parse(variantsJson),
    run,
    createState,
    cost,
    twoOrders,
    memory,
    measure,
    recall,
    recallSweep,
    featureMap,
    tokenShift,
    // For leak tests: bytes malloc holds now, and Embind handles not yet deleted.
    _heapBytes: () => M._heap_in_use(),
    _liveObjects: () => live,
  });
}
