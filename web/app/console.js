// console — the tansiq web console: login, language, track switcher, tabs,
// the situation map with its time slider, the refresh of what the role may
// read, and live updates from the event stream. The panels live in
// web/app/panels/*.js. Everything shown comes from the API, called as the
// logged-in user; the server decides visibility and stays the authority.

import { api, apiList, ApiError, setCsrf, openStream } from './api.js';
import { SituationMap } from './map.js';
import { el } from './util.js';
import { LANGS, t, tEnum, setLanguage, initialLanguage, currentLang, onLanguage, utcText, fmtTime } from './i18n.js';
import { $, state, ctx, role, me, mayRead, tpath, upsert, fillDue, subjectText } from './ctx.js';
import * as conflicts from './panels/conflicts.js';
import * as hotline from './panels/hotline.js';
import * as threats from './panels/threats.js';
import * as disputes from './panels/disputes.js';
import * as objects from './panels/objects.js';
import * as meetings from './panels/meetings.js';
import * as declare from './panels/declare.js';
import * as log from './panels/log.js';
import * as summary from './panels/summary.js';

const SLIDER_STEP_MS = 15 * 60 * 1000;
const PANELS = [conflicts, hotline, threats, disputes, objects, meetings, declare, log, summary];
let refreshTimer = null;

// ---------------------------------------------------------------- session
async function boot() {
  await setLanguage(initialLanguage());
  fillLanguagePickers();
  renderLive();
  onLanguage(() => { fillLanguagePickers(); if (ctx.map) ctx.map.relabel(); renderWhoami(); renderLive(); for (const p of PANELS) if (p.relabel) p.relabel(); if (state.track) { renderTrackOptions(); renderAll(); renderRoleBadges(); } $('at-label').textContent = atLabel(state.at); });
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  try {
    const s = await api('GET', '/v1/session');
    await enter(s);
  } catch {
    showLogin();
  }
}

function fillLanguagePickers() {
  for (const sel of document.querySelectorAll('.lang-select')) {
    if (!sel.options.length) {
      sel.replaceChildren(...Object.entries(LANGS).map(([k, name]) => el('option', { value: k, lang: k }, name)));
      sel.addEventListener('change', () => setLanguage(sel.value, true));
    }
    sel.value = currentLang();
  }
}

function showLogin(messageKey) {
  $('console').hidden = true;
  $('login').hidden = false;
  $('flash-banner').hidden = true;
  const err = $('login-error');
  err.hidden = !messageKey;
  err.textContent = messageKey ? t(messageKey) : '';
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
    showLogin(e instanceof ApiError && e.status === 401 ? 'login.wrong'
      : e instanceof ApiError && e.status === 429 ? 'login.toomany' : 'login.failed');
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
  showLogin('login.loggedout');
}

async function enter(session) {
  state.session = session;
  setCsrf(session.csrf);
  $('login').hidden = true;
  $('console').hidden = false;
  renderWhoami();
  if (!ctx.map) initOnce();
  ctx.map.invalidate();
  state.tracks = await apiList('/v1/tracks');
  renderTrackOptions();
  const last = localStorage.getItem('tansiq.track');
  const pick = state.tracks.find((x) => x.id === last) || state.tracks[0];
  if (pick) $('track').value = pick.id;
  connectStream();
  await selectTrack(pick ? pick.id : null);
}

function renderWhoami() {
  const s = state.session;
  if (!s) return;
  $('whoami').replaceChildren(el('bdi', { translate: 'no' }, s.name), ' · ', s.party ? el('bdi', { translate: 'no' }, s.party) : t('role.admin'),
    ' · ', tEnum('userrole', s.role));
}

function renderTrackOptions() {
  const sel = $('track');
  const cur = sel.value;
  sel.replaceChildren(...state.tracks.map((x) => el('option', { value: x.id, dataset: { role: x.my_role || '' } },
    `${x.id} — ${x.my_role ? tEnum('role', x.my_role) : t('role.none')}`)));
  if (cur) sel.value = cur;
}

// ---------------------------------------------------------------- one-time setup
function initOnce() {
  ctx.map = new SituationMap($('map'), {
    onFeatureClick: (type, id) => conflicts.highlightCard(id),
    describeConflict: (id) => {
      const c = state.conflicts.find((x) => x.id === id);
      return c ? (c.subjects || []).map(subjectText) : [];
    },
  });
  ctx.map.loadBorders().catch((e) => console.error(e));
  ctx.map.loadPlaces().catch((e) => console.error(e));
  window.tansiq = { map: ctx.map.map, situation: ctx.map, state, ctx }; // for the browser tests and the curious
  ctx.refresh = refresh;
  ctx.scheduleRefresh = scheduleRefresh;
  ctx.showTab = showTab;
  ctx.renderAll = renderAll;

  $('track').addEventListener('change', (e) => selectTrack(e.target.value));
  const tabs = [...document.querySelectorAll('.tabs button')];
  tabs.forEach((b) => {
    b.addEventListener('click', () => showTab(b.dataset.tab));
    // Arrow keys move between the tabs (WAI-ARIA tabs pattern), mirrored in right-to-left.
    b.addEventListener('keydown', (e) => {
      if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return;
      const shown = tabs.filter((x) => !x.hidden);
      let i = shown.indexOf(b);
      const fwd = document.documentElement.dir === 'rtl' ? 'ArrowLeft' : 'ArrowRight';
      if (e.key === 'Home') i = 0;
      else if (e.key === 'End') i = shown.length - 1;
      else i = (i + (e.key === fwd ? 1 : -1) + shown.length) % shown.length;
      shown[i].focus();
      showTab(shown[i].dataset.tab);
      e.preventDefault();
    });
  });

  const slider = $('at');
  slider.setAttribute('aria-valuetext', atLabel(null));
  $('at-label').textContent = atLabel(null);
  slider.addEventListener('input', () => { const v = atLabel(sliderTime()); $('at-label').textContent = v; slider.setAttribute('aria-valuetext', v); });
  slider.addEventListener('change', () => { state.at = sliderTime(); refreshFeatures(); renderAll(); });
  $('at-now').addEventListener('click', () => {
    slider.value = 0; state.at = null; $('at-label').textContent = atLabel(null); refreshFeatures(); renderAll();
  });

  for (const p of PANELS) if (p.init) p.init();
  setInterval(tick, 1000);
  setInterval(() => { if (state.track) refresh(); }, 60000);
  window.addEventListener('resize', () => ctx.map.invalidate());
}

function sliderTime() {
  const v = Number($('at').value);
  return v === 0 ? null : Math.ceil(Date.now() / SLIDER_STEP_MS) * SLIDER_STEP_MS + (v - 1) * SLIDER_STEP_MS;
}

function atLabel(at) {
  if (at === null) return t('time.nowall');
  const h = Math.round((at - Date.now()) / 3600000);
  const rel = h >= 24 ? t('time.plusdh', { d: Math.floor(h / 24), h: h % 24 }) : t('time.plush', { h });
  return `${fmtTime(new Date(at).toISOString())} (${rel})`;
}

function showTab(name) {
  document.querySelectorAll('.tabs button').forEach((b) => {
    const on = b.dataset.tab === name;
    b.classList.toggle('active', on);
    b.setAttribute('aria-selected', on ? 'true' : 'false');
    b.tabIndex = on ? 0 : -1;
  });
  document.querySelectorAll('.panel').forEach((p) => { p.hidden = p.dataset.panel !== name; });
  if (name === 'log') log.onShow();
}

// ---------------------------------------------------------------- tracks
// Which tabs a role can use; the first is where the console opens.
function tabsFor(r) {
  const write = state.session && state.session.role !== 'viewer';
  const has = {
    conflicts: mayRead('conflicts'), hotline: mayRead('messages') || r === 'host', threats: mayRead('threats'),
    disputes: mayRead('disputes'), objects: mayRead('zones'), meetings: mayRead('meetings'),
    declare: r === 'principal' && write, log: true, events: true,
  };
  return Object.keys(has).filter((k) => has[k]);
}

function renderRoleBadges() {
  $('my-role').textContent = role() ? tEnum('role', role()) : '';
}

async function selectTrack(id) {
  state.track = state.tracks.find((x) => x.id === id) || null;
  for (const k of ['conflicts', 'messages', 'threats', 'zones', 'deployments', 'activities', 'disputes', 'meetings', 'actions']) state[k] = [];
  state.features = null;
  state.denied = {};
  ctx.map.clearDrawing();
  ctx.map.fitted = false;
  renderRoleBadges();
  if (!state.track) { ctx.map.clear(); renderAll(); return; }
  localStorage.setItem('tansiq.track', id);
  const usable = tabsFor(role());
  document.querySelectorAll('.tabs button').forEach((b) => { b.hidden = !usable.includes(b.dataset.tab); });
  const active = document.querySelector('.tabs button.active');
  if (!active || active.hidden) showTab(usable[0]);
  else showTab(active.dataset.tab);
  for (const p of PANELS) if (p.onTrack) p.onTrack();
  await refresh();
}

async function load(name, fn) {
  if (!mayRead(name)) return null;
  state.requests.push(name);
  try {
    const v = await fn();
    delete state.denied[name];
    return v;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
      state.denied[name] = t('denied', { role: tEnum('role', role()) });
      return null;
    }
    throw e;
  }
}

async function refresh() {
  if (!state.track) return;
  const id = state.track.id;
  state.requests = [];
  const from = new Date(Date.now() - 7 * 86400000).toISOString();
  const to = new Date(Date.now() + 35 * 86400000).toISOString();
  const names = ['conflicts', 'messages', 'threats', 'zones', 'deployments', 'activities', 'disputes', 'actions'];
  const results = await Promise.all([
    load('features', () => api('GET', featuresPath())),
    ...names.map((n) => load(n, () => apiList(tpath(`/${n}`)))),
    load('meetings', () => apiList(tpath(`/meetings?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`))),
  ]).catch((e) => { console.error(e); return null; });
  if (!results || !state.track || state.track.id !== id) return; // failed, or switched meanwhile
  state.features = results[0] || null;
  names.forEach((n, i) => { state[n] = results[i + 1] || []; });
  state.meetings = results[names.length + 1] || [];
  ctx.map.render(state.features, me(), state.track.members);
  renderAll();
  state.loaded = { track: id, count: (state.loaded ? state.loaded.count : 0) + 1 };
}

function featuresPath() {
  return tpath(`/features.geojson${state.at !== null ? `?at=${encodeURIComponent(new Date(state.at).toISOString())}` : ''}`);
}

async function refreshFeatures() {
  if (!state.track || !mayRead('features')) return;
  state.features = await load('features', () => api('GET', featuresPath())).catch(() => null);
  ctx.map.render(state.features, me(), state.track.members);
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refresh().catch(console.error), 400);
}

function renderAll() {
  const note = $('at-note');
  note.hidden = state.at === null;
  note.textContent = state.at === null ? '' : t('time.listsat', { time: utcText(new Date(state.at)) });
  for (const p of PANELS) if (p.render) p.render();
}

// ---------------------------------------------------------------- live
function renderLive() {
  const live = $('live');
  const s = live.dataset.state || 'closed';
  live.textContent = s === 'live' ? `● ${t('live.on')}` : s === 'reconnecting' ? `○ ${t('live.reconnecting')}` : `○ ${t('live.off')}`;
  live.classList.toggle('on', s === 'live');
}

function connectStream() {
  if (state.stream) state.stream.close();
  let failures = 0;
  const stream = openStream(onEvent, (s, reconnected) => {
    $('live').dataset.state = s;
    renderLive();
    if (s === 'live') failures = 0;
    // Resumed after the last event received: the missed events arrive; re-read anyway in case the gap was long.
    if (s === 'live' && reconnected) scheduleRefresh();
    // A stream that keeps failing may mean the session ended (the stream answers 401 then).
    if (s === 'reconnecting' && ++failures % 3 === 0) {
      api('GET', '/v1/session').catch((e) => {
        if (e instanceof ApiError && e.status === 401 && state.stream === stream) {
          stream.close();
          state.stream = null;
          showLogin('login.ended');
        }
      });
    }
  });
  state.stream = stream;
}

const COLLECTIONS = {
  message: 'messages', conflict: 'conflicts', threat: 'threats', zone: 'zones', deployment: 'deployments',
  activity: 'activities', dispute: 'disputes', action: 'actions',
};

function onEvent(type, id, leaf) {
  state.eventIds.push(Number(id));
  state.events.unshift({ id, type, track: leaf.track, time: leaf.time });
  state.events.length = Math.min(state.events.length, 200);
  $('events').replaceChildren(...state.events.map((e) =>
    el('li', { dataset: { id: e.id } }, `#${e.id} ${e.type}${e.track ? ` [${e.track}]` : ''} ${fmtTime(e.time)}`)));
  const p = leaf.payload;
  if (type.startsWith('track.')) { scheduleTracksReload(); return; }
  if (!state.track || leaf.track !== state.track.id || !p || !p.id) {
    if (type === 'message.created' && p && p.precedence === 'flash' && leaf.track) hotline.notifyOtherTrack(leaf.track, p);
    return;
  }
  const coll = COLLECTIONS[type.split('.')[0]];
  if (coll && mayRead(coll)) {
    upsert(state[coll], p);
    renderAll();
  }
  scheduleRefresh();
}

let tracksTimer = null;
function scheduleTracksReload() {
  clearTimeout(tracksTimer);
  tracksTimer = setTimeout(async () => {
    state.tracks = await apiList('/v1/tracks');
    const cur = state.track && state.tracks.find((x) => x.id === state.track.id);
    if (cur) state.track = cur;
  }, 500);
}

// Countdowns tick every second; only text that changed is written.
function tick() {
  const now = Date.now();
  document.querySelectorAll('.due[data-due]').forEach((e) => fillDue(e, now));
}

boot();
