/**
 * Building DOM from data without ever parsing data as markup: text goes in as text nodes, attributes as
 * attributes. Every view builds its page with these, so a calling number like `<script>` stays text.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';

/** An HTML element: h('a', { href: '#/x', class: 'y' }, 'text', child, [more]). */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, same shape as h(). */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace everything inside `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form field: <div class="field"><label for=id>…</label><input id=id …><p class=hint id=id-hint>…</p></div>. */
export function field(label, control, hint) {
  const id = control.id;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/** Tell screen-reader users what changed (the page keeps one polite live region). */
export function announce(text) {
  const region = document.getElementById('announce');
  if (region) region.textContent = text;
}

/** A table with a caption and header cells scoped to their columns. rows: arrays of cells (strings or nodes). */
export function table(caption, headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((cell) => h('td', {}, cell))))),
  );
}
