// SVG chart plumbing shared by the plots: the container's width (the figure redraws at any size,
// 375 px included), margins, and d3-axis drawn into <g> elements after Lit has rendered them.
import { axisBottom, axisLeft } from 'd3-axis';
import { select } from 'd3-selection';

export const MARGIN = { top: 14, right: 18, bottom: 44, left: 58 };

// Keeps widget._width equal to the width of `el` and re-renders on change.
export function observeWidth(widget, el) {
  if (widget._resize) return;
  widget._resize = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0].contentRect.width);
    if (w > 0 && w !== widget._width) {
      widget._width = w;
      widget.requestUpdate();
    }
  });
  widget._resize.observe(el);
}

export function unobserveWidth(widget) {
  widget._resize?.disconnect();
  widget._resize = null;
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 });
export const compactFormat = (v) => compact.format(v);

// Powers of ten inside [lo, hi] (log axes label only these).
export function decades(lo, hi) {
  const out = [];
  for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(10 ** e);
  return out;
}

// axis: { scale, values?, count?, format? }; innerWidth draws the horizontal grid lines.
export function drawAxes(root, { x, y, innerWidth }) {
  const gx = root.querySelector('g.axis.x');
  const gy = root.querySelector('g.axis.y');
  if (gx) {
    const a = axisBottom(x.scale).tickSizeOuter(0);
    if (x.values) a.tickValues(x.values);
    else a.ticks(x.count ?? 5);
    if (x.format) a.tickFormat(x.format);
    select(gx).call(a);
  }
  if (gy) {
    const a = axisLeft(y.scale).tickSize(-innerWidth).tickSizeOuter(0);
    if (y.values) a.tickValues(y.values);
    else a.ticks(y.count ?? 5);
    if (y.format) a.tickFormat(y.format);
    select(gy).call(a);
    select(gy).selectAll('.tick line').attr('class', 'gridline');
    select(gy).select('.domain').remove();
  }
}
