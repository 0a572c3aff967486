// declare — zones, activities and deployments drawn on the map (or pasted
// as GeoJSON), with the dry-run check first: the check shows the conflicts
// the declaration would open and whether an activity would be short notice;
// submitting with critical conflicts asks for confirmation. Times are
// entered in UTC; the user's local time is shown beside them.

import { api } from '../api.js';
import { t, tEnum, fmtTime, fmtDuration } from '../i18n.js';
import { el } from '../util.js';
import { $, state, ctx, tpath, ask, utcInputValue, fromUtcInput, isoDurationMs, subjectNode } from '../ctx.js';

const ACTIVITY_KINDS = ['air_sortie', 'strike', 'uav', 'ground_movement', 'naval', 'exercise'];
const ZONE_KINDS = ['demilitarized', 'limitation', 'influence', 'base', 'protected_site', 'restricted_airspace'];

function kinds() {
  const type = $('d-type').value;
  const list = type === 'zone' ? ZONE_KINDS : type === 'activity' ? ACTIVITY_KINDS : [];
  const cur = $('d-kind').value;
  $('d-kind').replaceChildren(...list.map((k) => el('option', { value: k }, tEnum(type === 'zone' ? 'zonekind' : 'actkind', k))));
  if (list.includes(cur)) $('d-kind').value = cur;
  $('d-kind-row').hidden = type === 'deployment';
  $('d-window-row').hidden = type === 'zone';
  $('d-strength-row').hidden = type !== 'deployment';
  $('d-alt-row').hidden = type === 'deployment';
  $('d-name-label').textContent = t(type === 'deployment' ? 'dcl.unit' : 'dcl.name');
  showLocal();
}

function showLocal() {
  const s = fromUtcInput($('d-start').value), e = fromUtcInput($('d-end').value);
  $('d-window-local').textContent = s && e && $('d-type').value !== 'zone'
    ? t('dcl.localis', { start: fmtTime(s.toISOString()), end: fmtTime(e.toISOString()) }) : '';
}

export function init() {
  $('d-type').addEventListener('change', kinds);
  const start = new Date(Date.now() + 2 * 3600000);
  start.setUTCMinutes(0, 0, 0);
  $('d-start').value = utcInputValue(start);
  $('d-end').value = utcInputValue(start.getTime() + 3600000);
  $('d-start').addEventListener('input', showLocal);
  $('d-end').addEventListener('input', showLocal);
  kinds();

  $('d-draw').addEventListener('click', () => {
    state.drawn = null;
    ctx.map.clearDrawing();
    $('d-geojson').value = '';
    $('d-finish').disabled = true;
    $('d-status').textContent = t('dcl.clickmap');
    ctx.map.startDrawing((n) => {
      $('d-finish').disabled = n < 3;
      $('d-status').textContent = t('dcl.vertices', { n }) + (n < 3 ? ` ${t('dcl.atleast3')}` : '');
    });
  });
  $('d-finish').addEventListener('click', () => {
    state.drawn = ctx.map.finishDrawing();
    $('d-finish').disabled = true;
    if (state.drawn) {
      $('d-geojson').value = JSON.stringify(state.drawn);
      ctx.map.showDraftGeometry(state.drawn);
      $('d-status').textContent = t('dcl.ready');
    }
  });
  $('d-clear').addEventListener('click', () => {
    state.drawn = null;
    ctx.map.clearDrawing();
    $('d-geojson').value = '';
    $('d-conflicts').replaceChildren();
    $('d-status').textContent = '';
  });
  $('d-check').addEventListener('click', onCheck);
  $('declare-form').addEventListener('submit', onDeclare);
}

export function onTrack() { kinds(); }
export function relabel() { kinds(); }

class FormError extends Error {}

// The declaration body from the form; throws FormError with a readable message.
function declaration() {
  const text = $('d-geojson').value.trim();
  if (!text) throw new FormError(t('dcl.noshape'));
  let g;
  try { g = JSON.parse(text); } catch { throw new FormError(t('dcl.badjson')); }
  let extra = {};
  if (g && g.type === 'FeatureCollection') g = (g.features || [])[0];
  if (g && g.type === 'Feature') { extra = { ...(g.properties || {}) }; g = g.geometry; }
  else if (g && g.geometry) { extra = { ...g }; g = g.geometry; delete extra.geometry; }
  if (!g || !g.type) throw new FormError(t('dcl.nogeometry'));
  const type = $('d-type').value;
  const body = { ...pick(extra, ['radius_m', 'width_m', 'caps', 'owner', 'valid']), geometry: g };
  const name = $('d-name').value.trim();
  if (type === 'deployment') {
    body.unit = name || t('obj.deployment');
    body.strength = {};
    for (const k of ['troops', 'tanks', 'artillery', 'air_defense']) body.strength[k] = Number($(`d-${k}`).value) || 0;
    const s = fromUtcInput($('d-start').value), e = fromUtcInput($('d-end').value);
    if (!s) throw new FormError(t('dcl.needwindow'));
    body.valid = { from: s.toISOString(), ...(e ? { until: e.toISOString() } : {}) };
    return body;
  }
  body.kind = $('d-kind').value;
  body.altitude = { min_m: Number($('d-alt-min').value), max_m: Number($('d-alt-max').value) };
  if (type === 'zone') {
    body.name = name || tEnum('zonekind', body.kind);
  } else {
    if (name) body.description = name;
    const s = fromUtcInput($('d-start').value), e = fromUtcInput($('d-end').value);
    if (!s || !e) throw new FormError(t('dcl.needwindow'));
    body.window = { start: s.toISOString(), end: e.toISOString() };
  }
  return body;
}

function pick(o, keys) {
  const r = {};
  for (const k of keys) if (o[k] !== undefined) r[k] = o[k];
  return r;
}

// Would an activity starting then be short notice (start - now < the track's min_notice)?
function shortNotice(body) {
  if (!body.window) return null;
  const min = isoDurationMs((state.track.settings || {}).min_notice || 'PT1H');
  const lead = Date.parse(body.window.start) - Date.now();
  return lead < min ? { min } : null;
}

function renderCheck(conflicts, status, sn) {
  $('d-conflicts').replaceChildren(
    ...(sn ? [el('li', { class: 'card short-notice', id: 'd-short-notice' }, el('span', { class: 'badge warning' }, t('act.shortnotice')), ' ',
      t('dcl.shortnotice', { min: fmtDuration(sn.min / 1000) }))] : []),
    ...conflicts.map((c) => el('li', { class: 'card conflict open check-result', dataset: { kind: c.kind, severity: c.severity } },
      el('h3', {}, el('span', { class: `badge ${c.severity}` }, tEnum('severity', c.severity)), ' ', tEnum('cflkind', c.kind)),
      el('ul', { class: 'subjects' }, ...(c.subjects || []).map((s) => el('li', {}, subjectNode(s)))))));
  $('d-status').textContent = status;
  ctx.map.showCheck(conflicts);
}

async function check(body) {
  return (await api('POST', tpath('/check'), { type: $('d-type').value, ...body })).conflicts || [];
}

async function onCheck() {
  let body;
  try { body = declaration(); } catch (e) { $('d-status').textContent = e.message; return; }
  $('d-status').textContent = t('dcl.checking');
  try {
    const cs = await check(body);
    renderCheck(cs, cs.length ? t('dcl.dryrun.n', { n: cs.length }) : t('dcl.dryrun.none'), shortNotice(body));
  } catch (e) {
    $('d-status').textContent = t('dcl.checkrefused', { reason: e.message });
    $('d-conflicts').replaceChildren();
  }
}

async function onDeclare(ev) {
  ev.preventDefault();
  let body;
  try { body = declaration(); } catch (e) { $('d-status').textContent = e.message; return; }
  const type = $('d-type').value;
  const what = type === 'zone' ? 'zones' : type === 'activity' ? 'activities' : 'deployments';
  // Critical conflicts (a breach of a demilitarized zone, a strike near a base …) are confirmed first.
  let critical = [];
  try { critical = (await check(body)).filter((c) => c.severity === 'critical'); } catch { /* the submit answers with the reason */ }
  if (critical.length) {
    const ok = await ask({
      title: t('dcl.critical.title'), danger: true, ok: t('dcl.critical.ok'),
      text: t('dcl.critical.text', { n: critical.length, kinds: [...new Set(critical.map((c) => tEnum('cflkind', c.kind)))].join(', ') }),
    });
    if (ok === null) { $('d-status').textContent = t('dcl.notsent'); return; }
  }
  try {
    const obj = await api('POST', tpath(`/${what}`), body);
    const cs = obj.conflicts || [];
    renderCheck(cs, cs.length ? t('dcl.declared.n', { id: obj.id, n: cs.length }) : t('dcl.declared.none', { id: obj.id }),
      obj.short_notice ? { min: isoDurationMs((state.track.settings || {}).min_notice || 'PT1H') } : null);
    state.drawn = null;
    ctx.map.draft.clearLayers();
    ctx.scheduleRefresh();
  } catch (e) {
    $('d-status').textContent = t('error.refused', { reason: e.message });
  }
}
