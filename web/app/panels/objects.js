// objects — zones, activities and deployments of the track, filtered by the
// time slider: zones accepted or rejected by the principals and withdrawn by
// their declarer; activities acknowledged by another principal, modified and
// cancelled by their declarer; deployments ended by their declarer.

import { t, tEnum, fmtTime, fmtMetres, fmtList } from '../i18n.js';
import { el, raw } from '../util.js';
import { $, state, ctx, me, isPrincipal, tpath, act, ask, activeAt, utcInputValue, fromUtcInput, alertError } from '../ctx.js';

const GONE = ['withdrawn', 'rejected', 'cancelled', 'completed'];
const order = (a, b) => (GONE.includes(a.status) ? 1 : 0) - (GONE.includes(b.status) ? 1 : 0)
  || String(b.created_at).localeCompare(String(a.created_at));

export function render() {
  const zones = state.zones.filter((z) => activeAt(z, state.at)).sort(order);
  const acts = state.activities.filter((a) => activeAt(a, state.at)).sort(order);
  const deps = state.deployments.filter((d) => activeAt(d, state.at)).sort(order);
  $('zones').replaceChildren(...zones.map(zoneCard));
  $('activities').replaceChildren(...acts.map(activityCard));
  $('deployments').replaceChildren(...deps.map(deploymentCard));
  const waiting = zones.filter(zoneNeedsMe).length + acts.filter(activityNeedsMe).length;
  $('n-objects').textContent = waiting || '';
  $('n-objects').classList.toggle('alert', waiting > 0);
  const note = $('objects-note');
  note.hidden = !state.denied.zones;
  note.textContent = state.denied.zones || '';
}

export function zoneNeedsMe(z) {
  return isPrincipal() && z.status === 'proposed' && !(z.accepted_by || []).includes(me());
}
export function activityNeedsMe(a) {
  return isPrincipal() && a.declared_by !== me() && ['notified', 'active'].includes(a.status) && !(a.acks || []).includes(me());
}

// The activity being modified: its form survives re-renders (live events, refreshes).
let editing = null; // {id, box}

const btn = (cls, text, onclick) => el('button', { type: 'button', class: cls, onclick }, text);
const show = (o) => btn('show', t('cfl.show'), () => ctx.map.focus(o.id, o.geometry));

function zoneCard(z) {
  const actions = [show(z)];
  if (isPrincipal() && z.status === 'proposed' && !(z.accepted_by || []).includes(me())) {
    actions.push(btn('zone-accept primary', t('zone.accept'), () => act(t('zone.accept'), 'POST', tpath(`/zones/${z.id}/accept`), {}, state.zones)));
  }
  if (isPrincipal() && z.status === 'proposed' && z.declared_by !== me()) {
    actions.push(btn('zone-reject', t('zone.reject'), async () => {
      const reason = await ask({ title: t('zone.reject'), text: t('zone.reject.text'), danger: true, input: { label: t('dsp.reason'), required: true } });
      if (reason !== null) await act(t('zone.reject'), 'POST', tpath(`/zones/${z.id}/reject`), { reason }, state.zones);
    }));
  }
  if (isPrincipal() && z.declared_by === me() && ['proposed', 'in_force'].includes(z.status)) {
    actions.push(btn('zone-withdraw', t('zone.withdraw'), async () => {
      if (await ask({ title: t('zone.withdraw'), text: t('zone.withdraw.text'), danger: true }) !== null) {
        await act(t('zone.withdraw'), 'DELETE', tpath(`/zones/${z.id}`), undefined, state.zones);
      }
    }));
  }
  return el('li', { class: `card zone st-${z.status}`, dataset: { id: z.id, status: z.status } },
    el('h3', {}, raw(z.name || ''), ' ', el('span', { class: 'badge' }, tEnum('zonekind', z.kind)), ' ', el('span', { class: 'badge status' }, tEnum('zonestatus', z.status))),
    el('div', { class: 'meta' }, t('zone.declaredby'), ' ', raw(z.declared_by),
      z.owner && z.owner !== z.declared_by ? [' · ', t('zone.owner'), ' ', raw(z.owner)] : null,
      (z.accepted_by || []).length ? [' · ', t('zone.acceptedby'), ' ', raw(fmtList(z.accepted_by))] : null),
    z.valid ? el('div', { class: 'meta' }, t('zone.valid', { from: fmtTime(z.valid.from), until: fmtTime(z.valid.until) })) : null,
    z.reason ? el('div', { class: 'meta' }, t('dsp.reason'), ': ', raw(z.reason)) : null,
    el('div', { class: 'actions' }, ...actions));
}

function activityCard(a) {
  const actions = [show(a)];
  const live = ['notified', 'active'].includes(a.status);
  if (activityNeedsMe(a)) {
    actions.push(btn('act-ack primary', t('act.ack'), () => act(t('act.ack'), 'POST', tpath(`/activities/${a.id}/acknowledge`), {}, state.activities)));
  }
  if (isPrincipal() && a.declared_by === me() && live) {
    actions.push(btn('act-modify', t('act.modify'), () => editActivity(a)));
    actions.push(btn('act-cancel', t('act.cancel'), async () => {
      if (await ask({ title: t('act.cancel'), text: t('act.cancel.text'), danger: true }) !== null) {
        await act(t('act.cancel'), 'POST', tpath(`/activities/${a.id}/cancel`), {}, state.activities);
      }
    }));
  }
  const w = a.window || {}, alt = a.altitude || {};
  return el('li', { class: `card activity st-${a.status}`, dataset: { id: a.id, status: a.status } },
    el('h3', {}, tEnum('actkind', a.kind), ' ', a.description ? raw(a.description) : null, ' ',
      el('span', { class: 'badge status' }, tEnum('actstatus', a.status)),
      a.short_notice ? [' ', el('span', { class: 'badge warning' }, t('act.shortnotice'))] : null),
    el('div', { class: 'meta' }, t('zone.declaredby'), ' ', raw(a.declared_by),
      (a.acks || []).length ? [' · ', t('cfl.ackedby'), ' ', raw(fmtList(a.acks))] : null),
    el('div', { class: 'meta' }, t('cfl.altwin', { min: fmtMetres(alt.min_m), max: fmtMetres(alt.max_m), start: fmtTime(w.start), end: fmtTime(w.end) })),
    el('div', { class: 'actions' }, ...actions),
    editing && editing.id === a.id && live ? editing.box : el('div', { class: 'edit', hidden: true }));
}

function editActivity(a) {
  const card = document.querySelector(`#activities .card[data-id="${CSS.escape(a.id)}"]`);
  const box = card.querySelector('.edit');
  editing = { id: a.id, box };
  const close = () => { box.hidden = true; editing = null; };
  const w = a.window || {}, alt = a.altitude || {};
  const f = el('form', { class: 'act-edit' },
    el('label', {}, t('dcl.name'), ' ', el('input', { name: 'description', dir: 'auto', value: a.description || '' })),
    el('div', { class: 'row' },
      el('label', {}, t('dcl.start'), ' ', el('input', { name: 'start', type: 'datetime-local', value: utcInputValue(w.start) })),
      el('label', {}, t('dcl.end'), ' ', el('input', { name: 'end', type: 'datetime-local', value: utcInputValue(w.end) }))),
    el('div', { class: 'row' },
      el('label', {}, t('dcl.altmin'), ' ', el('input', { name: 'min', type: 'number', value: alt.min_m ?? 0 })),
      el('label', {}, t('dcl.altmax'), ' ', el('input', { name: 'max', type: 'number', value: alt.max_m ?? 0 }))),
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary' }, t('act.save')),
      el('button', { type: 'button', onclick: close }, t('confirm.cancel'))));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const start = fromUtcInput(f.start.value), end = fromUtcInput(f.end.value);
    if (!start || !end) { alertError(t('dcl.needwindow')); return; }
    const body = {
      description: f.description.value.trim(), window: { start: start.toISOString(), end: end.toISOString() },
      altitude: { min_m: Number(f.min.value), max_m: Number(f.max.value) },
    };
    const r = await act(t('act.modify'), 'PATCH', tpath(`/activities/${a.id}`), body, state.activities);
    if (r) { close(); render(); }
  });
  box.replaceChildren(f);
  box.hidden = false;
  f.description.focus();
}

function deploymentCard(d) {
  const actions = [show(d)];
  if (isPrincipal() && d.declared_by === me() && d.status !== 'withdrawn') {
    actions.push(btn('dep-end', t('dep.end'), async () => {
      if (await ask({ title: t('dep.end'), text: t('dep.end.text'), danger: true }) !== null) {
        await act(t('dep.end'), 'DELETE', tpath(`/deployments/${d.id}`), undefined, state.deployments);
      }
    }));
  }
  const s = d.strength || {};
  return el('li', { class: `card deployment st-${d.status}`, dataset: { id: d.id, status: d.status } },
    el('h3', {}, raw(d.unit || ''), ' ', el('span', { class: 'badge status' }, tEnum('depstatus', d.status))),
    el('div', { class: 'meta' }, t('zone.declaredby'), ' ', raw(d.declared_by), ' · ',
      ['troops', 'tanks', 'artillery', 'air_defense'].map((k) => `${tEnum('strength', k)} ${s[k] ?? 0}`).join(' · ')),
    d.valid ? el('div', { class: 'meta' }, t('zone.valid', { from: fmtTime(d.valid.from), until: fmtTime(d.valid.until) })) : null,
    el('div', { class: 'actions' }, ...actions));
}
