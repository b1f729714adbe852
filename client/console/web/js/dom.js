// Building the page safely. Everything another nation controls (message
// text, event ids, names, sources, remarks) reaches the page only through
// textContent: never innerHTML, never an attribute a browser interprets.

const SAFE_ATTRIBUTES = new Set([
  'class', 'type', 'name', 'value', 'placeholder', 'for', 'id', 'title',
  'disabled', 'checked', 'selected', 'min', 'max', 'step', 'rows', 'required',
  'role', 'aria-label', 'colspan', 'hidden',
]);

// h('div', {class: 'x', dataset: {id: 1}, onclick: fn}, 'text', child, ...)
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) el.dataset[k] = String(v);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (SAFE_ATTRIBUTES.has(key) || key.startsWith('data-')) {
      el.setAttribute(key, value === true ? '' : String(value));
    } else {
      throw new Error(`attribute ${key} is not allowed here`);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces an element's content.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
// SVG elements with numeric or fixed attributes only (the map).
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
