// summary — "what needs me now", above the panels: what awaits the user's
// party (acknowledgements, acceptances, responses, action items) with the
// nearest deadline counting down; each line opens its panel.

import { t } from '../i18n.js';
import { el } from '../util.js';
import { $, state, ctx, me, role, canWrite, isOverseer, dueSpan } from '../ctx.js';
import { zoneNeedsMe, activityNeedsMe } from './objects.js';
import { needsMe as disputeNeedsMe } from './disputes.js';

function earliest(list, field) {
  const ds = list.map((x) => x[field]).filter(Boolean).sort();
  return ds[0] || null;
}

export function render() {
  const box = $('summary');
  if (!state.track || !canWrite()) { box.replaceChildren(); box.hidden = true; return; }
  const mine = me();
  const lines = [];
  const add = (key, list, tab, field) => { if (list.length) lines.push({ key, n: list.length, tab, due: field ? earliest(list, field) : null }); };
  add('sum.messages', state.messages.filter((m) => (m.awaiting || []).includes(mine)), 'hotline', 'ack_due');
  if (role() === 'principal') {
    add('sum.conflicts', state.conflicts.filter((c) => c.status !== 'resolved' && (c.parties || []).includes(mine) && !(c.acks || []).includes(mine)), 'conflicts');
  }
  add('sum.zones', state.zones.filter(zoneNeedsMe), 'objects');
  add('sum.activities', state.activities.filter(activityNeedsMe), 'objects');
  add('sum.threats', state.threats.filter((x) => x.refer_to === mine && ['referred', 'acknowledged'].includes(x.status)), 'threats', 'respond_by');
  add('sum.disputes', state.disputes.filter((d) => d.against === mine && d.status === 'open'), 'disputes', 'respond_by');
  if (isOverseer()) add('sum.escalated', state.disputes.filter((d) => disputeNeedsMe(d) && d.escalated), 'disputes', 'resolve_by');
  add('sum.actions', state.actions.filter((a) => a.owner === mine && a.status !== 'done'), 'meetings', 'due');
  box.hidden = false;
  box.replaceChildren(el('h2', { class: 'sub' }, t('summary.label')),
    lines.length ? el('ul', { class: 'needs' }, ...lines.map((l) => el('li', { dataset: { key: l.key } },
      el('button', { type: 'button', class: 'link', onclick: () => ctx.showTab(l.tab) }, t(l.key, { n: l.n })),
      l.due ? [' ', dueSpan(l.due)] : null)))
      : el('p', { class: 'muted small', id: 'summary-none' }, t('summary.none')));
}
