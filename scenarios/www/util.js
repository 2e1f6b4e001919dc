// util: what every view shares: building elements, money in words, the
// server's JSON API, and the verdict on a total against the books.

const SVG_NS = 'http://www.w3.org/2000/svg';

// An element with attributes and children (strings become text).
export function el(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// The same in SVG.
export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// Cents as "1234.56" (the lessons print money so).
export function money(cents) {
  const neg = cents < 0;
  const c = Math.abs(Math.trunc(cents));
  return (neg ? '-' : '') + Math.floor(c / 100) + '.' +
    String(c % 100).padStart(2, '0');
}

// The total against the books, as words and a class for its colour:
// "kept", "LOST 3.06" or "CREATED 3.06" (money that appeared).
export function verdict(total, books) {
  const lost = books - total;
  if (lost === 0) return { word: 'kept', cls: 'ok', icon: '\u2714' };
  if (lost > 0) return { word: 'LOST ' + money(lost), cls: 'bad', icon: '\u2716' };
  return { word: 'CREATED ' + money(-lost), cls: 'bad', icon: '\u2716' };
}

// An error of the API: its status and the server's one line.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// One JSON request to the server; the answer's JSON, or an ApiError.
export async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  let json = null;
  try {
    json = await r.json();
  } catch {
    json = null;
  }
  if (!r.ok) {
    throw new ApiError(r.status, (json && json.error) || r.status + ' ' + r.statusText);
  }
  return json;
}
