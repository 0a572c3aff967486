// meetings — upcoming occurrences of the track's series (list and week
// view), the agenda of an occurrence with a link to each item, its minutes
// (read, or recorded by a principal or the host once it has started, with
// decisions and action items), action items marked done by their owner, and
// the track's calendar as an .ics download.

import { api, ApiError } from '../api.js';
import { t, tEnum, fmtTime, currentLang } from '../i18n.js';
import { el, raw } from '../util.js';
import { $, state, ctx, me, role, canWrite, tpath, act, alertError, utcInputValue, fromUtcInput, dueSpan } from '../ctx.js';

let view = 'list';
let weekStart = mondayOf(new Date());
let openId = null;

function mondayOf(d) {
  const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  x.setUTCDate(x.getUTCDate() - ((x.getUTCDay() + 6) % 7));
  return x;
}

export function init() {
  $('mtg-list-view').addEventListener('click', () => setView('list'));
  $('mtg-week-view').addEventListener('click', () => setView('week'));
}

function setView(v) {
  view = v;
  $('mtg-list-view').setAttribute('aria-pressed', String(v === 'list'));
  $('mtg-week-view').setAttribute('aria-pressed', String(v === 'week'));
  render();
}

export function onTrack() {
  $('mtg-ics').href = tpath('/calendar.ics');
  $('mtg-ics').setAttribute('download', `${state.track.id}.ics`);
  openId = null;
  $('meeting-detail').hidden = true;
}

export function render() {
  const upcoming = state.meetings.filter((m) => Date.parse(m.end) >= Date.now() - 7 * 86400000);
  const note = $('meetings-note');
  note.hidden = !state.denied.meetings && upcoming.length > 0;
  note.textContent = state.denied.meetings || t('mtg.none');
  $('n-meetings').textContent = myOpenActions().length || '';
  $('meetings').hidden = view !== 'list';
  $('week').hidden = view !== 'week';
  if (view === 'list') $('meetings').replaceChildren(...upcoming.map(meetingCard));
  else renderWeek();
  $('actions').replaceChildren(...[...state.actions].sort((a, b) => (a.status === 'done') - (b.status === 'done')
    || String(a.due).localeCompare(String(b.due))).map(actionCard));
}

export function myOpenActions() { return state.actions.filter((a) => a.owner === me() && a.status !== 'done'); }

function meetingCard(m) {
  return el('li', { class: `card meeting st-${m.status}`, dataset: { id: m.id, status: m.status } },
    el('h3', {}, raw(m.title || ''), ' ', el('span', { class: 'badge status' }, tEnum('mtgstatus', m.status))),
    el('div', { class: 'meta' }, `${fmtTime(m.start)} – ${fmtTime(m.end)}`),
    el('div', { class: 'meta' }, t('mtg.venue'), ' ', raw(m.venue), ' · ', t('mtg.host'), ' ', raw(m.host)),
    el('div', { class: 'actions' }, el('button', { type: 'button', class: 'mtg-open', onclick: () => openMeeting(m) }, t('mtg.open'))));
}

function renderWeek() {
  const days = [...Array(7)].map((_, i) => new Date(weekStart.getTime() + i * 86400000));
  const dayName = new Intl.DateTimeFormat(currentLang(), { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
  const end = weekStart.getTime() + 7 * 86400000;
  const inWeek = state.meetings.filter((m) => { const s = Date.parse(m.start); return s >= weekStart.getTime() && s < end; });
  $('week').replaceChildren(
    el('div', { class: 'row week-nav' },
      el('button', { type: 'button', id: 'week-prev', 'aria-label': t('mtg.prevweek'), onclick: () => { weekStart = new Date(weekStart.getTime() - 7 * 86400000); render(); } }, '‹'),
      el('strong', {}, t('mtg.weekof', { date: dayName.format(weekStart) })),
      el('button', { type: 'button', id: 'week-next', 'aria-label': t('mtg.nextweek'), onclick: () => { weekStart = new Date(weekStart.getTime() + 7 * 86400000); render(); } }, '›')),
    el('div', { class: 'week-grid', role: 'list' }, ...days.map((d) => el('div', { class: 'week-day', role: 'listitem' },
      el('div', { class: 'week-head' }, dayName.format(d)),
      ...inWeek.filter((m) => new Date(m.start).toISOString().slice(0, 10) === d.toISOString().slice(0, 10))
        .map((m) => el('button', { type: 'button', class: 'week-item', dataset: { id: m.id }, onclick: () => openMeeting(m) },
          `${new Date(m.start).toISOString().slice(11, 16)}Z `, raw(m.title)))))));
}

// The agenda's items link to the panel holding the object.
const TAB_OF = { dispute: 'disputes', conflict: 'conflicts', threat: 'threats', message: 'hotline', action: 'meetings' };

function goTo(type, id) {
  const tab = TAB_OF[type];
  if (!tab) return;
  ctx.showTab(tab);
  const card = document.querySelector(`.panel[data-panel="${tab}"] .card[data-id="${CSS.escape(id)}"]`);
  if (card) { card.scrollIntoView({ block: 'nearest' }); card.classList.add('target'); card.tabIndex = -1; card.focus(); setTimeout(() => card.classList.remove('target'), 2000); }
}

async function openMeeting(m) {
  openId = m.id;
  const box = $('meeting-detail');
  box.hidden = false;
  box.replaceChildren(el('h2', { class: 'sub' }, raw(m.title), ` · ${fmtTime(m.start)}`), el('p', { class: 'muted' }, t('mtg.loading')));
  const path = tpath(`/meetings/${encodeURIComponent(m.id)}`);
  let agenda = null, minutes = null;
  try { agenda = await api('GET', `${path}/agenda`); } catch (e) { alertError(t('error.action', { what: t('mtg.agenda'), reason: e.message })); }
  try { minutes = await api('GET', `${path}/minutes`); } catch (e) { if (!(e instanceof ApiError && e.status === 404)) console.warn(e); }
  if (openId !== m.id) return;
  const items = (agenda && agenda.items) || [];
  box.replaceChildren(
    el('h2', { class: 'sub' }, raw(m.title), ` · ${fmtTime(m.start)}`),
    el('h3', {}, t('mtg.agenda')),
    items.length ? el('ol', { class: 'agenda', id: 'agenda' }, ...items.map((it) => el('li', { dataset: { type: it.type, id: it.id } },
      el('span', { class: 'badge' }, tEnum('agsection', it.section)), ' ',
      el('a', { href: `#${it.type}/${it.id}`, class: 'agenda-link', onclick: (e) => { e.preventDefault(); goTo(it.type, it.id); } }, raw(it.summary || it.id)),
      ' ', el('span', { class: 'muted' }, tEnum('anystatus', it.status)),
      it.due ? [' · ', t('act.due'), ' ', fmtTime(it.due)] : null))) : el('p', { class: 'muted' }, t('mtg.noagenda')),
    el('h3', {}, t('mtg.minutes')),
    minutes ? minutesView(minutes) : mayRecord(m) ? minutesForm(m) : el('p', { class: 'muted' }, Date.parse(m.start) > Date.now() ? t('mtg.notyet') : t('mtg.nominutes')));
}

function mayRecord(m) {
  return canWrite() && (role() === 'principal' || role() === 'host' || m.host === me()) && Date.parse(m.start) <= Date.now();
}

function minutesView(x) {
  return el('div', { class: 'minutes', id: 'minutes' },
    el('div', { class: 'body', dir: 'auto', translate: 'no' }, x.text || ''),
    (x.decisions || []).length ? [el('h4', {}, t('mtg.decisions')), el('ol', {}, ...x.decisions.map((d) => el('li', {}, raw(d))))] : null,
    (x.actions || []).length ? [el('h4', {}, t('mtg.actions')), el('ol', {}, ...x.actions.map((id) => {
      const a = state.actions.find((y) => y.id === id);
      return el('li', {}, a ? [raw(a.text), ' — ', raw(a.owner)] : raw(id));
    }))] : null);
}

function minutesForm(m) {
  const others = (state.track.members || []).filter((x) => x.role !== 'observer');
  const actionsBox = el('ol', { class: 'action-rows' });
  const addAction = () => {
    const due = utcInputValue(Date.now() + 7 * 86400000);
    actionsBox.append(el('li', { class: 'action-row' },
      el('label', {}, t('act.owner'), ' ', el('select', { class: 'a-owner' }, ...others.map((x) => el('option', { value: x.party }, x.party)))),
      el('label', {}, t('act.text'), ' ', el('input', { class: 'a-text', dir: 'auto' })),
      el('label', {}, t('act.dueutc'), ' ', el('input', { class: 'a-due', type: 'datetime-local', value: due }))));
  };
  const f = el('form', { id: 'minutes-form' },
    el('label', {}, t('mtg.text'), ' ', el('textarea', { id: 'mn-text', rows: 3, dir: 'auto', required: true })),
    el('label', {}, t('mtg.decisionsone'), ' ', el('textarea', { id: 'mn-decisions', rows: 2, dir: 'auto' })),
    el('fieldset', {}, el('legend', {}, t('mtg.actions')), actionsBox,
      el('button', { type: 'button', id: 'mn-add-action', onclick: addAction }, t('mtg.addaction'))),
    el('button', { type: 'submit', class: 'primary', id: 'mn-submit' }, t('mtg.record')),
    el('p', { id: 'mn-status', class: 'status', role: 'status' }));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const actions = [...actionsBox.querySelectorAll('.action-row')].map((r) => ({
      owner: r.querySelector('.a-owner').value, text: r.querySelector('.a-text').value.trim(),
      due: (fromUtcInput(r.querySelector('.a-due').value) || new Date()).toISOString(),
    })).filter((a) => a.text);
    const body = {
      text: $('mn-text').value.trim(),
      decisions: $('mn-decisions').value.split('\n').map((s) => s.trim()).filter(Boolean), actions,
    };
    try {
      await api('POST', tpath(`/meetings/${encodeURIComponent(m.id)}/minutes`), body);
      await ctx.refresh();
      openMeeting(state.meetings.find((x) => x.id === m.id) || m);
    } catch (e) {
      $('mn-status').textContent = t('error.refused', { reason: e.message });
    }
  });
  return f;
}

function actionCard(a) {
  const mine = a.owner === me() && canWrite() && a.status !== 'done';
  return el('li', { class: `card action st-${a.status}`, dataset: { id: a.id, status: a.status } },
    el('h3', {}, raw(a.text), ' ', el('span', { class: 'badge status' }, tEnum('anystatus', a.status))),
    el('div', { class: 'meta' }, t('act.owner'), ' ', raw(a.owner), ' · ', t('act.due'), ' ', fmtTime(a.due),
      a.status !== 'done' ? [' ', dueSpan(a.due)] : null,
      a.done_at ? [' · ', t('act.doneat', { time: fmtTime(a.done_at) })] : null),
    el('div', { class: 'actions' }, mine
      ? el('button', { type: 'button', class: 'action-done primary', onclick: () => act(t('act.done'), 'POST', tpath(`/actions/${a.id}/done`), {}, state.actions) }, t('act.done'))
      : null));
}
