/**
 * A traceback's path as the call travelled it, left to right: where it came from (a customer, a foreign
 * network, or unknown), then each provider that handed it on, down to the terminating provider the trace
 * started at. Each arrow carries what the provider it points at answered: how it saw the call (source), the
 * time it recorded, how long its answer took. `pathModel` is pure; `drawPath` turns the model into SVG.
 */
import { s } from './dom.js';
import { clock, duration, hopTook } from './format.js';

/** Nodes left → right and arrows between consecutive nodes (arrows[i] goes from nodes[i] to nodes[i+1]). */
export function pathModel(c) {
  const hops = c.hops;
  const last = hops.at(-1);
  const nodes = [originNode(c, last)];
  const arrows = [];
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    nodes.push({ kind: 'provider', id: hop.provider, label: hop.provider, role: roleOf(c, i), state: hop.state, mode: hop.mode });
    arrows.push(arrowInto(hop));
  }
  return { nodes, arrows };
}

function originNode(c, last) {
  const m = last?.answer?.matches?.[0];
  if (last?.state === 'answered' && m?.customer) {
    return { kind: 'customer', label: m.customer.account ?? m.customer.name ?? 'customer', role: m.customer.name && m.customer.account ? m.customer.name : 'customer' };
  }
  if (last?.state === 'answered' && m?.upstream) {
    const role = c.status === 'foreign' ? 'abroad' : c.status === 'loop' ? 'already in the chain' : c.status === 'open' ? 'upstream' : 'not registered';
    return { kind: c.status === 'foreign' ? 'foreign' : 'upstream', label: m.upstream.providerId ?? m.upstream.name, role };
  }
  if (last?.state === 'answered' && last.answer?.result === 'originated') return { kind: 'customer', label: 'customer', role: 'not disclosed' };
  return { kind: 'unknown', label: '?', role: c.status === 'open' ? 'being asked' : 'unknown' };
}

function roleOf(c, i) {
  const hop = c.hops[i];
  if (i === c.hops.length - 1) {
    if (c.status === 'originated') return 'originator';
    if (c.status === 'foreign') return 'point of entry';
    if (hop.state === 'unanswered') return 'did not answer';
    if (hop.answer?.result === 'not_found') return 'no record';
    if (hop.state === 'pending') return hop.mode === 'manual' ? 'asked by hand' : 'asked';
  }
  return i === 0 ? 'terminating' : 'transit';
}

function arrowInto(hop) {
  const m = hop.answer?.matches?.[0];
  const took = hopTook(hop);
  if (hop.state === 'unanswered') return { source: 'no answer', time: `${hop.attempts.length} attempt(s)`, took: undefined, missing: true };
  if (hop.state === 'pending') return { source: 'waiting', time: '', took: undefined, missing: true };
  if (!m) return { source: hop.answer?.result === 'not_found' ? 'not found' : (hop.answer?.result ?? ''), time: '', took, missing: true };
  return { source: hop.answeredBy ? `${m.source} (by hand)` : m.source, time: clock(m.at), took, missing: false };
}

const NODE_W = 140;
const NODE_H = 52;
const GAP = 128;
const PAD = 12;

/** The model as an accessible SVG image (role img, title and description; the page also lists the hops as a table). */
export function drawPath(model, title) {
  const width = PAD * 2 + model.nodes.length * NODE_W + (model.nodes.length - 1) * GAP;
  const height = NODE_H + 30 + 56;
  const y = 30;
  const desc = model.nodes.map((n) => `${n.label} (${n.role})`).join(' → ');
  const x = (i) => PAD + i * (NODE_W + GAP);
  return s(
    'svg',
    { class: 'path', role: 'img', 'aria-labelledby': 'path-title path-desc', viewBox: `0 0 ${width} ${height}`, width, height },
    s('title', { id: 'path-title' }, title),
    s('desc', { id: 'path-desc' }, `The call travelled ${desc}`),
    s('defs', {}, s('marker', { id: 'arrowhead', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z' }))),
    model.arrows.map((a, i) => {
      const x1 = x(i) + NODE_W;
      const x2 = x(i + 1);
      const mid = (x1 + x2) / 2;
      return s(
        'g',
        { class: `arrow${a.missing ? ' missing' : ''}` },
        s('line', { x1: x1 + 2, y1: y + NODE_H / 2, x2: x2 - 2, y2: y + NODE_H / 2, 'marker-end': 'url(#arrowhead)' }),
        s('text', { x: mid, y: y + NODE_H / 2 - 8, 'text-anchor': 'middle', class: 'source' }, a.source),
        s('text', { x: mid, y: y + NODE_H / 2 + 18, 'text-anchor': 'middle', class: 'time' }, a.time ? `call at ${a.time}` : ''),
        s('text', { x: mid, y: y + NODE_H / 2 + 34, 'text-anchor': 'middle', class: 'took' }, a.took !== undefined ? `answered in ${duration(a.took)}` : ''),
      );
    }),
    model.nodes.map((n, i) =>
      s(
        'g',
        { class: `node ${n.kind} ${n.state ?? ''}`.trim() },
        s('rect', { x: x(i), y, width: NODE_W, height: NODE_H, rx: 8 }),
        s('text', { x: x(i) + NODE_W / 2, y: y + 22, 'text-anchor': 'middle', class: 'label' }, fit(n.label)),
        s('text', { x: x(i) + NODE_W / 2, y: y + 40, 'text-anchor': 'middle', class: 'role' }, fit(n.role)),
      ),
    ),
  );
}

/** Node boxes are fixed-width: long names are cut (the hop table below shows them whole). */
function fit(text, max = 19) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
