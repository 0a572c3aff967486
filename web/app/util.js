// util — small helpers shared by the console's modules.

// Escapes text for HTML (every string from the server goes through this).
export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// "2026-11-25 20:21Z" (times are UTC everywhere in tansiq); "open" for none.
export function fmtTime(t) {
  if (!t) return 'open';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return esc(t);
  return d.toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

export function fmtAlt(m) {
  if (m === undefined || m === null) return 'any';
  return `${Math.round(Number(m)).toLocaleString('en')} m`;
}

// "4:59" / "1 h 03 min" / "2 d 4 h" until due; negative → "overdue by …".
export function fmtCountdown(dueMs, nowMs) {
  let s = Math.round((dueMs - nowMs) / 1000);
  const over = s < 0;
  s = Math.abs(s);
  let text;
  if (s < 3600) text = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  else if (s < 86400) text = `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  else text = `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  return over ? `overdue by ${text}` : `in ${text}`;
}

// <input type=datetime-local> value (local time) for a Date.
export function toLocalInput(d) {
  const z = new Date(d.getTime() - d.getTimezoneOffset() * 60000);
  return z.toISOString().slice(0, 16);
}

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
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
