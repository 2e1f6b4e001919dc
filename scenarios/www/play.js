// play: "you are the scheduler".  The server runs the level's processes,
// real `banklab worker` processes parked at their step points; the player
// releases them one step at a time (click, or press the process's
// number).  Every answer is the whole game state: this module draws it.

import { api, el, money } from './util.js';
import { drawWaitFor } from './graph.js';

const VARIANTS = ['none', 'semaphore', 'robust', 'ordered'];
const $ = (id) => document.getElementById(id);

export function initPlay() {
  const g = { levels: [], game: null, busy: false };

  // One request at a time; the state it answers is drawn, an error said.
  async function act(fn) {
    if (g.busy) return;
    g.busy = true;
    $('play').setAttribute('aria-busy', 'true');
    try {
      await fn();
      say('');
    } catch (e) {
      say(e.message);
    } finally {
      g.busy = false;
      $('play').setAttribute('aria-busy', 'false');
    }
  }

  function level() {
    return g.levels.find((l) => l.level === $('play-level').value) || null;
  }

  async function loadLevels() {
    const r = await api('GET', '/v1/levels');
    g.levels = r.levels;
    const sel = $('play-level');
    sel.replaceChildren(...g.levels.map((l) => el('option', { value: l.level },
      `${l.level}: ${l.title}`)), el('option', { value: '' }, 'a schedule of my own (paste it below)'));
    levelChosen();
  }

  function levelChosen() {
    const l = level();
    $('play-paste').hidden = l !== null;
    $('play-desc').textContent = l ? l.description : 'Paste a schedule text (as in scenarios/schedules/*.sched).';
    const vs = $('play-sync');
    vs.replaceChildren(...VARIANTS.map((v) => el('option', { value: v },
      v + (l && l.anomaly.includes(v) ? ' (shows the anomaly)' : l && l.clean.includes(v) ? ' (clean)' : ''))));
    if (l) vs.value = l.sync;
  }

  // A new game: of the chosen level (or pasted text), with steps to replay.
  async function start(steps) {
    const l = level();
    const body = l ? { level: l.level } : { schedule: $('play-text').value };
    body.sync = $('play-sync').value;
    if (steps) body.steps = steps;
    await end();
    $('play-explore').textContent = '';
    draw(await api('POST', '/v1/play', body));
  }

  async function end() {
    if (!g.game) return;
    const id = g.game.id;
    g.game = null;
    try {
      await api('DELETE', '/v1/play/' + id);
    } catch {
      // Ended already (idle): nothing to do.
    }
  }

  function post(what, body = {}) {
    return api('POST', `/v1/play/${g.game.id}/${what}`, body);
  }

  function draw(s) {
    g.game = s;
    $('play-game').hidden = false;
    $('play-title').textContent = `${s.level ?? 'your schedule'}: ${s.title} \u2014 variant ${s.sync}, ${s.nsteps} step${s.nsteps === 1 ? '' : 's'}`;
    $('play-sync').value = s.sync;
    drawProcesses(s);
    drawLedger(s);
    drawTimeline(s);
    drawOutcome(s);
    const nodes = s.processes.map((p) => ({
      id: p.index, label: p.name, waitsFor: p.holder ?? null,
      edgeLabel: p.waits_for === null ? '' : p.waits_for === 'semaphore' ? 'sem' : '#' + p.waits_for,
      detail: p.state === 'parked' || p.state === 'waiting' ? '' : p.state,
      dead: p.state === 'dead' || p.state === 'killed',
    }));
    drawWaitFor($('play-graph'), nodes, 'processes of the game');
    history.replaceState(null, '', '#' + gameHash(s));
  }

  function gameHash(s) {
    const h = new URLSearchParams();
    if (s.level) h.set('level', s.level);
    else h.set('schedule', $('play-text').value);
    h.set('sync', s.sync);
    if (s.steps) h.set('steps', s.steps);
    return h.toString();
  }

  function stateWords(p) {
    switch (p.state) {
    case 'parked': return `next: ${p.at}`;
    case 'waiting': return `\u2016 waiting for ${p.waits_for === 'semaphore' ? 'the semaphore' : '#' + p.waits_for}` +
      (p.holder !== null && p.holder !== undefined ? `, held by ${g.game.processes[p.holder].name}` : '');
    case 'done': return '\u2714 done';
    default: return '\u2716 ' + p.state;
    }
  }

  function drawProcesses(s) {
    const l = level();
    const kills = l ? l.kills : false;
    $('play-procs').replaceChildren(...s.processes.map((p, i) => el('li', { class: 'proc ' + p.state },
      el('button', {
        type: 'button', class: 'step', disabled: !p.can_step || s.over,
        'aria-keyshortcuts': i < 9 ? String(i + 1) : null,
        'aria-label': `process ${i + 1}, ${p.name}, pid ${p.pid}: ${p.ops}; ${stateWords(p)}` +
          (p.can_step && !s.over ? '. Release it one step.' : ''),
        onclick: () => actions.step(i),
      },
      el('kbd', {}, i < 9 ? String(i + 1) : ''), ' ',
      el('strong', {}, p.name), ` (pid ${p.pid}) `,
      el('span', { class: 'ops' }, p.ops), el('br'),
      el('span', { class: 'state' }, stateWords(p))),
      kills ? el('button', { type: 'button', class: 'kill', disabled: p.state !== 'parked' || s.over,
        'aria-keyshortcuts': i < 9 ? 'Shift+' + (i + 1) : null,
        'aria-label': `kill process ${i + 1}, ${p.name}, where it is parked`,
        onclick: () => actions.kill(i) }, '\u2620 kill') : null)));
  }

  // The game's ledger now.  Its expected_total is the total at the start:
  // a level's deposits and withdrawals move it, so the judgement is the
  // verdict's (when the game is over), not a sum's.
  function drawLedger(s) {
    $('play-ledger').replaceChildren(
      ...s.balances.map((c, i) => el('span', { class: 'acct' }, `#${i} ${money(c)}`)),
      el('span', { class: 'total' }, `total ${money(s.total)} (at the start ${money(s.expected_total)})`));
  }

  function drawTimeline(s) {
    const rows = s.timeline.rows;
    const fresh = rows.length - (s.new_rows ?? 0);
    $('play-timeline').replaceChildren(
      el('span', { class: 'head' }, s.timeline.header.trimEnd()), '\n',
      ...rows.flatMap((r, i) => [el('span', { class: i >= fresh ? 'row new' : 'row' }, r.line.trimEnd()), '\n']));
    // What a screen reader says: the new rows only, not the whole table.
    $('play-last').textContent = rows.slice(fresh).map((r) =>
      `step ${r.n}: ${s.processes[r.process]?.name ?? ''} ${r.cell}`).join('; ');
  }

  function drawOutcome(s) {
    const out = $('play-outcome');
    if (!s.over && !s.won) {
      out.hidden = true;
      return;
    }
    out.hidden = false;
    out.className = s.won ? 'outcome won' : 'outcome';
    const link = location.pathname + '#' + gameHash(s);
    out.replaceChildren(...[
      el('p', { class: 'verdict-line' }, s.won ? '\u2714 You won: ' : 'Over: ', s.verdict ?? ''),
      s.lesson ? el('p', { id: 'play-lesson' }, s.lesson) : null,
      !s.won ? el('p', {}, `Not won under ${s.sync}. Undo (u), restart (r), or give up (g) to see every interleaving.`) : null,
      s.replay ? el('p', {}, 'The same steps with banklab-sched: ', el('code', { id: 'play-replay' }, s.replay)) : null,
      el('p', {}, el('a', { id: 'play-link', href: link }, 'A link to this game'), ' (it replays these steps).'),
    ].filter(Boolean));
  }

  const actions = {
    step: (i) => act(async () => {
      const p = g.game && g.game.processes[i];
      if (!p || !p.can_step || g.game.over) throw new Error(p ? `process ${i + 1} cannot move now` : `no process ${i + 1}`);
      draw(await post('step', { process: i }));
    }),
    kill: (i) => act(async () => {
      const p = g.game && g.game.processes[i];
      if (!p || p.state !== 'parked' || g.game.over) throw new Error(`process ${i + 1} cannot be killed now`);
      draw(await post('step', { process: i, kill: true }));
    }),
    undo: () => act(async () => {
      if (!g.game || g.game.nsteps === 0) throw new Error('nothing to undo');
      draw(await post('undo'));
    }),
    restart: () => act(async () => {
      if (!g.game) throw new Error('no game: start one (n)');
      $('play-explore').textContent = '';
      draw(await post('replay', { keep: 0 }));
    }),
    variant: (sync) => act(async () => {
      if (!g.game) throw new Error('no game: start one (n)');
      const next = sync ?? VARIANTS[(VARIANTS.indexOf(g.game.sync) + 1) % VARIANTS.length];
      $('play-explore').textContent = '';
      draw(await post('replay', { sync: next }));
    }),
    finish: () => act(async () => {
      if (!g.game || g.game.over) throw new Error('no game running');
      draw(await post('finish'));
    }),
    giveup: () => act(async () => {
      if (!g.game) throw new Error('no game: start one (n)');
      $('play-explore').textContent = `exploring every interleaving under ${g.game.sync}\u2026 (each one is run: this can take a while)`;
      const r = await post('explore').catch((e) => {
        $('play-explore').textContent = '';
        throw e;
      });
      $('play-explore').replaceChildren(...[el('p', {}, r.text),
        r.replay ? el('p', {}, 'One that does: ', el('code', {}, r.replay)) : null].filter(Boolean));
    }),
    start: () => act(() => start()),
    level: () => $('play-level').focus(),
  };

  // A link (#level=race&sync=none&steps=p1+p2) restores its game.
  async function restore() {
    const h = new URLSearchParams(location.hash.slice(1));
    if (!h.has('level') && !h.has('schedule')) return;
    if (g.game && '#' + gameHash(g.game) === location.hash) return;
    $('play-level').value = h.get('level') ?? '';
    if (h.has('schedule')) $('play-text').value = h.get('schedule');
    levelChosen();
    if (h.has('sync')) $('play-sync').value = h.get('sync');
    await act(() => start(h.get('steps') || undefined));
  }

  $('play-level').addEventListener('change', levelChosen);
  $('play-form').addEventListener('submit', (e) => {
    e.preventDefault();
    actions.start();
  });
  $('play-sync').addEventListener('change', () => {
    if (g.game && $('play-sync').value !== g.game.sync) actions.variant($('play-sync').value);
  });
  for (const [id, a] of [['play-undo', 'undo'], ['play-restart', 'restart'], ['play-variant', 'variant'],
    ['play-finish', 'finish'], ['play-giveup', 'giveup']]) {
    $(id).addEventListener('click', () => actions[a]());
  }
  window.addEventListener('hashchange', restore);
  window.addEventListener('pagehide', () => {
    if (g.game) fetch('/v1/play/' + g.game.id, { method: 'DELETE', keepalive: true }).catch(() => {});
  });
  loadLevels().then(restore).catch((e) => say('levels: ' + e.message));
  return actions;

  function say(text) {
    $('play-msg').textContent = text;
  }
}
