// An element directive that sets inline style properties through the CSSOM on every render, the
// first one included: <span ${cssProps({ width: `${w}px` })}>. Lit's styleMap writes a style
// *attribute* on first render, which a strict Content-Security-Policy (no 'unsafe-inline' styles)
// refuses; style.setProperty is allowed.
import { nothing } from 'lit';
import { Directive, PartType, directive } from 'lit/directive.js';

class CssProps extends Directive {
  constructor(part) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new TypeError('cssProps: use it on an element, e.g. <span ${cssProps({...})}>');
    this._keys = new Set();
  }

  render() {
    return nothing;
  }

  update(part, [props]) {
    const { style } = part.element;
    for (const k of this._keys) if (!(k in props)) style.removeProperty(toCss(k));
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined) style.removeProperty(toCss(k));
      else style.setProperty(toCss(k), String(v));
    }
    this._keys = new Set(Object.keys(props));
    return nothing;
  }
}

// width -> width, backgroundColor -> background-color, --cell stays as it is
function toCss(key) {
  return key.startsWith('--') ? key : key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export const cssProps = directive(CssProps);
