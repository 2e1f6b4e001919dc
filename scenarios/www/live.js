// live: the ledger as it is now, from /v1/events (Server-Sent Events: the
// server pushes, the page never polls).  Accounts as bars, the total
// against the books, operations per second, repairs, and the processes as
// a table and a wait-for graph.

import { api, el, money, svg, verdict } from './util.js';
import { drawWaitFor } from './graph.js';

const RATE_WINDOW_MS = 1000;
const LOG_KEEP = 8;

const $ = (id) => document.getElementById(id);

export function startLive() {
  const st = { samples: [], books: 0, accounts: 0 };
  api('GET', '/v1/ledger').then((l) => {
    $('live-name').textContent = l.name;
    st.accounts = l.accounts;
  }).catch((e) => note('ledger: ' + e.message));

  const es = new EventSource('/v1/events');
  es.addEventListener('open', () => {
    $('live-conn').textContent = 'live';
    $('live-conn').className = 'tag ok';
  });
  es.addEventListener('error', () => {
    const closed = es.readyState === EventSource.CLOSED;
    $('live-conn').textContent = closed ? 'stopped (reload the page)' : 'reconnecting\u2026';
    $('live-conn').className = 'tag bad';
  });
  es.addEventListener('summary', (e) => summary(st, JSON.parse(e.data)));
  es.addEventListener('accounts', (e) => bars(st, JSON.parse(e.data)));
  es.addEventListener('processes', (e) => processes(JSON.parse(e.data)));
  // One event per anomaly, as the ring in the segment has them (the
  // fields are the server's: GET /v1/events in the README).
  const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const on = (kind, text) => es.addEventListener(kind, (e) => log(text(JSON.parse(e.data))));
  on('lost_update', (d) => `lost update on #${d.account}: pid ${d.pid} overwrote ` +
    `${plural(d.overwrote, 'write')} of pid ${d.overwritten_pid} (it had read version ${d.version_read})`);
  on('repair', (d) => `repair of #${d.account} by pid ${d.pid}: dead pid ${d.dead_pid}'s ` +
    `half-done operation undone (${money(d.found_cents)} found, ${money(d.restored_cents)} restored)`);
  on('dead_holder', (d) => `dead holder: pid ${d.dead_pid} died holding #${d.account}`);
  on('deadlock', (d) => `DEADLOCK: ${d.processes} processes on a wait-for cycle ` +
    `(pid ${d.pid} waits for #${d.waits_for}, held by pid ${d.holder_pid})`);
  on('dropped', (d) => `${plural(d.missed, 'event')} missed (the server's ring moved on)`);
  return es;
}

function summary(st, s) {
  const v = verdict(s.total_cents, s.books_cents);
  const t = $('live-total');
  t.className = 'verdict ' + v.cls;
  t.textContent = `${v.icon} total ${money(s.total_cents)} against the books ${money(s.books_cents)}: ${v.word}`;
  st.books = s.books_cents;
  const now = performance.now();
  st.samples.push([now, s.ops]);
  while (st.samples.length > 2 && now - st.samples[1][0] >= RATE_WINDOW_MS) st.samples.shift();
  const [t0, ops0] = st.samples[0];
  const rate = now > t0 ? ((s.ops - ops0) * 1000) / (now - t0) : 0;
  $('live-rate').textContent = Math.max(0, Math.round(rate)).toLocaleString('en');
  $('live-ops').textContent = s.ops.toLocaleString('en');
  $('live-lost').textContent = s.lost_updates.toLocaleString('en');
  $('live-lost').parentElement.className = s.lost_updates > 0 ? 'bad' : '';
  $('live-repairs').textContent = s.repairs.toLocaleString('en');
  $('live-dead').textContent = `${s.dead_holders} dead holding, ${s.deadlocked} deadlocked`;
  $('live-dead').parentElement.className = s.dead_holders + s.deadlocked > 0 ? 'bad' : '';
  $('live-variant').textContent = s.variant;
  $('live-teller').textContent = String(s.teller);
}

function bars(st, a) {
  const root = $('bars');
  const b = a.balances_cents;
  const W = 640, H = 160, gap = 2;
  const fair = a.accounts > 0 && st.books > 0 ? st.books / a.accounts : 0;
  const top = Math.max(1, a.max_cents, ...b, fair * 1.5);
  // Room for the bars there are, and at least for 16 (a few stay narrow).
  const slots = Math.max(b.length, 16);
  const w = (W - gap * slots) / slots;
  root.replaceChildren();
  root.setAttribute('viewBox', `0 0 ${W} ${H + 14}`);
  root.setAttribute('preserveAspectRatio', 'none');
  b.forEach((c, i) => {
    const h = c > 0 ? Math.max(1, (c / top) * H) : 0;
    root.append(svg('rect', { x: i * (w + gap), y: H - h, width: w, height: h,
      class: c < 0 ? 'bar neg' : 'bar' }, svg('title', {}, `account ${i}: ${money(c)}`)));
    if (c < 0) {
      root.append(svg('text', { x: i * (w + gap) + w / 2, y: H + 12, 'text-anchor': 'middle',
        class: 'neg-mark' }, '\u2212'));
    }
  });
  if (fair > 0) {
    const y = H - (fair / top) * H;
    root.append(svg('line', { x1: 0, x2: W, y1: y, y2: y, class: 'fair' }));
  }
  root.dataset.balances = b.join(' ');
  const shown = b.length < a.accounts ? `the first ${b.length} of ${a.accounts} accounts` : `${a.accounts} accounts`;
  root.setAttribute('aria-label', `balances of ${shown}; least ${money(a.min_cents)}, greatest ${money(a.max_cents)}`);
  $('bars-summary').textContent = `${shown} shown as bars (the line: an equal share). ` +
    `All ${a.accounts}: least ${money(a.min_cents)}, greatest ${money(a.max_cents)}.`;
}

function acct(a) {
  return a === 'semaphore' ? 'the semaphore' : '#' + a;
}

function processes(p) {
  const list = p.processes;
  const body = $('proc-rows');
  body.replaceChildren(...list.map((x) => el('tr', { class: x.state === 'dead' ? 'bad' : '' },
    el('td', {}, String(x.pid)),
    el('td', {}, x.variant),
    el('td', {}, x.holds.length ? x.holds.map(acct).join(', ') : '\u2014'),
    el('td', {}, x.waits === null ? '\u2014' : acct(x.waits) +
      (x.waits_for_pid ? ` (held by ${x.waits_for_pid})` : '')),
    el('td', {}, x.state === 'dead' ? '\u2716 dead' : 'alive'))));
  $('proc-more').textContent = p.more ? `and ${p.more} more not shown` : '';
  const nodes = list.map((x) => ({
    id: x.pid, label: String(x.pid),
    detail: x.holds.length ? 'holds ' + x.holds.map(acct).join(',') : '',
    waitsFor: x.waits_for_pid ?? null,
    edgeLabel: x.waits === null ? '' : acct(x.waits),
    dead: x.state === 'dead',
  }));
  drawWaitFor($('graph'), nodes);
}

function log(text) {
  const ol = $('live-log');
  const time = new Date().toLocaleTimeString('en-GB');
  ol.prepend(el('li', {}, `${time} ${text}`));
  while (ol.children.length > LOG_KEEP) ol.lastElementChild.remove();
}

function note(text) {
  log(text);
}
