// threats — threat reports of the track: report and refer (principals), the
// referred party's response (a dispute of the report needs a reason and
// stays visibly unresolved), the location (lat/lon, MGRS, on the map) and
// the history of responses.

import { t, tEnum, fmtTime, fmtNumber } from '../i18n.js';
import { el, raw } from '../util.js';
import { $, state, ctx, me, canWrite, isPrincipal, tpath, act, ask, dueSpan, utcInputValue, fromUtcInput, upsert } from '../ctx.js';
import { api } from '../api.js';
import { mgrsOf } from '../map.js';

const CATEGORIES = ['armed_group', 'uav', 'missile', 'artillery', 'air', 'explosive', 'other'];
const OPEN = ['referred', 'acknowledged'];

export function init() {
  build();
  $('report-form').addEventListener('submit', onReport);
}

// The form in the current language (again on a change of language).
export function relabel() {
  build();
  if (state.track) onTrack();
}

function build() {
  const f = $('report-form');
  f.replaceChildren(
    el('label', {}, t('thr.category'), ' ', el('select', { id: 'r-category' }, ...CATEGORIES.map((c) => el('option', { value: c }, tEnum('thrcat', c))))),
    el('label', {}, t('thr.description'), ' ', el('textarea', { id: 'r-description', rows: 2, dir: 'auto', required: true })),
    el('div', { class: 'row' },
      el('label', {}, t('thr.lat'), ' ', el('input', { id: 'r-lat', type: 'number', step: 'any', min: -90, max: 90, required: true })),
      el('label', {}, t('thr.lon'), ' ', el('input', { id: 'r-lon', type: 'number', step: 'any', min: -180, max: 180, required: true })),
      el('button', { type: 'button', id: 'r-pick', onclick: pickOnMap }, t('thr.pick'))),
    el('div', { class: 'row' },
      el('label', {}, t('thr.observed'), ' ', el('input', { id: 'r-observed', type: 'datetime-local', required: true })),
      el('label', {}, t('thr.confidence'), ' ', el('select', { id: 'r-confidence' }, ...['low', 'medium', 'high'].map((c) => el('option', { value: c }, tEnum('confidence', c)))))),
    el('label', {}, t('thr.referto'), ' ', el('select', { id: 'r-refer' })),
    el('button', { type: 'submit', id: 'r-submit', class: 'primary' }, t('thr.submit')),
    el('p', { id: 'r-status', class: 'status', role: 'status' }));
}

export function onTrack() {
  $('report').hidden = !isPrincipal();
  const sel = $('r-refer');
  if (!sel) return;
  sel.replaceChildren(...(state.track.members || []).filter((m) => m.party !== me() && ['principal', 'mediator', 'supervisor'].includes(m.role))
    .map((m) => el('option', { value: m.party }, `${m.party} (${tEnum('role', m.role)})`)));
  $('r-observed').value = utcInputValue(Date.now());
}

function pickOnMap() {
  $('r-status').textContent = t('thr.pickhint');
  ctx.map.pickPoint(([lon, lat]) => {
    $('r-lat').value = lat.toFixed(5);
    $('r-lon').value = lon.toFixed(5);
    $('r-status').textContent = '';
  });
}

async function onReport(ev) {
  ev.preventDefault();
  const lat = Number($('r-lat').value), lon = Number($('r-lon').value);
  const observed = fromUtcInput($('r-observed').value);
  if (!observed) { $('r-status').textContent = t('thr.needtime'); return; }
  const body = {
    category: $('r-category').value, description: $('r-description').value.trim(), confidence: $('r-confidence').value,
    refer_to: $('r-refer').value, observed_at: observed.toISOString(), geometry: { type: 'Point', coordinates: [lon, lat] },
  };
  try {
    const th = await api('POST', tpath('/threats'), body);
    upsert(state.threats, th);
    $('r-status').textContent = t('thr.reported', { id: th.id });
    $('r-description').value = '';
    render();
    ctx.scheduleRefresh();
  } catch (e) {
    $('r-status').textContent = t('error.refused', { reason: e.message });
  }
}

export function render() {
  const list = [...state.threats].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const open = list.filter((x) => OPEN.includes(x.status)).length;
  $('n-threats').textContent = open || '';
  const note = $('threats-note');
  note.hidden = !state.denied.threats && list.length > 0;
  note.textContent = state.denied.threats || t('thr.none');
  $('threats').replaceChildren(...list.map(card));
}

function where(g) {
  if (!g) return null;
  const [lon, lat] = g.type === 'Point' ? g.coordinates : (g.coordinates && g.coordinates[0] && g.coordinates[0][0]) || [];
  if (lon === undefined) return null;
  const f = (v) => fmtNumber(v, { minimumFractionDigits: 4, maximumFractionDigits: 4 });
  return { lat, lon, text: `${f(lat)}, ${f(lon)}`, mgrs: mgrsOf(lon, lat) };
}

function card(x) {
  const open = OPEN.includes(x.status);
  const actions = [];
  if (canWrite() && x.refer_to === me() && open) {
    for (const a of ['acknowledged', 'neutralized', 'unable', 'disputed']) {
      if (a === 'acknowledged' && x.status === 'acknowledged') continue;
      actions.push(el('button', { type: 'button', class: `respond-${a}`, onclick: () => respond(x, a) }, tEnum('thraction', a)));
    }
  }
  const loc = where(x.geometry);
  const cls = open ? 'open' : x.status === 'disputed' ? 'contested' : x.status === 'lapsed' ? 'lapsed' : 'resolved';
  return el('li', { class: `card threat ${cls}`, dataset: { id: x.id, status: x.status } },
    el('h3', {}, tEnum('thrcat', x.category), ' ', el('span', { class: `badge status st-${x.status}` }, tEnum('thrstatus', x.status)),
      ' ', el('span', { class: 'badge' }, t('thr.conf', { c: tEnum('confidence', x.confidence) }))),
    x.status === 'disputed' ? el('div', { class: 'meta warn' }, t('thr.disputednote')) : null,
    el('div', { class: 'body', dir: 'auto', translate: 'no' }, x.description || ''),
    el('div', { class: 'meta' }, t('thr.by'), ' ', raw(x.reported_by), ' · ', t('thr.to'), ' ', raw(x.refer_to), ' · ', t('thr.observedat', { time: fmtTime(x.observed_at) })),
    loc ? el('div', { class: 'meta loc' }, t('thr.location'), ' ', el('bdi', { dir: 'ltr', class: 'latlon' }, loc.text), ' · ',
      el('abbr', { title: t('map.mgrs.title') }, 'MGRS'), ' ', el('bdi', { dir: 'ltr', class: 'mgrs', translate: 'no' }, loc.mgrs)) : null,
    open && x.respond_by ? el('div', { class: 'meta' }, t('thr.due'), ' ', dueSpan(x.respond_by)) : null,
    (x.responses || []).length ? el('ol', { class: 'history', 'aria-label': t('thr.history') }, ...x.responses.map((r) =>
      el('li', {}, `${fmtTime(r.at)} · `, raw(r.party), ` · ${tEnum('thraction', r.action)}`, r.note ? [' — ', raw(r.note)] : null))) : null,
    el('div', { class: 'actions' },
      loc ? el('button', { type: 'button', class: 'show', onclick: () => ctx.map.showPoint(loc.lon, loc.lat, tEnum('thrcat', x.category)) }, t('cfl.show')) : null,
      ...actions));
}

// Closing answers confirm; disputing a report requires the reason.
async function respond(x, action) {
  let note = '';
  if (action !== 'acknowledged') {
    note = await ask({
      title: t('thr.respond.title', { action: tEnum('thraction', action) }), text: t(`thr.respond.${action}`),
      input: { label: action === 'disputed' ? t('thr.reason') : t('thr.note'), required: action === 'disputed' },
      danger: action === 'disputed',
    });
    if (note === null) return;
  }
  const body = note ? { action, note } : { action };
  await act(tEnum('thraction', action), 'POST', tpath(`/threats/${encodeURIComponent(x.id)}/respond`), body, state.threats);
}
