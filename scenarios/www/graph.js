// graph: a wait-for graph in SVG.  A node is a process; an edge goes from
// a process to the one holding what it waits for.  A cycle is a deadlock:
// its edges are drawn thick and dashed, and named in words.

import { svg } from './util.js';

// The processes on a cycle of waitsFor edges, in order (first found), or [].
export function findCycle(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const start of nodes) {
    const path = [];
    const seen = new Set();
    let n = start;
    while (n && !seen.has(n.id)) {
      seen.add(n.id);
      path.push(n.id);
      n = n.waitsFor === null || n.waitsFor === undefined ? null : byId.get(n.waitsFor);
    }
    if (n) {
      const at = path.indexOf(n.id);
      if (at >= 0) return path.slice(at);
    }
  }
  return [];
}

// Draw nodes ({id, label, detail, waitsFor, edgeLabel, dead}) into the
// <svg> element; its accessible name says the same in words.  The cycle.
export function drawWaitFor(root, nodes, what = 'processes') {
  const W = 360, H = 240, R = 20;
  const cycle = findCycle(nodes);
  const onCycle = new Set(cycle);
  root.replaceChildren();
  root.setAttribute('viewBox', `0 0 ${W} ${H}`);
  root.append(svg('defs', {},
    svg('marker', { id: root.id + '-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }))));
  const pos = new Map();
  const n = nodes.length;
  const rad = Math.min(W, H) / 2 - R - 22;
  nodes.forEach((node, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
    pos.set(node.id, n === 1 ? [W / 2, H / 2 - 8]
      : [W / 2 + rad * Math.cos(a), H / 2 - 8 + rad * Math.sin(a)]);
  });
  const words = [];
  for (const node of nodes) {
    if (node.waitsFor === null || node.waitsFor === undefined || !pos.has(node.waitsFor)) continue;
    const [x1, y1] = pos.get(node.id);
    const [x2, y2] = pos.get(node.waitsFor);
    const d = Math.hypot(x2 - x1, y2 - y1) || 1;
    const ux = (x2 - x1) / d, uy = (y2 - y1) / d;
    // Bent to its right, so that a->b and b->a (a deadlock of two) part.
    const bend = 22, mx = (x1 + x2) / 2 - uy * bend, my = (y1 + y2) / 2 + ux * bend;
    const inCycle = onCycle.has(node.id) && onCycle.has(node.waitsFor);
    const sx = x1 + ux * R - uy * 6, sy = y1 + uy * R + ux * 6;
    const ex = x2 - ux * (R + 2) - uy * 6, ey = y2 - uy * (R + 2) + ux * 6;
    root.append(svg('path', {
      d: `M${sx},${sy} Q${mx},${my} ${ex},${ey}`, fill: 'none',
      class: inCycle ? 'edge cycle' : 'edge', 'marker-end': `url(#${root.id}-arrow)`,
    }));
    if (node.edgeLabel) {
      root.append(svg('text', { x: mx - uy * 8, y: my + ux * 8 + 4,
        class: 'edge-label', 'text-anchor': 'middle' }, node.edgeLabel));
    }
    words.push(`${node.label} waits for ${byLabel(nodes, node.waitsFor)}` +
      (node.edgeLabel ? ` (${node.edgeLabel})` : ''));
  }
  for (const node of nodes) {
    const [x, y] = pos.get(node.id);
    const cls = ['node', node.dead ? 'dead' : '', onCycle.has(node.id) ? 'cycle' : '']
      .filter(Boolean).join(' ');
    root.append(svg('g', { class: cls },
      svg('circle', { cx: x, cy: y, r: R }),
      svg('text', { x, y: y + 4, 'text-anchor': 'middle', class: 'node-label' }, node.label),
      node.detail ? svg('text', { x, y: y + R + 12, 'text-anchor': 'middle',
        class: 'node-detail' }, node.detail) : null,
      node.dead ? svg('text', { x, y: y - R - 4, 'text-anchor': 'middle',
        class: 'node-detail' }, 'dead') : null));
  }
  if (cycle.length > 0) {
    root.append(svg('text', { x: 8, y: H - 8, class: 'cycle-label' },
      'DEADLOCK: ' + cycle.map((id) => byLabel(nodes, id)).concat(byLabel(nodes, cycle[0])).join(' \u2192 ')));
  }
  const name = `wait-for graph of ${n} ${what}` +
    (words.length ? ': ' + words.join('; ') : ': none waits') +
    (cycle.length ? '; DEADLOCK cycle: ' + cycle.map((id) => byLabel(nodes, id)).join(', ') : '');
  root.setAttribute('aria-label', name);
  return cycle;
}

function byLabel(nodes, id) {
  const n = nodes.find((x) => x.id === id);
  return n ? n.label : String(id);
}
