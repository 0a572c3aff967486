// console — the tansiq web console: login, track switcher, situation map,
// conflicts / hotline / threats panels, declaration with dry-run check, and
// live updates from the event stream. Everything it shows comes from the API
// it calls as the logged-in user; the server decides visibility.

import { api, apiList, ApiError, setCsrf, openStream } from './api.js';
import { SituationMap } from './map.js';
import { esc, el, fmtTime, fmtAlt, fmtCountdown, toLocalInput } from './util.js';

const $ = (id) => document.getElementById(id);

const ACTIVITY_KINDS = ['air_sortie', 'strike', 'uav', 'ground_movement', 'naval', 'exercise'];
const ZONE_KINDS = ['demilitarized', 'limitation', 'influence', 'base', 'protected_site', 'restricted_airspace'];
const STATUS_ORDER = { open: 0, acknowledged: 1, resolved: 2 };
const PRECEDENCE_ORDER = { flash: 0, immediate: 1, priority: 2, routine: 3 };
const SLIDER_STEP_MS = 15 * 60 * 1000;

const state = {
  session: null,       // {user, name, party, role, csrf}
  tracks: [],          // GET /v1/tracks items
  track: null,         // current track object (with my_role)
  features: null,
  conflicts: [], messages: [], threats: [], zones: [],
  denied: {},          // resource -> message when the role may not read it
  at: null,            // ms, or null for "now, everything current and planned"
  drawn: null,         // geometry drawn on the map
  stream: null,
  loaded: null,        // {track, count}: the last completed refresh
  events: [],          // last events received (newest first)
  eventIds: [],        // every event id received (for the tests and the Live panel)
  flashSeen: new Set(),
};
let map = null;
let refreshTimer = null;

// ---------------------------------------------------------------- session
async function boot() {
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  try {
    const s = await api('GET', '/v1/session');
    await enter(s);
  } catch {
    showLogin();
  }
}

function showLogin(message) {
  $('console').hidden = true;
  $('login').hidden = false;
  $('flash-banner').hidden = true;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('login-name').focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  $('login-submit').disabled = true;
  try {
    const s = await api('POST', '/v1/session', { name, password });
    $('login-password').value = '';
    await enter(s);
  } catch (e) {
    $('login-password').value = '';
    showLogin(e instanceof ApiError && e.status === 401 ? 'Wrong user name or password.'
      : e instanceof ApiError && e.status === 429 ? 'Too many attempts; wait a moment and try again.'
        : `Login failed: ${e.message}`);
  } finally {
    $('login-submit').disabled = false;
  }
}

async function onLogout() {
  try { await api('DELETE', '/v1/session'); } catch { /* the session may have ended already */ }
  if (state.stream) state.stream.close();
  state.stream = null;
  state.session = null;
  setCsrf(null);
  showLogin('Logged out.');
}

async function enter(session) {
  state.session = session;
  setCsrf(session.csrf);
  $('login').hidden = true;
  $('console').hidden = false;
  $('whoami').textContent = `${session.name} · ${session.party || 'cell admin'} · ${session.role}`;
  if (!map) initOnce();
  map.invalidate();
  state.tracks = await apiList('/v1/tracks');
  const sel = $('track');
  sel.replaceChildren(...state.tracks.map((t) => el('option', { value: t.id, dataset: { role: t.my_role || '' } },
    `${t.id} — ${t.my_role || 'no role'}`)));
  const last = localStorage.getItem('tansiq.track');
  const pick = state.tracks.find((t) => t.id === last) || state.tracks[0];
  if (pick) sel.value = pick.id;
  connectStream();
  await selectTrack(pick ? pick.id : null);
}

// ---------------------------------------------------------------- one-time setup
function initOnce() {
  map = new SituationMap($('map'), { onFeatureClick: (type, id) => highlightCard(id) });
  map.loadBorders().catch((e) => console.error(e));
  window.tansiq = { map: map.map, situation: map, state }; // for the browser tests and the curious

  $('track').addEventListener('change', (e) => selectTrack(e.target.value));
  document.querySelectorAll('.tabs button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));

  const slider = $('at');
  slider.addEventListener('input', () => { $('at-label').textContent = atLabel(sliderTime()); });
  slider.addEventListener('change', () => { state.at = sliderTime(); refreshFeatures(); });
  $('at-now').addEventListener('click', () => { slider.value = 0; state.at = null; $('at-label').textContent = atLabel(null); refreshFeatures(); });

  $('compose-form').addEventListener('submit', onSend);
  initDeclare();
  setInterval(tick, 1000);
  setInterval(() => { if (state.track) refresh(); }, 60000);
  window.addEventListener('resize', () => map.invalidate());
}

function sliderTime() {
  const v = Number($('at').value);
  return v === 0 ? null : Math.ceil(Date.now() / SLIDER_STEP_MS) * SLIDER_STEP_MS + (v - 1) * SLIDER_STEP_MS;
}

function atLabel(at) {
  if (at === null) return 'now (all current and planned)';
  const h = Math.round((at - Date.now()) / 3600000);
  return `${fmtTime(new Date(at).toISOString())} (${h >= 24 ? `+${Math.floor(h / 24)} d ${h % 24} h` : `+${h} h`})`;
}

function showTab(name) {
  document.querySelectorAll('.tabs button').forEach((b) => b.classList.toggle('active', b.dataset.tab === name));
  document.querySelectorAll('.panel').forEach((p) => { p.hidden = p.dataset.panel !== name; });
}

// ---------------------------------------------------------------- tracks
function role() { return state.track ? state.track.my_role : null; }
function me() { return state.session ? state.session.party : null; }
function canWrite() { return state.session && state.session.role !== 'viewer'; }
function seesThreats() { return ['principal', 'mediator', 'supervisor'].includes(role()); }

async function selectTrack(id) {
  state.track = state.tracks.find((t) => t.id === id) || null;
  state.conflicts = []; state.messages = []; state.threats = []; state.zones = []; state.features = null;
  map.clearDrawing();
  map.fitted = false;
  $('my-role').textContent = role() || '';
  if (!state.track) { map.clear(); renderAll(); return; }
  localStorage.setItem('tansiq.track', id);
  // Hosts and observers may not read threat reports (the API answers 403): no tab for them.
  $('tab-threats').hidden = !seesThreats();
  document.querySelector('.tabs [data-tab="declare"]').hidden = role() !== 'principal' || !canWrite();
  const active = document.querySelector('.tabs button.active');
  if (!active || active.hidden) showTab('conflicts');
  renderCompose();
  await refresh();
}

const tpath = (rest) => `/v1/tracks/${encodeURIComponent(state.track.id)}${rest}`;

async function load(name, fn) {
  try {
    const v = await fn();
    delete state.denied[name];
    return v;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
      state.denied[name] = `Not visible to a ${role()} of this track (${e.message}).`;
      return null;
    }
    throw e;
  }
}

async function refresh() {
  if (!state.track) return;
  const id = state.track.id;
  const [features, conflicts, messages, threats, zones] = await Promise.all([
    load('features', () => api('GET', featuresPath())),
    load('conflicts', () => apiList(tpath('/conflicts'))),
    load('messages', () => apiList(tpath('/messages'))),
    seesThreats() ? load('threats', () => apiList(tpath('/threats'))) : Promise.resolve(null),
    load('zones', () => apiList(tpath('/zones'))),
  ]).catch((e) => { console.error(e); return []; });
  if (!state.track || state.track.id !== id) return; // switched meanwhile
  state.features = features || null;
  state.conflicts = conflicts || [];
  state.messages = messages || [];
  state.threats = threats || [];
  state.zones = zones || [];
  map.render(state.features, me(), state.track.members);
  renderAll();
  state.loaded = { track: id, count: (state.loaded ? state.loaded.count : 0) + 1 };
}

function featuresPath() {
  return tpath(`/features.geojson${state.at !== null ? `?at=${encodeURIComponent(new Date(state.at).toISOString())}` : ''}`);
}

async function refreshFeatures() {
  if (!state.track) return;
  state.features = await load('features', () => api('GET', featuresPath())).catch(() => null);
  map.render(state.features, me(), state.track.members);
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh().catch(console.error), 400);
}

function renderAll() {
  renderConflicts();
  renderMessages();
  renderThreats();
}

// ---------------------------------------------------------------- conflicts
function zoneOwner(c) {
  for (const s of c.subjects || []) {
    if (s.type !== 'zone') continue;
    const z = state.zones.find((x) => x.id === s.id);
    return z ? (z.owner || z.declared_by) : s.party;
  }
  return null;
}

function renderConflicts() {
  const list = [...state.conflicts].sort((a, b) =>
    (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3)
    || (a.severity === 'critical' ? 0 : 1) - (b.severity === 'critical' ? 0 : 1)
    || String(b.created_at).localeCompare(String(a.created_at)));
  const open = list.filter((c) => c.status === 'open').length;
  $('n-conflicts').textContent = open || '';
  $('n-conflicts').classList.toggle('alert', open > 0);
  const note = $('conflicts-note');
  note.hidden = !state.denied.conflicts && list.length > 0;
  note.textContent = state.denied.conflicts || 'No conflicts in this track.';
  $('conflicts').replaceChildren(...list.map(conflictCard));
}

function conflictCard(c) {
  const mine = me();
  const actions = [];
  if (canWrite() && c.status !== 'resolved') {
    if ((c.parties || []).includes(mine) && !(c.acks || []).includes(mine) && role() === 'principal') {
      actions.push(el('button', { class: 'ack', onclick: () => conflictAction(c, 'acknowledge', {}) }, 'Acknowledge'));
    }
    if (c.kind === 'influence_entry' && zoneOwner(c) === mine) {
      actions.push(el('button', { class: 'consent', onclick: () => conflictAction(c, 'consent', {}) }, 'Consent'));
    }
    if (['mediator', 'supervisor'].includes(role())) {
      const note = el('input', { class: 'note', placeholder: 'note', 'aria-label': 'Resolution note', dir: 'auto' });
      actions.push(note, el('button', {
        class: 'resolve',
        onclick: () => conflictAction(c, 'resolve', { resolution: 'waived', note: note.value || 'waived from the console' }),
      }, 'Resolve (waive)'));
    }
  }
  const subjects = (c.subjects || []).map((s) => `${s.type} ${s.party}`).join(', ');
  const o = c.overlap || {};
  const card = el('li', { class: `card conflict ${c.status}`, dataset: { id: c.id, status: c.status } },
    el('h3', {}, el('span', { class: `badge ${c.severity}` }, c.severity), ' ',
      (c.kind || '').replace(/_/g, ' '), ' ', el('span', { class: 'badge status' }, c.status)),
    el('div', { class: 'meta' }, `parties ${(c.parties || []).join(', ')} · subjects ${subjects}`),
    el('div', { class: 'meta' }, `altitude ${fmtAlt(o.altitude && o.altitude.min_m)} – ${fmtAlt(o.altitude && o.altitude.max_m)} · `
      + `window ${fmtTime(o.window && o.window.start)} – ${fmtTime(o.window && o.window.end)}`),
    c.exceeded ? el('div', { class: 'meta' }, 'exceeded: ' + Object.entries(c.exceeded)
      .map(([k, v]) => `${k} ${v.declared} > ${v.cap}`).join(', ')) : null,
    el('div', { class: 'meta' }, `acknowledged by ${(c.acks || []).join(', ') || 'nobody yet'}`
      + (c.resolution ? ` · resolution ${c.resolution}` : '')),
    el('div', { class: 'actions' }, el('button', { class: 'show', onclick: () => map.focus(c.id, o.geometry) }, 'Show on map'), ...actions));
  return card;
}

async function conflictAction(c, verb, body) {
  try {
    const updated = await api('POST', tpath(`/conflicts/${encodeURIComponent(c.id)}/${verb}`), body);
    upsert(state.conflicts, updated);
    renderConflicts();
    scheduleRefresh();
  } catch (e) {
    alertError(`Could not ${verb}: ${e.message}`);
  }
}

function highlightCard(id) {
  showTab('conflicts');
  const card = document.querySelector(`.card[data-id="${CSS.escape(id)}"]`);
  if (card) { card.scrollIntoView({ block: 'nearest' }); card.animate([{ background: '#ffe08a' }, { background: '#fff' }], 1500); }
}

// ---------------------------------------------------------------- hotline
function addressedToMe(m) {
  return m.to === 'all' ? m.from !== me() : Array.isArray(m.to) && m.to.includes(me());
}

function renderMessages() {
  const list = [...state.messages].sort((a, b) => (b.seq || 0) - (a.seq || 0));
  const awaitingMe = list.filter((m) => (m.awaiting || []).includes(me()));
  $('n-hotline').textContent = awaitingMe.length || '';
  $('n-hotline').classList.toggle('alert', awaitingMe.length > 0);
  const note = $('hotline-note');
  note.hidden = !state.denied.messages && list.length > 0;
  note.textContent = state.denied.messages || 'No messages yet.';
  $('messages').replaceChildren(...list.map(messageCard));
  updateFlashBanner();
}

function messageCard(m) {
  const awaiting = m.awaiting || [];
  const mustAck = awaiting.includes(me()) && canWrite();
  const to = m.to === 'all' ? 'all' : (m.to || []).join(', ');
  const due = m.ack_due && awaiting.length ? el('span', { class: 'due', dataset: { due: m.ack_due } }) : null;
  return el('li', {
    class: `card msg msg-${m.precedence}${mustAck ? ' awaiting-me' : ''}`, dataset: { id: m.id, seq: m.seq, precedence: m.precedence },
  },
  el('h3', {}, el('span', { class: `badge p-${m.precedence}` }, m.precedence), ' ',
    el('span', { dir: 'auto', class: 'subject' }, m.subject || ''),
    m.escalated ? el('span', { class: 'badge critical' }, 'escalated') : null),
  el('div', { class: 'meta' }, `#${m.seq} · ${m.from} → ${to} · ${fmtTime(m.created_at)}`),
  el('div', { class: 'body', dir: 'auto' }, m.body || ''),
  el('div', { class: 'actions' },
    mustAck ? el('button', { class: 'ack primary', onclick: () => ackMessage(m) }, 'Acknowledge') : null,
    m.ack_required !== false && (m.addressees || []).length
      ? el('span', { class: 'meta acks' }, awaiting.length ? `awaiting ${awaiting.join(', ')}` : `acknowledged by ${(m.acks || []).join(', ')}`)
      : null,
    due ? el('span', { class: 'meta' }, 'ack due ', due) : null));
}

async function ackMessage(m) {
  try {
    const updated = await api('POST', tpath(`/messages/${encodeURIComponent(m.id)}/ack`), {});
    upsert(state.messages, updated);
    renderMessages();
  } catch (e) {
    alertError(`Could not acknowledge: ${e.message}`);
  }
}

function updateFlashBanner() {
  const banner = $('flash-banner');
  const flash = state.messages.filter((m) => m.precedence === 'flash' && (m.awaiting || []).includes(me()))
    .sort((a, b) => (b.seq || 0) - (a.seq || 0))[0];
  if (!flash) { banner.hidden = true; return; }
  banner.replaceChildren(
    el('span', {}, '⚠ FLASH'),
    el('span', { dir: 'auto' }, `${flash.from}: ${flash.subject || ''}`),
    el('span', { class: 'due', dataset: { due: flash.ack_due || '' } }),
    el('button', { onclick: () => { showTab('hotline'); ackMessage(flash); } }, 'Acknowledge'),
    el('button', { onclick: () => showTab('hotline') }, 'Open hotline'));
  banner.hidden = false;
}

function renderCompose() {
  const box = $('compose-to');
  const others = (state.track.members || []).filter((m) => m.party !== me());
  box.replaceChildren(el('legend', {}, 'To'),
    el('label', {}, el('input', { type: 'checkbox', value: 'all', checked: true, class: 'to-all' }), ' all'),
    ...others.map((m) => el('label', {}, el('input', { type: 'checkbox', value: m.party }), ` ${m.party} (${m.role})`)));
  $('compose').hidden = !canWrite() || role() === 'observer';
}

async function onSend(ev) {
  ev.preventDefault();
  const checked = [...document.querySelectorAll('#compose-to input:checked')].map((i) => i.value);
  const to = checked.includes('all') || checked.length === 0 ? 'all' : checked;
  const body = { to, precedence: $('compose-precedence').value, subject: $('compose-subject').value, body: $('compose-body').value };
  const err = $('compose-error');
  try {
    const m = await api('POST', tpath('/messages'), body);
    upsert(state.messages, m);
    renderMessages();
    $('compose-subject').value = '';
    $('compose-body').value = '';
    err.hidden = true;
  } catch (e) {
    err.hidden = false;
    err.textContent = e.message;
  }
}

// ---------------------------------------------------------------- threats
function renderThreats() {
  const list = [...state.threats].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const open = list.filter((t) => t.status === 'referred' || t.status === 'acknowledged').length;
  $('n-threats').textContent = open || '';
  const note = $('threats-note');
  note.hidden = !state.denied.threats && list.length > 0;
  note.textContent = state.denied.threats || (seesThreats() ? 'No threat reports.' : 'Threat reports are not shown to your role.');
  $('threats').replaceChildren(...list.map(threatCard));
}

function threatCard(t) {
  const actions = [];
  if (canWrite() && t.refer_to === me() && ['referred', 'acknowledged'].includes(t.status)) {
    for (const a of ['acknowledged', 'neutralized', 'unable', 'disputed']) {
      actions.push(el('button', { class: `respond-${a}`, onclick: () => respondThreat(t, a) }, a));
    }
  }
  const open = ['referred', 'acknowledged'].includes(t.status);
  return el('li', { class: `card threat ${open ? 'open' : 'resolved'}`, dataset: { id: t.id } },
    el('h3', {}, (t.category || '').replace(/_/g, ' '), ' ', el('span', { class: 'badge status' }, t.status),
      ' ', el('span', { class: 'badge' }, `${t.confidence} confidence`)),
    el('div', { class: 'body', dir: 'auto' }, t.description || ''),
    el('div', { class: 'meta' }, `reported by ${t.reported_by} · referred to ${t.refer_to} · observed ${fmtTime(t.observed_at)}`),
    open && t.respond_by ? el('div', { class: 'meta' }, 'response due ', el('span', { class: 'due', dataset: { due: t.respond_by } })) : null,
    el('div', { class: 'actions' }, ...actions));
}

async function respondThreat(t, action) {
  try {
    const updated = await api('POST', tpath(`/threats/${encodeURIComponent(t.id)}/respond`), { action, note: `${action} (console)` });
    upsert(state.threats, updated);
    renderThreats();
  } catch (e) {
    alertError(`Could not respond: ${e.message}`);
  }
}

// ---------------------------------------------------------------- declare (draw + dry-run check)
function initDeclare() {
  const type = $('d-type');
  const kinds = () => {
    const list = type.value === 'zone' ? ZONE_KINDS : ACTIVITY_KINDS;
    $('d-kind').replaceChildren(...list.map((k) => el('option', { value: k }, k.replace(/_/g, ' '))));
    $('d-window-row').hidden = type.value === 'zone';
  };
  type.addEventListener('change', kinds);
  kinds();
  const start = new Date(Date.now() + 2 * 3600000);
  start.setMinutes(0, 0, 0);
  $('d-start').value = toLocalInput(start);
  $('d-end').value = toLocalInput(new Date(start.getTime() + 3600000));

  $('d-draw').addEventListener('click', () => {
    state.drawn = null;
    map.clearDrawing();
    $('d-geojson').value = '';
    $('d-finish').disabled = true;
    $('d-status').textContent = 'Click the map to add vertices.';
    map.startDrawing((n) => {
      $('d-finish').disabled = n < 3;
      $('d-status').textContent = `${n} vertex${n === 1 ? '' : 'es'}${n < 3 ? ' (at least 3)' : ''}.`;
    });
  });
  $('d-finish').addEventListener('click', () => {
    state.drawn = map.finishDrawing();
    $('d-finish').disabled = true;
    if (state.drawn) {
      $('d-geojson').value = JSON.stringify(state.drawn);
      map.showDraftGeometry(state.drawn);
      $('d-status').textContent = 'Shape ready: check it, then submit.';
    }
  });
  $('d-clear').addEventListener('click', () => {
    state.drawn = null;
    map.clearDrawing();
    $('d-geojson').value = '';
    $('d-conflicts').replaceChildren();
    $('d-status').textContent = '';
  });
  $('d-check').addEventListener('click', onCheck);
  $('declare-form').addEventListener('submit', onDeclare);
}

// The declaration body from the form; throws with a readable message.
function declaration() {
  const text = $('d-geojson').value.trim();
  if (!text) throw new Error('Draw a shape on the map or paste GeoJSON first.');
  let g;
  try { g = JSON.parse(text); } catch { throw new Error('The pasted GeoJSON is not valid JSON.'); }
  let extra = {};
  if (g && g.type === 'FeatureCollection') g = (g.features || [])[0];
  if (g && g.type === 'Feature') { extra = { ...(g.properties || {}) }; g = g.geometry; }
  else if (g && g.geometry) { extra = { ...g }; g = g.geometry; delete extra.geometry; }
  if (!g || !g.type) throw new Error('GeoJSON needs a geometry (Polygon, LineString or Point).');
  const isZone = $('d-type').value === 'zone';
  const body = { ...pick(extra, ['radius_m', 'width_m', 'caps', 'owner', 'valid']), kind: $('d-kind').value, geometry: g };
  const name = $('d-name').value.trim();
  const min = Number($('d-alt-min').value), max = Number($('d-alt-max').value);
  body.altitude = { min_m: min, max_m: max };
  if (isZone) {
    body.name = name || `${body.kind.replace(/_/g, ' ')} (console)`;
  } else {
    if (name) body.description = name;
    const s = new Date($('d-start').value), e = new Date($('d-end').value);
    if (Number.isNaN(s.getTime()) || Number.isNaN(e.getTime())) throw new Error('Give the start and end of the window.');
    body.window = { start: s.toISOString(), end: e.toISOString() };
  }
  return body;
}

function pick(o, keys) {
  const r = {};
  for (const k of keys) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

function renderCheck(conflicts, verb) {
  $('d-conflicts').replaceChildren(...conflicts.map((c) => el('li', { class: `card conflict open check-result`, dataset: { kind: c.kind } },
    el('h3', {}, el('span', { class: `badge ${c.severity}` }, c.severity), ' ', c.kind.replace(/_/g, ' ')),
    el('div', { class: 'meta' }, `with ${(c.subjects || []).map((s) => `${s.type} ${s.party}`).join(', ')} · parties ${(c.parties || []).join(', ')}`))));
  $('d-status').textContent = conflicts.length
    ? `${verb}: ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}.` : `${verb}: no conflicts.`;
  map.showCheck(conflicts);
}

async function onCheck() {
  let body;
  try { body = declaration(); } catch (e) { $('d-status').textContent = e.message; return; }
  $('d-status').textContent = 'Checking…';
  try {
    const r = await api('POST', tpath('/check'), { type: $('d-type').value, ...body });
    renderCheck(r.conflicts || [], 'Dry run');
  } catch (e) {
    $('d-status').textContent = `Check refused: ${e.message}`;
    $('d-conflicts').replaceChildren();
  }
}

async function onDeclare(ev) {
  ev.preventDefault();
  let body;
  try { body = declaration(); } catch (e) { $('d-status').textContent = e.message; return; }
  const what = $('d-type').value === 'zone' ? 'zones' : 'activities';
  try {
    const obj = await api('POST', tpath(`/${what}`), body);
    renderCheck(obj.conflicts || [], `Declared ${obj.id}`);
    state.drawn = null;
    map.draft.clearLayers();
    scheduleRefresh();
  } catch (e) {
    $('d-status').textContent = `Refused: ${e.message}`;
  }
}

// ---------------------------------------------------------------- live
function connectStream() {
  if (state.stream) state.stream.close();
  let failures = 0;
  const stream = openStream(onEvent, (s, reconnected) => {
    const live = $('live');
    live.textContent = s === 'live' ? '● live' : s === 'reconnecting' ? '○ reconnecting…' : '○ offline';
    live.classList.toggle('on', s === 'live');
    live.dataset.state = s;
    if (s === 'live') failures = 0;
    // Resumed after the last event received: the missed events arrive; re-read anyway in case the gap was long.
    if (s === 'live' && reconnected) scheduleRefresh();
    // A stream that keeps failing may mean the session ended (the stream answers 401 then).
    if (s === 'reconnecting' && ++failures % 3 === 0) {
      api('GET', '/v1/session').catch((e) => {
        if (e instanceof ApiError && e.status === 401 && state.stream === stream) {
          stream.close();
          state.stream = null;
          showLogin('Your session has ended; log in again.');
        }
      });
    }
  });
  state.stream = stream;
}

const COLLECTIONS = { message: 'messages', conflict: 'conflicts', threat: 'threats', zone: 'zones' };

function onEvent(type, id, leaf) {
  state.eventIds.push(Number(id));
  state.events.unshift({ id, type, track: leaf.track, time: leaf.time });
  state.events.length = Math.min(state.events.length, 200);
  $('events').replaceChildren(...state.events.map((e) =>
    el('li', { dataset: { id: e.id } }, `#${e.id} ${e.type}${e.track ? ` [${e.track}]` : ''} ${fmtTime(e.time)}`)));
  const p = leaf.payload;
  if (type.startsWith('track.')) { scheduleTracksReload(); return; }
  if (!state.track || leaf.track !== state.track.id || !p || !p.id) {
    if (type === 'message.created' && p && p.precedence === 'flash' && leaf.track) notifyOtherTrack(leaf.track, p);
    return;
  }
  const coll = COLLECTIONS[type.split('.')[0]];
  if (coll) {
    upsert(state[coll], p);
    renderAll();
  }
  scheduleRefresh();
}

function notifyOtherTrack(track, m) {
  if (state.flashSeen.has(m.id)) return;
  state.flashSeen.add(m.id);
  const banner = $('flash-banner');
  banner.replaceChildren(el('span', {}, `⚠ FLASH on ${track}`), el('span', { dir: 'auto' }, `${m.from}: ${m.subject || ''}`),
    el('button', { onclick: () => { $('track').value = track; selectTrack(track); } }, 'Go to track'));
  banner.hidden = false;
}

let tracksTimer = null;
function scheduleTracksReload() {
  clearTimeout(tracksTimer);
  tracksTimer = setTimeout(async () => {
    state.tracks = await apiList('/v1/tracks');
    const cur = state.track && state.tracks.find((t) => t.id === state.track.id);
    if (cur) state.track = cur;
  }, 500);
}

function upsert(list, obj) {
  if (!obj || !obj.id) return;
  const i = list.findIndex((x) => x.id === obj.id);
  if (i >= 0) {
    if ((obj.version ?? 0) >= (list[i].version ?? 0)) list[i] = obj;
  } else {
    list.push(obj);
  }
}

// Countdowns (ack_due, respond_by) tick every second.
function tick() {
  const now = Date.now();
  document.querySelectorAll('.due[data-due]').forEach((e) => {
    const due = Date.parse(e.dataset.due);
    if (Number.isNaN(due)) { e.textContent = ''; return; }
    e.textContent = fmtCountdown(due, now);
    e.classList.toggle('overdue', due < now);
  });
}

function alertError(text) {
  const s = $('d-status');
  console.warn(text);
  const banner = el('div', { class: 'error', role: 'alert' }, text);
  document.querySelector('.panel:not([hidden])')?.prepend(banner);
  setTimeout(() => banner.remove(), 6000);
  void s;
}

void esc;
boot();
