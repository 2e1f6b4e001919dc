// page.mjs URL: banklab's page in Debian's chromium, driven by
// playwright-core (no browser of its own).  tests/check_browser.sh starts
// the server and passes its address; environment: BANKLAB (the banklab
// program), BANKLAB_SCHED (banklab-sched), BANKLAB_LEDGER (the server's
// ledger), CHROMIUM, SHOTS (where the screenshots go), PROFILE (a fresh,
// empty --user-data-dir).
// Prints one line per check and "N passed, N failed"; exit 0 if none failed.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const url = process.argv[2];
const env = process.env;
const WAIT = 8000;          // ms for anything the page should show
let passed = 0;
let failed = 0;
const problems = [];        // console errors, failed requests

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`PASS: ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL: ${name}: ${String(e.message || e).split('\n')[0]} (${Date.now() - t0} ms)`);
  }
}

function assert(cond, what) {
  if (!cond) throw new Error(what);
}

// `banklab ARGS...` to its end; its exit code and output.
function banklab(args) {
  return program(env.BANKLAB, args);
}

function program(path, args) {
  return new Promise((resolve) => {
    const p = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code, out }));
  });
}

async function json(path) {
  const r = await fetch(new URL(path, url));
  return r.json();
}

const money = (c) => (c < 0 ? '-' : '') + Math.floor(Math.abs(c) / 100) + '.' +
  String(Math.abs(c) % 100).padStart(2, '0');

const ctx = await chromium.launchPersistentContext(env.PROFILE, {
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1200, height: 900 },
});
let closing = false;
function watch(page) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !closing) problems.push('console: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => {
    if (!closing) problems.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return page;
}

try {
  const page = watch(await ctx.newPage());
  page.setDefaultTimeout(WAIT);

  await check('the page loads, goes live, and says the total is kept', async () => {
    await page.goto(url);
    await page.locator('#live-conn', { hasText: 'live' }).waitFor();
    await page.locator('#live-total', { hasText: 'kept' }).waitFor();
    assert(await page.locator('#live-name').textContent() === env.BANKLAB_LEDGER, 'ledger name');
  });

  await check('balances move while banklab run works the ledger', async () => {
    // Count the balances the bars show, each new one once.
    await page.evaluate(() => {
      const bars = document.getElementById('bars');
      const rate = document.getElementById('live-rate');
      const values = new Set([bars.dataset.balances]);
      window.seen = { moves: 0, rate: 0 };
      new MutationObserver(() => {
        values.add(bars.dataset.balances);
        window.seen.moves = values.size - 1;
      })
        .observe(bars, { attributes: true, attributeFilter: ['data-balances'] });
      new MutationObserver(() => {
        window.seen.rate = Math.max(window.seen.rate, Number(rate.textContent.replace(/,/g, '')));
      }).observe(rate, { childList: true, characterData: true, subtree: true });
    });
    const before = await page.locator('#bars').getAttribute('data-balances');
    const run = await banklab(['run', env.BANKLAB_LEDGER, '--procs', '2', '--ops', '1500',
      '--window', '200', '--sync', 'none', '--seed', '1']);
    assert(run.code === 0 || run.code === 1, `banklab run: exit ${run.code}: ${run.out}`);
    const seen = await page.evaluate(() => window.seen);
    assert(seen.moves >= 3, `the bars showed ${seen.moves} new balances while the run worked`);
    assert(seen.rate > 0, 'operations per second never above 0');
    assert(await page.locator('#bars').getAttribute('data-balances') !== before, 'balances as before');
  });

  await check('the page says what the server says of the total', async () => {
    const l = await json('/v1/ledger');
    const word = l.check.lost_cents === 0 ? 'kept' : l.check.lost_cents > 0
      ? 'LOST ' + money(l.check.lost_cents) : 'CREATED ' + money(-l.check.lost_cents);
    await page.locator('#live-total', { hasText: word }).waitFor();
    await page.locator('#live-lost', { hasText: l.check.lost_updates.toLocaleString('en') }).waitFor();
    // The run under none lost updates: each is an event in the log, said
    // with the server's fields (a field the page misnames reads undefined).
    await page.locator('#live-log li', { hasText: /lost update on #\d+: pid \d+ overwrote \d+ write/ })
      .first().waitFor();
    const said = await page.locator('#live-log').textContent();
    assert(!/undefined|NaN/.test(said), `the log says: ${said.slice(0, 300)}`);
    await page.screenshot({ path: `${env.SHOTS}/live.png` });
  });

  // The race level, won by clicking; the steps of race.sched's first
  // permutation (p1 p2 p1 p2), then whoever can move, until it is over.
  let replay = '';
  await check('the race level is won by clicking', async () => {
    await page.locator('#play-level option[value="race"]').waitFor({ state: 'attached' });
    await page.selectOption('#play-level', 'race');
    await page.selectOption('#play-sync', 'none');
    await page.click('#play-start');
    await page.locator('#play-procs li').nth(1).waitFor();
    const order = [0, 1, 0, 1];
    for (let n = 0; n < 12 && !(await page.locator('#play-outcome').isVisible()); n++) {
      const steps = await page.locator('#play-title').textContent();
      let i = order[n];
      if (i === undefined || await page.locator('#play-procs li .step').nth(i).isDisabled()) {
        i = await page.locator('#play-procs li .step').evaluateAll((bs) => bs.findIndex((b) => !b.disabled));
      }
      assert(i >= 0, 'no process can move, and the game is not over');
      await page.locator('#play-procs li .step').nth(i).click();
      await page.waitForFunction((t) => document.getElementById('play-title').textContent !== t, steps);
    }
    await page.locator('#play-outcome.won').waitFor();
    assert((await page.locator('#play-outcome').textContent()).includes('You won'), 'no "You won"');
  });

  // The page's replay line, run: banklab-sched prints the same line, and
  // the same verdict.
  await check('the replay line, run, is banklab-sched\'s own', async () => {
    replay = (await page.locator('#play-replay').textContent()).trim();
    const words = [...replay.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
    assert(words[0] === 'banklab-sched', `replay line: "${replay}"`);
    const run = await program(env.BANKLAB_SCHED, words.slice(1));
    assert(run.out.split('\n').some((l) => l.trim() === 'replay: ' + replay),
      `banklab-sched prints another replay line: ${run.out}`);
    const verdict = (await page.locator('#play-outcome .verdict-line').textContent()).replace(/^.*won: /, '');
    assert(run.out.includes('=> ' + verdict + ' ('), `banklab-sched's verdict is not "${verdict}": ${run.out}`);
    const rows = await page.locator('#play-timeline .row').count();
    assert(rows >= 4, `${rows} rows in the timeline`);
    await page.screenshot({ path: `${env.SHOTS}/page.png`, fullPage: true });
  });

  await check('u undoes a step, and the number key takes it again', async () => {
    const title = await page.locator('#play-title').textContent();
    const n = Number(/(\d+) steps?/.exec(title)[1]);
    await page.keyboard.press('u');
    await page.locator('#play-title', { hasText: `${n - 1} step` }).waitFor();
    assert(!(await page.locator('#play-outcome').isVisible()), 'still won after undo');
    const i = await page.locator('#play-procs li .step').evaluateAll((bs) => bs.findIndex((b) => !b.disabled));
    await page.keyboard.press(String(i + 1));
    await page.locator('#play-title', { hasText: `${n} step` }).waitFor();
  });

  await check('the link restores the game', async () => {
    const href = await page.locator('#play-link').getAttribute('href');
    const other = watch(await ctx.newPage());
    other.setDefaultTimeout(WAIT);
    await other.goto(new URL(href, url).href);
    await other.locator('#play-outcome.won').waitFor();
    const again = (await other.locator('#play-replay').textContent()).trim();
    await other.close({ runBeforeUnload: true });
    assert(again === replay, `"${again}" is not "${replay}"`);
  });

  await check('v replays the same steps under the next variant: not won', async () => {
    await page.keyboard.press('v');
    await page.locator('#play-title', { hasText: 'variant semaphore' }).waitFor();
    assert(!(await page.locator('#play-outcome.won').isVisible()), 'won under semaphore');
  });

  await check('g gives up: every interleaving explored', async () => {
    await page.keyboard.press('g');
    await page.locator('#play-explore', { hasText: /\d+ interleavings explored/ }).waitFor();
  });

  // The deadlock level by keys alone: n starts it, 1 2 1 2 takes each
  // transfer's first lock; the game's wait-for graph names the cycle.
  await check('the deadlock level by keys: the cycle is drawn and named', async () => {
    await page.selectOption('#play-level', 'deadlock');
    await page.locator('#play-title').click();   // the focus off the list
    await page.keyboard.press('n');
    await page.locator('#play-title', { hasText: 'deadlock: ' }).waitFor();
    for (const [k, n] of [['1', 1], ['2', 2], ['1', 3], ['2', 4]]) {
      await page.keyboard.press(k);
      await page.locator('#play-title', { hasText: ` ${n} step` }).waitFor();
    }
    await page.locator('#play-outcome.won', { hasText: 'DEADLOCK' }).waitFor();
    const name = await page.locator('#play-graph').getAttribute('aria-label');
    assert(/DEADLOCK cycle: p[12], p[12]/.test(name), `the graph says: ${name}`);
    assert(await page.locator('#play-graph .edge.cycle').count() === 2, 'not two edges marked as the cycle');
  });

  await check('no console error, no failed request', async () => {
    assert(problems.length === 0, problems.join('; '));
  });
} finally {
  closing = true;
  await ctx.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
