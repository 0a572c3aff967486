// conflicts — the conflicts panel: each card names what it is about (the
// activity's kind and description, the zone's name, the deployment's unit),
// acknowledge by an affected principal, consent by the owner of an influence
// zone, waiver by the mediator or supervisor with a required note.

import { t, tEnum, fmtMetres, fmtTime, fmtList } from '../i18n.js';
import { el, raw } from '../util.js';
import { $, state, ctx, me, role, canWrite, tpath, act, ask, activeAt, subjectNode, isOverseer } from '../ctx.js';

const STATUS_ORDER = { open: 0, acknowledged: 1, resolved: 2 };

function zoneOwner(c) {
  for (const s of c.subjects || []) {
    if (s.type !== 'zone') continue;
    const z = state.zones.find((x) => x.id === s.id);
    return z ? (z.owner || z.declared_by) : s.party;
  }
  return null;
}

export function render() {
  const list = state.conflicts.filter((c) => activeAt(c, state.at)).sort((a, b) =>
    (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3)
    || (a.severity === 'critical' ? 0 : 1) - (b.severity === 'critical' ? 0 : 1)
    || String(b.created_at).localeCompare(String(a.created_at)));
  const open = list.filter((c) => c.status === 'open').length;
  $('n-conflicts').textContent = open || '';
  $('n-conflicts').classList.toggle('alert', open > 0);
  const note = $('conflicts-note');
  note.hidden = !state.denied.conflicts && list.length > 0;
  note.textContent = state.denied.conflicts || t('cfl.none');
  $('conflicts').replaceChildren(...list.map(card));
}

function card(c) {
  const mine = me();
  const actions = [];
  if (canWrite() && c.status !== 'resolved') {
    if ((c.parties || []).includes(mine) && !(c.acks || []).includes(mine) && role() === 'principal') {
      actions.push(el('button', { type: 'button', class: 'ack', onclick: () => act(t('cfl.ack'), 'POST', tpath(`/conflicts/${c.id}/acknowledge`), {}, state.conflicts) }, t('cfl.ack')));
    }
    if (c.kind === 'influence_entry' && zoneOwner(c) === mine) {
      actions.push(el('button', { type: 'button', class: 'consent', onclick: () => act(t('cfl.consent'), 'POST', tpath(`/conflicts/${c.id}/consent`), {}, state.conflicts) }, t('cfl.consent')));
    }
    if (isOverseer()) {
      const note = el('input', { class: 'note', 'aria-label': t('cfl.note'), placeholder: t('cfl.note'), dir: 'auto' });
      actions.push(note, el('button', { type: 'button', class: 'resolve', onclick: () => waive(c, note.value) }, t('cfl.waive')));
    }
  }
  const o = c.overlap || {};
  return el('li', { class: `card conflict ${c.status}`, dataset: { id: c.id, status: c.status } },
    el('h3', {}, el('span', { class: `badge ${c.severity}` }, tEnum('severity', c.severity)), ' ',
      tEnum('cflkind', c.kind), ' ', el('span', { class: 'badge status' }, tEnum('cflstatus', c.status))),
    el('ul', { class: 'subjects', 'aria-label': t('cfl.subjects') }, ...(c.subjects || []).map((s) => el('li', {}, subjectNode(s)))),
    el('div', { class: 'meta' }, t('cfl.parties'), ' ', raw(fmtList(c.parties || []))),
    el('div', { class: 'meta' }, t('cfl.altwin', {
      min: fmtMetres(o.altitude && o.altitude.min_m), max: fmtMetres(o.altitude && o.altitude.max_m),
      start: fmtTime(o.window && o.window.start), end: fmtTime(o.window && o.window.end),
    })),
    c.exceeded ? el('div', { class: 'meta' }, t('cfl.exceeded'), ' ', Object.entries(c.exceeded)
      .map(([k, v]) => `${tEnum('strength', k)} ${v.declared} > ${v.cap}`).join(', ')) : null,
    el('div', { class: 'meta' }, (c.acks || []).length ? [t('cfl.ackedby'), ' ', raw(fmtList(c.acks))] : t('cfl.nobody'),
      c.resolution ? ` · ${t('cfl.resolution')} ${tEnum('resolution', c.resolution)}` : ''),
    c.note ? el('div', { class: 'meta' }, t('cfl.notelabel'), ' ', raw(c.note)) : null,
    el('div', { class: 'actions' }, el('button', { type: 'button', class: 'show', onclick: () => ctx.map.focus(c.id, o.geometry) }, t('cfl.show')), ...actions));
}

// A waiver closes a conflict for both sides: it needs a reason on record.
async function waive(c, typed) {
  const note = await ask({
    title: t('cfl.waive.title'), text: t('cfl.waive.text', { kind: tEnum('cflkind', c.kind) }), danger: true,
    input: { label: t('cfl.note'), required: true, value: typed }, ok: t('cfl.waive'),
  });
  if (note === null) return;
  await act(t('cfl.waive'), 'POST', tpath(`/conflicts/${c.id}/resolve`), { resolution: 'waived', note }, state.conflicts);
}

export function highlightCard(id) {
  ctx.showTab('conflicts');
  const card = document.querySelector(`.card[data-id="${CSS.escape(id)}"]`);
  if (card) { card.scrollIntoView({ block: 'nearest' }); card.animate([{ background: '#ffe08a' }, { background: '#fff' }], 1500); }
}
