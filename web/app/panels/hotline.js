// hotline — messages of the track: compose ("all" and named parties are
// exclusive; a FLASH asks for confirmation and the form returns to ROUTINE
// after it), acknowledge, and the alerts of a FLASH awaiting the user:
// banner, tab title, a sound (WebAudio) and a desktop notification when the
// user has allowed them.

import { api } from '../api.js';
import { t, tEnum, fmtTime, fmtList } from '../i18n.js';
import { el, raw } from '../util.js';
import { $, state, ctx, me, role, canWrite, tpath, upsert, act, ask, dueSpan, mayRead } from '../ctx.js';

export function init() {
  $('compose-form').addEventListener('submit', onSend);
  $('compose-to').addEventListener('change', (e) => {
    const box = e.target;
    if (!box.matches('input[type=checkbox]')) return;
    const all = $('compose-to').querySelector('input.to-all');
    const named = [...$('compose-to').querySelectorAll('input:not(.to-all)')];
    if (box === all && all.checked) named.forEach((n) => { n.checked = false; });
    else if (box !== all && box.checked) all.checked = false;
    if (!all.checked && !named.some((n) => n.checked)) all.checked = true;
  });
}

export function relabel() { if (state.track) onTrack(); }

export function onTrack() {
  const box = $('compose-to');
  const others = (state.track.members || []).filter((m) => m.party !== me());
  box.replaceChildren(el('legend', {}, t('msg.to')),
    el('label', {}, el('input', { type: 'checkbox', value: 'all', checked: true, class: 'to-all' }), ' ', t('msg.all')),
    ...others.map((m) => el('label', {}, el('input', { type: 'checkbox', value: m.party }), ' ', raw(m.party), ` (${tEnum('role', m.role)})`)));
  $('compose').hidden = !canWrite() || !mayRead('messages') && role() !== 'host' || role() === 'observer';
}

export function render() {
  const list = [...state.messages].sort((a, b) => (b.seq || 0) - (a.seq || 0));
  const awaitingMe = list.filter((m) => (m.awaiting || []).includes(me()));
  $('n-hotline').textContent = awaitingMe.length || '';
  $('n-hotline').classList.toggle('alert', awaitingMe.length > 0);
  const note = $('hotline-note');
  note.hidden = !state.denied.messages && list.length > 0;
  note.textContent = state.denied.messages || t('msg.none');
  $('messages').replaceChildren(...list.map(card));
  updateFlash();
}

function card(m) {
  const awaiting = m.awaiting || [];
  const mustAck = awaiting.includes(me()) && canWrite();
  const to = m.to === 'all' ? t('msg.all') : fmtList(m.to || []);
  return el('li', {
    class: `card msg msg-${m.precedence}${mustAck ? ' awaiting-me' : ''}`, dataset: { id: m.id, seq: m.seq, precedence: m.precedence },
  },
  el('h3', {}, el('span', { class: `badge p-${m.precedence}` }, tEnum('precedence', m.precedence)), ' ',
    el('span', { dir: 'auto', class: 'subject', translate: 'no' }, m.subject || ''),
    m.escalated ? [' ', el('span', { class: 'badge critical' }, t('msg.escalated'))] : null),
  el('div', { class: 'meta' }, `#${m.seq} · `, raw(m.from), ' → ', raw(to), ` · ${fmtTime(m.created_at)}`),
  el('div', { class: 'body', dir: 'auto', translate: 'no' }, m.body || ''),
  el('div', { class: 'actions' },
    mustAck ? el('button', { type: 'button', class: 'ack primary', onclick: () => ackMessage(m) }, t('msg.ack')) : null,
    m.ack_required !== false && (m.addressees || []).length
      ? el('span', { class: 'meta acks' }, awaiting.length ? [t('msg.awaiting'), ' ', raw(fmtList(awaiting))] : [t('cfl.ackedby'), ' ', raw(fmtList(m.acks || []))])
      : null,
    m.ack_due && awaiting.length ? el('span', { class: 'meta' }, t('msg.due'), ' ', dueSpan(m.ack_due)) : null));
}

async function ackMessage(m) {
  await act(t('msg.ack'), 'POST', tpath(`/messages/${encodeURIComponent(m.id)}/ack`), {}, state.messages);
}

// ---- alerts
function beep() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    const ac = beep.ac || (beep.ac = new Ctx());
    if (ac.state === 'suspended') ac.resume();
    for (let i = 0; i < 3; i++) {
      const osc = ac.createOscillator();
      const gain = ac.createGain();
      osc.type = 'square';
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(ac.destination);
      osc.start(ac.currentTime + i * 0.3);
      osc.stop(ac.currentTime + i * 0.3 + 0.18);
    }
    state.alerts.sounds += 1;
  } catch (e) { console.warn('sound', e); }
}

function notify(m, track) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(t('flash.notify', { track }), { body: `${m.from}: ${m.subject || ''}`, tag: m.id, requireInteraction: true });
    n.onclick = () => { window.focus(); ctx.showTab('hotline'); };
    state.alerts.notifications.push(m.id);
  } catch (e) { console.warn('notification', e); }
}

// A FLASH seen for the first time: sound and desktop notification, once per message.
function alertOnce(m, track) {
  if (state.flashSeen.has(m.id)) return;
  state.flashSeen.add(m.id);
  beep();
  notify(m, track);
}

function updateFlash() {
  const banner = $('flash-banner');
  const flash = state.messages.filter((m) => m.precedence === 'flash' && (m.awaiting || []).includes(me()))
    .sort((a, b) => (b.seq || 0) - (a.seq || 0))[0];
  document.title = flash ? `⚠ ${t('precedence.flash')} — ${t('app.title')}` : t('app.title');
  if (!flash) { if (!banner.dataset.other) banner.hidden = true; return; }
  delete banner.dataset.other;
  alertOnce(flash, state.track.id);
  banner.replaceChildren(
    el('span', {}, `⚠ ${t('precedence.flash')}`),
    el('span', { dir: 'auto', translate: 'no' }, `${flash.from}: ${flash.subject || ''}`),
    dueSpan(flash.ack_due || ''),
    el('button', { type: 'button', onclick: () => { ctx.showTab('hotline'); ackMessage(flash); } }, t('msg.ack')),
    el('button', { type: 'button', onclick: () => ctx.showTab('hotline') }, t('flash.open')),
    'Notification' in window && Notification.permission === 'default'
      ? el('button', { type: 'button', onclick: () => Notification.requestPermission() }, t('flash.enable')) : null);
  banner.hidden = false;
}

export function notifyOtherTrack(track, m) {
  if (state.flashSeen.has(m.id)) return;
  alertOnce(m, track);
  const banner = $('flash-banner');
  banner.dataset.other = track;
  banner.replaceChildren(el('span', {}, `⚠ ${t('precedence.flash')} — ${track}`), el('span', { dir: 'auto', translate: 'no' }, `${m.from}: ${m.subject || ''}`),
    el('button', { type: 'button', onclick: () => { delete banner.dataset.other; $('track').value = track; $('track').dispatchEvent(new Event('change')); } }, t('flash.go')));
  banner.hidden = false;
}

async function onSend(ev) {
  ev.preventDefault();
  const checked = [...document.querySelectorAll('#compose-to input:checked')].map((i) => i.value);
  const to = checked.includes('all') || checked.length === 0 ? 'all' : checked;
  const precedence = $('compose-precedence').value;
  const body = { to, precedence, subject: $('compose-subject').value, body: $('compose-body').value };
  const err = $('compose-error');
  if (precedence === 'flash') {
    const ok = await ask({
      title: t('flash.confirm.title'), danger: true, ok: t('flash.confirm.ok'),
      text: t('flash.confirm.text', { to: to === 'all' ? t('msg.all') : fmtList(to) }),
    });
    if (ok === null) return;
  }
  try {
    const m = await api('POST', tpath('/messages'), body);
    upsert(state.messages, m);
    render();
    $('compose-subject').value = '';
    $('compose-body').value = '';
    $('compose-precedence').value = 'routine'; // never leave the next message at FLASH by accident
    err.hidden = true;
  } catch (e) {
    err.hidden = false;
    err.textContent = e.message;
  }
}
