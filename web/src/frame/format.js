// Number formatting for readouts, tables and announcements (presentation only).

const whole = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const words = new Intl.NumberFormat('en', { notation: 'compact', compactDisplay: 'long', maximumSignificantDigits: 3 });
const sig = new Intl.NumberFormat('en', { maximumSignificantDigits: 4 });

// 64000000 -> "64,000,000"
export function grouped(x) {
  return whole.format(x);
}

// 64000000 -> "64 million"; small numbers stay as they are
export function inWords(x) {
  return Math.abs(x) < 10000 ? whole.format(x) : words.format(x);
}

// Rounded to 4 significant digits: ratios, times
export function short(x) {
  return sig.format(x);
}

// Scores, weights and state entries: fixed width so columns line up
export function fixed(x, digits = 3) {
  if (!Number.isFinite(x)) return String(x);
  return (x < 0 || Object.is(x, -0) ? '−' : '') + Math.abs(x).toFixed(digits);
}

// A max difference of float32 results: 3.1e-7, or "0" when exactly equal
export function tiny(x) {
  return x === 0 ? '0' : x.toExponential(1).replace('-', '−');
}

// Milliseconds with a sensible unit
export function duration(ms) {
  if (ms >= 1000) return `${short(ms / 1000)} s`;
  if (ms >= 1) return `${short(ms)} ms`;
  return `${short(ms * 1000)} µs`;
}
