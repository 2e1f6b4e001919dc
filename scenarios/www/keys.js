// keys: every action of the page has a key.  This table is both what the
// key handler follows and what the page shows under "Keys".

export const KEYS = [
  { keys: '1 \u2026 9', action: 'step', what: 'release process N one step (or click it)',
    test: (e) => /^Digit[1-9]$/.test(e.code) && !e.shiftKey, arg: (e) => Number(e.code.slice(5)) - 1 },
  { keys: 'Shift+1 \u2026 9', action: 'kill', what: 'kill process N where it is parked (levels with kills)',
    test: (e) => /^Digit[1-9]$/.test(e.code) && e.shiftKey, arg: (e) => Number(e.code.slice(5)) - 1 },
  { keys: 'u', action: 'undo', what: 'undo the last step' },
  { keys: 'r', action: 'restart', what: 'restart the level (no steps taken)' },
  { keys: 'v', action: 'variant', what: 'switch to the next variant and replay the same steps' },
  { keys: 'f', action: 'finish', what: 'finish: run the rest, lowest-numbered process first' },
  { keys: 'g', action: 'giveup', what: 'give up: explore every interleaving under this variant' },
  { keys: 'n', action: 'start', what: 'start the chosen level (a new game)' },
  { keys: 'l', action: 'level', what: 'choose a level (moves the focus to the list)' },
  { keys: 'k', action: 'keys', what: 'move the focus to this list of keys' },
];

// The entry for a key event, with its argument; null if none.
export function keyAction(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  for (const k of KEYS) {
    const hit = k.test ? k.test(e) : (e.key === k.keys && !e.shiftKey);
    if (hit) return { action: k.action, arg: k.arg ? k.arg(e) : undefined };
  }
  return null;
}
