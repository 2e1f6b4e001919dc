// main: the page's start.  The live ledger, the game, and the keys.

import { el } from './util.js';
import { KEYS, keyAction } from './keys.js';
import { startLive } from './live.js';
import { initPlay } from './play.js';

startLive();
const play = initPlay();

document.getElementById('keys-list').replaceChildren(...KEYS.flatMap((k) => [
  el('dt', {}, el('kbd', {}, k.keys)), el('dd', {}, k.what)]));

document.addEventListener('keydown', (e) => {
  const t = e.target;
  if (t instanceof HTMLElement && t.closest('input, textarea, select')) {
    if (e.key === 'Escape') t.blur();
    return;
  }
  const hit = keyAction(e);
  if (!hit) return;
  e.preventDefault();
  if (hit.action === 'keys') document.getElementById('keys').focus();
  else play[hit.action](hit.arg);
});
