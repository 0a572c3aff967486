// util — small helpers shared by the console's modules.
import { fmtTime as i18nTime, fmtMetres } from './i18n.js';

// Escapes text for HTML (every string from the server goes through this).
export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// Local time with UTC beside it (i18n.fmtTime), escaped for HTML.
export function fmtTime(t) { return esc(i18nTime(t)); }

export function fmtAlt(m) { return esc(fmtMetres(m)); }

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(3)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// Server data shown as is (names, descriptions, party ids): never translated.
export function raw(text, tag = 'bdi') {
  return el(tag, { translate: 'no', dir: 'auto' }, text ?? '');
}
