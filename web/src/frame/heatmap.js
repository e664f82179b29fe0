// Canvas heatmaps for matrices (scores, weights, states). Canvas because a 256 x 256 grid is 65k
// cells; the focus ring, labels and axes stay in SVG or HTML on top.
import { interpolateLab } from 'd3-interpolate';
import { rgb } from 'd3-color';

// A colour scale here is { domain: [lo, hi], lut: 256 rgb colours from lo to hi, (v) => css colour }.
// The tables depend only on the colours, so they are built once per colour scheme and reused.
const tables = new Map();
function table(key, interpolate) {
  let t = tables.get(key);
  if (!t) {
    t = Array.from({ length: 256 }, (_, k) => rgb(interpolate(k / 255)));
    tables.set(key, t);
  }
  return t;
}

function scale(lo, hi, lut) {
  const span = hi - lo || 1;
  const f = (v) => {
    const t = Math.round(((v - lo) / span) * 255);
    return lut[t < 0 ? 0 : t > 255 ? 255 : t];
  };
  const s = (v) => f(v).formatHex();
  s.domain = [lo, hi];
  s.lut = lut;
  s.rgbOf = f;
  return s;
}

// Diverging colours through the background: zero disappears into the page in light and dark mode.
export function divergingColor(widget, maxAbs) {
  const neg = widget.cssVar('--_neg');
  const bg = widget.cssVar('--_bg');
  const pos = widget.cssVar('--_pos');
  const m = maxAbs > 0 ? maxAbs : 1;
  const lo = interpolateLab(neg, bg);
  const hi = interpolateLab(bg, pos);
  return scale(-m, m, table(`d|${neg}|${bg}|${pos}`, (t) => (t < 0.5 ? lo(t * 2) : hi(t * 2 - 1))));
}

// Background to the accent colour, for weights in [0, max].
export function sequentialColor(widget, max, accent = '--_softmax') {
  const bg = widget.cssVar('--_bg');
  const fg = widget.cssVar(accent);
  return scale(0, max > 0 ? max : 1, table(`s|${bg}|${fg}`, interpolateLab(bg, fg)));
}

export function maxAbs(values) {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m) m = a;
  }
  return m;
}

// Size the canvas backing store to its CSS box times the device pixel ratio; returns a context
// whose units are CSS pixels.
export function prepareCanvas(canvas, width, height) {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

// values: row-major [rows, cols]. opts: { x, y, cell, color, masked(i, j), maskColor, maskHatch, gap,
// gapColor }. `color` is one of the scales above. gapColor fills the lines between cells, so a
// matrix of zeros still reads as a grid; maskHatch strikes masked cells through, so they never pass
// for small values.
//
// A 128 x 128 matrix is 16k cells: instead of a fillRect and a colour string per cell, the values
// are looked up in a 256-step colour table, written as one pixel each into a small image, and that
// image is drawn scaled up in one call; grid lines and hatching are one path each.
export function drawMatrix(ctx, values, rows, cols, opts) {
  const { x = 0, y = 0, cell, color, masked, maskColor, maskHatch, gapColor } = opts;
  // cells may be rectangles (cellW x cellH); `cell` gives both when they are squares
  const cw = opts.cellW ?? cell;
  const ch = opts.cellH ?? cell;
  const gapW = opts.gap ?? (cw >= 6 ? 1 : 0);
  const gapH = opts.gap ?? (ch >= 6 ? 1 : 0);
  const mask = maskColor ? rgb(maskColor) : null;
  const image = new ImageData(cols, rows);
  const px = image.data;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const o = (i * cols + j) * 4;
      const c = masked && masked(i, j) ? mask : color.rgbOf(values[i * cols + j]);
      px[o] = c.r;
      px[o + 1] = c.g;
      px[o + 2] = c.b;
      px[o + 3] = 255;
    }
  }
  const small = scratch(cols, rows);
  small.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, x, y, cols * cw, rows * ch);

  if ((gapW || gapH) && gapColor) {
    ctx.fillStyle = gapColor;
    ctx.beginPath();
    if (gapW) for (let j = 0; j < cols; j++) ctx.rect(x + (j + 1) * cw - gapW, y, gapW, rows * ch);
    if (gapH) for (let i = 0; i < rows; i++) ctx.rect(x, y + (i + 1) * ch - gapH, cols * cw, gapH);
    ctx.fill();
  }
  const s = cell - Math.max(gapW, gapH);
  if (masked && maskHatch && cell >= 8 && cw === ch) {
    ctx.strokeStyle = maskHatch;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++)
        if (masked(i, j)) {
          const cx = x + j * cw;
          const cy = y + i * ch;
          ctx.moveTo(cx + 2, cy + s - 2);
          ctx.lineTo(cx + s - 2, cy + 2);
        }
    ctx.stroke();
  }
}

// Small canvases reused across draws, one per size: creating a canvas (or resizing one) per draw
// costs more than drawing a 128 x 128 matrix into it.
const scratchCanvases = new Map();
function scratch(w, h) {
  const key = `${w}x${h}`;
  let c = scratchCanvases.get(key);
  if (!c) {
    if (scratchCanvases.size > 16) scratchCanvases.clear();
    c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    scratchCanvases.set(key, c);
  }
  return c;
}
