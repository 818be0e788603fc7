/**
 * A campaign's provider graph (GET /v1/campaigns/:name/graph) laid out in columns: each provider sits one
 * column left of the furthest provider it hands calls to, so calls flow left to right from where they
 * entered the network to where they terminated. `layoutGraph` is pure; `drawGraph` makes the SVG.
 */
import { s } from './dom.js';
import { counts } from './format.js';

export function layoutGraph(g) {
  const out = new Map(g.providers.map((p) => [p.id, []]));
  for (const e of g.edges) (out.get(e.from) ?? out.set(e.from, []).get(e.from)).push(e.to);
  // Distance to the furthest sink; a loop in the data (a case that ended `loop`) must not recurse forever.
  const depth = new Map();
  const visit = (id, seen) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(out.get(id) ?? []).map((to) => visit(to, seen))) + 1;
    seen.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const id of out.keys()) visit(id, new Set());
  const maxDepth = Math.max(0, ...depth.values());
  const columns = [];
  for (const p of g.providers) {
    const col = maxDepth - (depth.get(p.id) ?? 0);
    (columns[col] ??= []).push(p);
  }
  const pos = new Map();
  columns.forEach((ps, col) => ps?.forEach((p, row) => pos.set(p.id, { col, row })));
  return { columns: columns.length, rows: Math.max(1, ...columns.map((c) => c?.length ?? 0)), pos };
}

const W = 170;
const H = 58;
const GX = 120;
const GY = 36;
const PAD = 16;

export function drawGraph(g, title) {
  const { columns, rows, pos } = layoutGraph(g);
  const width = PAD * 2 + columns * W + (columns - 1) * GX;
  const height = PAD * 2 + rows * H + (rows - 1) * GY;
  const at = (id) => {
    const p = pos.get(id);
    return { x: PAD + p.col * (W + GX), y: PAD + p.row * (H + GY) };
  };
  const maxCalls = Math.max(1, ...g.edges.map((e) => e.calls));
  return s(
    'svg',
    { class: 'graph', role: 'img', 'aria-labelledby': 'graph-title graph-desc', viewBox: `0 0 ${width} ${height}`, width, height },
    s('title', { id: 'graph-title' }, title),
    s('desc', { id: 'graph-desc' }, g.edges.map((e) => `${e.from} handed ${e.calls} call(s) to ${e.to}`).join('; ')),
    s('defs', {}, s('marker', { id: 'graph-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z' }))),
    g.edges.map((e) => {
      const a = at(e.from);
      const b = at(e.to);
      const [x1, y1, x2, y2] = [a.x + W, a.y + H / 2, b.x, b.y + H / 2];
      return s(
        'g',
        { class: 'edge' },
        s('line', { x1, y1, x2: x2 - 2, y2, 'stroke-width': 1 + Math.round((4 * e.calls) / maxCalls), 'marker-end': 'url(#graph-arrow)' }),
        s('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, 'text-anchor': 'middle' }, `${e.calls} call(s)`),
      );
    }),
    g.providers.map((p) => {
      const { x, y } = at(p.id);
      const ended = counts(p.ended, true);
      return s(
        'g',
        { class: `node${Object.keys(p.ended).length ? ' ended' : ''}` },
        s('rect', { x, y, width: W, height: H, rx: 8 }),
        s('text', { x: x + W / 2, y: y + 22, 'text-anchor': 'middle', class: 'label' }, p.id),
        s('text', { x: x + W / 2, y: y + 40, 'text-anchor': 'middle', class: 'role' }, ended ? `ended: ${ended}` : `${p.calls} traceback(s)`),
      );
    }),
  );
}
