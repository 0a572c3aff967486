// ctx — what the console's panels share: the state of the session and the
// current track, the role rules the console mirrors from the API (the API
// stays the authority: a refused action shows the server's reason), and
// small helpers (confirmation dialog, error toast, countdowns).

import { api, ApiError } from './api.js';
import { t, fmtCountdown } from './i18n.js';
import { el } from './util.js';

export const $ = (id) => document.getElementById(id);

export const state = {
  session: null,       // {user, name, party, role, csrf}
  tracks: [],          // GET /v1/tracks items
  track: null,         // current track object (with my_role)
  features: null,
  conflicts: [], messages: [], threats: [], zones: [], deployments: [], activities: [],
  disputes: [], meetings: [], actions: [],
  denied: {},          // resource -> message when the role may not read it
  at: null,            // ms, or null for "now, everything current and planned"
  drawn: null,         // geometry drawn on the map
  stream: null,
  loaded: null,        // {track, count}: the last completed refresh
  events: [],          // last events received (newest first)
  eventIds: [],        // every event id received (for the tests and the Live panel)
  flashSeen: new Set(),
  requests: [],        // what the last refresh asked for (for the tests)
  alerts: { sounds: 0, notifications: [] }, // FLASH alerts raised (for the tests)
};

export const ctx = { map: null, refresh: null, scheduleRefresh: null, showTab: null, renderAll: null };

export function role() { return state.track ? state.track.my_role : null; }
export function me() { return state.session ? state.session.party : null; }
export function canWrite() { return Boolean(state.session) && state.session.role !== 'viewer'; }
export function isPrincipal() { return role() === 'principal' && canWrite(); }
export function isOverseer() { return ['mediator', 'supervisor'].includes(role()); }

// What each role may read (docs/meetings.md "Who sees what", auth_sees):
// the console asks for nothing else, so no refresh meets a 403.
const FULL = ['features', 'conflicts', 'messages', 'threats', 'zones', 'deployments', 'activities', 'disputes', 'meetings', 'actions'];
const READS = {
  principal: FULL, mediator: FULL, supervisor: FULL,
  host: ['messages', 'meetings', 'actions'],
  observer: ['features', 'zones', 'meetings', 'actions'],
};
export function mayRead(what) { return (READS[role()] || []).includes(what); }

export const tpath = (rest) => `/v1/tracks/${encodeURIComponent(state.track.id)}${rest}`;

// Replaces obj in list by id when it is not older than what is there.
export function upsert(list, obj) {
  if (!obj || !obj.id) return;
  const i = list.findIndex((x) => x.id === obj.id);
  if (i >= 0) {
    if ((obj.version ?? 0) >= (list[i].version ?? 0)) list[i] = obj;
  } else {
    list.push(obj);
  }
}

// A short-lived error line at the top of the visible panel.
export function alertError(text) {
  console.warn(text);
  const banner = el('div', { class: 'error toast', role: 'alert' }, text);
  (document.querySelector('.panel:not([hidden])') || document.body).prepend(banner);
  setTimeout(() => banner.remove(), 8000);
}

// Runs an API action; on success stores the answer in list and re-renders.
export async function act(what, method, path, body, list) {
  try {
    const updated = await api(method, path, body);
    if (list && updated) upsert(list, updated);
    ctx.renderAll();
    ctx.scheduleRefresh();
    return updated;
  } catch (e) {
    alertError(t('error.action', { what, reason: e instanceof ApiError ? e.message : String(e) }));
    return null;
  }
}

// A modal confirmation (<dialog>): resolves to the text entered (or '' when
// no text is asked) on OK, null on cancel. With `input.required` OK stays
// disabled until something is typed.
export function ask({ title, text, danger = false, input = null, ok = t('confirm.ok') }) {
  const dlg = $('ask');
  const field = input ? el('textarea', { id: 'ask-input', rows: 3, dir: 'auto', required: input.required || null }) : null;
  const okBtn = el('button', { type: 'submit', class: danger ? 'danger' : 'primary', id: 'ask-ok', value: 'ok' }, ok);
  const form = el('form', { method: 'dialog' },
    el('h2', { id: 'ask-title' }, title),
    text ? el('p', { id: 'ask-text' }, text) : null,
    input ? el('label', { for: 'ask-input' }, input.label) : null,
    field,
    el('div', { class: 'actions' }, okBtn, el('button', { type: 'button', id: 'ask-cancel', onclick: () => dlg.close('cancel') }, t('confirm.cancel'))));
  dlg.replaceChildren(form);
  dlg.setAttribute('aria-labelledby', 'ask-title');
  const sync = () => { okBtn.disabled = Boolean(input && input.required && !field.value.trim()); };
  if (field) { field.value = input.value || ''; field.addEventListener('input', sync); }
  sync();
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok' ? (field ? field.value.trim() : '') : null), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
    (field || okBtn).focus();
  });
}

// A countdown element, filled at once (no blank frame on re-render) and kept
// up to date by tick().
export function dueSpan(iso) {
  const s = el('span', { class: 'due', dataset: { due: iso || '' } });
  fillDue(s, Date.now());
  return s;
}

export function fillDue(e, now) {
  const due = Date.parse(e.dataset.due);
  if (Number.isNaN(due)) { e.textContent = ''; return; }
  const text = fmtCountdown(due, now);
  if (e.textContent !== text) e.textContent = text;
  e.classList.toggle('overdue', due < now);
}

// Is obj (zone, deployment, activity, conflict) in effect at the instant at (ms)?
export function activeAt(obj, at) {
  if (at === null || at === undefined) return true;
  if (['withdrawn', 'rejected', 'cancelled', 'resolved'].includes(obj.status)) return false;
  const w = obj.window || (obj.overlap && obj.overlap.window) || obj.valid || {};
  const from = Date.parse(w.start || w.from || '') || -Infinity;
  const until = Date.parse(w.end || w.until || '') || Infinity;
  return from <= at && at < until;
}

// ISO 8601 duration (PnDTnHnMnS) in ms; NaN if it is not one.
export function isoDurationMs(d) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(String(d || ''));
  if (!m) return NaN;
  return (((Number(m[1] || 0) * 24 + Number(m[2] || 0)) * 60 + Number(m[3] || 0)) * 60 + Number(m[4] || 0)) * 1000;
}

// <input type=datetime-local> holds UTC in the console: value <-> ISO.
export function utcInputValue(d) {
  const x = new Date(d ?? NaN);
  return Number.isNaN(x.getTime()) ? '' : x.toISOString().slice(0, 16);
}
export function fromUtcInput(v) {
  const d = new Date(`${v}:00Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

// Names a subject of a conflict {type, id, party} from what the track
// holds: [label in the user's language, name as declared (or null), party].
export function subjectParts(s) {
  if (s.type === 'zone') {
    const z = state.zones.find((x) => x.id === s.id);
    return [z ? t(`zonekind.${z.kind}`) : t('obj.zone'), z ? z.name || null : null, s.party];
  }
  if (s.type === 'activity') {
    const a = state.activities.find((x) => x.id === s.id);
    return [a ? t(`actkind.${a.kind}`) : t('obj.activity'), a ? a.description || null : null, s.party];
  }
  if (s.type === 'deployment') {
    const d = state.deployments.find((x) => x.id === s.id);
    return [t('obj.deployment'), d ? d.unit : null, s.party];
  }
  return [s.type, null, s.party];
}

// The subject as a node: declared names and party ids are data, not UI text (translate="no").
export function subjectNode(s) {
  const [label, name, party] = subjectParts(s);
  return el('span', { class: 'subject-name', dataset: { type: s.type, id: s.id } }, label,
    name ? [' «', el('bdi', { translate: 'no' }, name), '»'] : null, ' (', el('bdi', { translate: 'no' }, party), ')');
}

export function subjectText(s) {
  const [label, name, party] = subjectParts(s);
  return `${label}${name ? ` «${name}»` : ''} (${party})`;
}
