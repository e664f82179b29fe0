// The benchmark's kernels written the straightforward way in JavaScript: Float32Array storage,
// plain loops, Math.exp. What a lesson page would do without the wasm core. Each takes the same
// named buffers as the case in bench/kernels.cpp (copies read out of the module) and returns the
// buffers the module writes, so run.mjs can check both give the same result before timing either.

function gemm_nt({ A, B, C }, [m, n, k]) {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p] * B[j * k + p];
      C[i * n + j] = s;
    }
  return { C };
}

function gemm_nn_acc({ A, B, C }, [m, n, k]) {
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p];
      for (let j = 0; j < n; j++) C[i * n + j] += a * B[p * n + j];
    }
  return { C };
}

function gemm_tn_acc({ A, B, C }, [m, n, k]) {
  for (let p = 0; p < k; p++)
    for (let i = 0; i < m; i++) {
      const a = A[p * m + i];
      for (let j = 0; j < n; j++) C[i * n + j] += a * B[p * n + j];
    }
  return { C };
}

// Online softmax over key blocks of 64, as the core does it.
function causal_softmax({ Q, K, V, out }, [n, dk, dv]) {
  const B = 64;
  const scale = Math.fround(1 / Math.sqrt(dk));
  const sc = new Float32Array(B * B);
  const acc = new Float32Array(B * dv);
  const m = new Float32Array(B);
  const l = new Float32Array(B);
  for (let i0 = 0; i0 < n; i0 += B) {
    const bi = Math.min(B, n - i0);
    m.fill(-Infinity);
    l.fill(0);
    acc.fill(0);
    for (let j0 = 0; j0 <= i0; j0 += B) {
      const bj = Math.min(B, n - j0);
      for (let i = 0; i < bi; i++) {
        const t = i0 + i;
        let mx = m[i];
        for (let j = 0; j < bj; j++) {
          let s = -Infinity;
          if (j0 + j <= t) {
            s = 0;
            for (let c = 0; c < dk; c++) s += Q[t * dk + c] * K[(j0 + j) * dk + c];
            s *= scale;
          }
          sc[i * bj + j] = s;
          if (s > mx) mx = s;
        }
        const c = m[i] === -Infinity ? 0 : Math.exp(m[i] - mx);
        let rs = 0;
        for (let j = 0; j < bj; j++) {
          const e = Math.exp(sc[i * bj + j] - mx);
          sc[i * bj + j] = e;
          rs += e;
        }
        l[i] = c * l[i] + rs;
        for (let q = 0; q < dv; q++) acc[i * dv + q] *= c;
        m[i] = mx;
      }
      for (let i = 0; i < bi; i++)
        for (let j = 0; j < bj; j++) {
          const p = sc[i * bj + j];
          for (let q = 0; q < dv; q++) acc[i * dv + q] += p * V[(j0 + j) * dv + q];
        }
    }
    for (let i = 0; i < bi; i++)
      for (let q = 0; q < dv; q++) out[(i0 + i) * dv + q] = acc[i * dv + q] / l[i];
  }
  return { out };
}

// Recurrences: T tokens from a zero state, each row of S updated and read in the same loop.
function linear({ q, k, v, S, out }, [T, d]) {
  S.fill(0);
  for (let t = 0; t < T; t++) {
    const o = t * d;
    for (let j = 0; j < d; j++) out[o + j] = 0;
    for (let i = 0; i < d; i++) {
      const ki = k[o + i], qi = q[o + i];
      for (let j = 0; j < d; j++) {
        const s = S[i * d + j] + ki * v[o + j];
        S[i * d + j] = s;
        out[o + j] += qi * S[i * d + j];
      }
    }
  }
  return { out, S };
}

function decay({ q, k, v, a, S, out }, [T, d]) {
  S.fill(0);
  for (let t = 0; t < T; t++) {
    const o = t * d;
    for (let j = 0; j < d; j++) out[o + j] = 0;
    for (let i = 0; i < d; i++) {
      const ai = a[o + i], ki = k[o + i], qi = q[o + i];
      for (let j = 0; j < d; j++) {
        S[i * d + j] = ai * S[i * d + j] + ki * v[o + j];
        out[o + j] += qi * S[i * d + j];
      }
    }
  }
  return { out, S };
}

function delta({ q, k, v, beta, S, out }, [T, d]) {
  S.fill(0);
  const u = new Float32Array(d);
  for (let t = 0; t < T; t++) {
    const o = t * d;
    u.fill(0);
    for (let i = 0; i < d; i++) {
      const ki = k[o + i];
      for (let j = 0; j < d; j++) u[j] += ki * S[i * d + j];
    }
    for (let j = 0; j < d; j++) {
      u[j] = beta[t] * (v[o + j] - u[j]);
      out[o + j] = 0;
    }
    for (let i = 0; i < d; i++) {
      const ki = k[o + i], qi = q[o + i];
      for (let j = 0; j < d; j++) {
        S[i * d + j] += ki * u[j];
        out[o + j] += qi * S[i * d + j];
      }
    }
  }
  return { out, S };
}

function rwkv7({ q, k, v, w, kappa, a, S, out }, [T, d]) {
  S.fill(0);
  const x = new Float32Array(d);
  for (let t = 0; t < T; t++) {
    const o = t * d;
    x.fill(0);
    for (let i = 0; i < d; i++) {
      const ci = kappa[o + i];
      for (let j = 0; j < d; j++) x[j] += ci * S[i * d + j];
    }
    for (let j = 0; j < d; j++) out[o + j] = 0;
    for (let i = 0; i < d; i++) {
      const wi = w[o + i], ci = -kappa[o + i] * a[o + i], ki = k[o + i], ri = q[o + i];
      for (let j = 0; j < d; j++) {
        S[i * d + j] = wi * S[i * d + j] + ci * x[j] + ki * v[o + j];
        out[o + j] += ri * S[i * d + j];
      }
    }
  }
  return { out, S };
}

function selective_scan({ u, delta, A, B, C, Dskip, h, out }, [T, D, N]) {
  h.fill(0);
  for (let t = 0; t < T; t++)
    for (let d = 0; d < D; d++) {
      const dt = delta[t * D + d], ud = u[t * D + d];
      let y = 0;
      for (let i = 0; i < N; i++) {
        const hi = Math.exp(dt * A[d * N + i]) * h[d * N + i] + dt * ud * B[t * N + i];
        h[d * N + i] = hi;
        y += C[t * N + i] * hi;
      }
      out[t * D + d] = y + Dskip[d] * ud;
    }
  return { out, h };
}

export const jsKernels = { gemm_nt, gemm_nn_acc, gemm_tn_acc, causal_softmax, linear, decay, delta, rwkv7, selective_scan };

// bench_calibrate() and bench_time() of kernels.cpp for the JS versions: warm-up for warmMs (and
// 2 calls), reps doubled until a batch lasts batchMs / 4 and scaled to about batchMs. clock()
// returns milliseconds (performance.now, or CPU time with run.mjs --clock cpu).
export function calibrateJs(fn, { warmMs, batchMs, clock = () => performance.now() }) {
  const w0 = clock();
  for (let calls = 0; calls < 2 || clock() - w0 < warmMs; calls++) fn();
  let reps = 1;
  let t = timeJs(fn, reps, clock) * reps;
  while (t < batchMs / 4 && reps < 1 << 24) {
    reps *= 2;
    t = timeJs(fn, reps, clock) * reps;
  }
  return Math.max(1, Math.ceil((reps * batchMs) / Math.max(t, 1e-3)));
}

// Milliseconds per call over one batch of `reps` calls.
export function timeJs(fn, reps, clock = () => performance.now()) {
  const t0 = clock();
  for (let i = 0; i < reps; i++) fn();
  return (clock() - t0) / reps;
}
