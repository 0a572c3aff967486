// disputes — file a dispute (principals), respond (the party complained
// against), mediate and resolve (mediator, supervisor), withdraw (the
// complainant); both deadlines (response, resolution) count down.

import { api } from '../api.js';
import { t, tEnum, fmtTime } from '../i18n.js';
import { el, raw } from '../util.js';
import { $, state, ctx, me, canWrite, isPrincipal, isOverseer, tpath, act, ask, dueSpan, upsert } from '../ctx.js';

const FINAL = ['resolved', 'withdrawn'];

export function init() {
  build();
  $('dispute-form').addEventListener('submit', onFile);
}

export function relabel() {
  build();
  if (state.track) onTrack();
}

function build() {
  const f = $('dispute-form');
  f.replaceChildren(
    el('label', {}, t('dsp.against'), ' ', el('select', { id: 'ds-against' })),
    el('label', {}, t('dsp.subject'), ' ', el('input', { id: 'ds-subject', dir: 'auto', required: true, maxlength: 256 })),
    el('label', {}, t('dsp.description'), ' ', el('textarea', { id: 'ds-description', rows: 3, dir: 'auto', required: true })),
    el('button', { type: 'submit', id: 'ds-submit', class: 'primary' }, t('dsp.submit')),
    el('p', { id: 'ds-status', class: 'status', role: 'status' }));
}

export function onTrack() {
  $('file-dispute').hidden = !isPrincipal();
  $('ds-against').replaceChildren(...(state.track.members || [])
    .filter((m) => m.party !== me() && ['principal', 'mediator', 'supervisor'].includes(m.role))
    .map((m) => el('option', { value: m.party }, `${m.party} (${tEnum('role', m.role)})`)));
}

async function onFile(ev) {
  ev.preventDefault();
  const body = { against: $('ds-against').value, subject: $('ds-subject').value.trim(), description: $('ds-description').value.trim() };
  try {
    const d = await api('POST', tpath('/disputes'), body);
    upsert(state.disputes, d);
    $('ds-status').textContent = t('dsp.filed', { id: d.id });
    $('ds-subject').value = '';
    $('ds-description').value = '';
    render();
    ctx.scheduleRefresh();
  } catch (e) {
    $('ds-status').textContent = t('error.refused', { reason: e.message });
  }
}

export function render() {
  const list = [...state.disputes].sort((a, b) => (FINAL.includes(a.status) ? 1 : 0) - (FINAL.includes(b.status) ? 1 : 0)
    || String(b.created_at).localeCompare(String(a.created_at)));
  const mine = list.filter((d) => needsMe(d)).length;
  $('n-disputes').textContent = mine || '';
  $('n-disputes').classList.toggle('alert', mine > 0);
  const note = $('disputes-note');
  note.hidden = !state.denied.disputes && list.length > 0;
  note.textContent = state.denied.disputes || t('dsp.none');
  $('disputes').replaceChildren(...list.map(card));
}

export function needsMe(d) {
  if (FINAL.includes(d.status)) return false;
  if (d.against === me() && d.status === 'open') return true;
  return isOverseer() && ['open', 'responded', 'in_mediation'].includes(d.status) && d.escalated;
}

function step(d, verb, opts) {
  return el('button', {
    type: 'button', class: `dsp-${verb}`,
    onclick: async () => {
      const text = await ask(opts);
      if (text === null) return;
      const field = { respond: 'response', mediate: 'note', resolve: 'outcome', withdraw: 'reason' }[verb];
      await act(t(`dsp.${verb}`), 'POST', tpath(`/disputes/${encodeURIComponent(d.id)}/${verb}`), text ? { [field]: text } : {}, state.disputes);
    },
  }, t(`dsp.${verb}`));
}

function card(d) {
  const final = FINAL.includes(d.status);
  const actions = [];
  if (canWrite() && !final) {
    if (d.against === me() && d.status === 'open' && isPrincipal()) {
      actions.push(step(d, 'respond', { title: t('dsp.respond'), input: { label: t('dsp.response') } }));
    }
    if (isOverseer() && ['open', 'responded'].includes(d.status)) {
      actions.push(step(d, 'mediate', { title: t('dsp.mediate'), input: { label: t('dsp.note') } }));
    }
    if (isOverseer()) {
      actions.push(step(d, 'resolve', { title: t('dsp.resolve'), text: t('dsp.resolve.text'), input: { label: t('dsp.outcome'), required: true } }));
    }
    if (d.complainant === me() && isPrincipal()) {
      actions.push(step(d, 'withdraw', { title: t('dsp.withdraw'), text: t('dsp.withdraw.text'), danger: true, input: { label: t('dsp.reason') } }));
    }
  }
  return el('li', { class: `card dispute ${final ? 'resolved' : d.escalated ? 'open' : 'acknowledged'}`, dataset: { id: d.id, status: d.status } },
    el('h3', {}, el('span', { dir: 'auto', translate: 'no' }, d.subject || ''), ' ', el('span', { class: 'badge status' }, tEnum('dspstatus', d.status)),
      d.escalated ? [' ', el('span', { class: 'badge critical' }, t('dsp.escalated'))] : null),
    el('div', { class: 'meta' }, raw(d.complainant), ' → ', raw(d.against), ` · ${fmtTime(d.created_at)}`),
    el('div', { class: 'body', dir: 'auto', translate: 'no' }, d.description || ''),
    !final && d.status === 'open' ? el('div', { class: 'meta deadline-respond' }, t('dsp.respondby', { time: fmtTime(d.respond_by) }), ' ', dueSpan(d.respond_by)) : null,
    !final ? el('div', { class: 'meta deadline-resolve' }, t('dsp.resolveby', { time: fmtTime(d.resolve_by) }), ' ', dueSpan(d.resolve_by)) : null,
    d.response ? el('div', { class: 'meta' }, t('dsp.response'), ': ', raw(d.response)) : null,
    d.outcome ? el('div', { class: 'meta' }, t('dsp.outcome'), ': ', raw(d.outcome)) : null,
    (d.history || []).length ? el('ol', { class: 'history', 'aria-label': t('thr.history') }, ...d.history.map((h) =>
      el('li', {}, `${fmtTime(h.at)} · `, raw(h.by && h.by.party), ` · ${tEnum('dspstatus', h.status)}`))) : null,
    el('div', { class: 'actions' }, ...actions));
}
