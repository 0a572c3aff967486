// Every workflow of the contract through the console, each as the role that
// performs it; the API then shows the change. Buttons appear only where the
// role may act.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser } from './helpers.mjs';

after(closeBrowser);

const T = '/v1/tracks/il-sy';
let n = 0;
// A small square far from the demo's objects (each call a new place).
function square() {
  const x = 37.2 + (n % 10) * 0.05, y = 34.2 + Math.floor(n / 10) * 0.05;
  n++;
  return { type: 'Polygon', coordinates: [[[x, y], [x + 0.02, y], [x + 0.02, y + 0.02], [x, y + 0.02], [x, y]]] };
}
const hours = (h) => new Date(Date.now() + h * 3600000).toISOString();

async function confirm(page, text) {
  await page.locator('#ask').waitFor({ state: 'visible' });
  if (text !== undefined) await page.locator('#ask-input').fill(text);
  await page.locator('#ask-ok').click();
  await page.locator('#ask').waitFor({ state: 'hidden' });
}

async function until(fn, what) {
  for (let i = 0; i < 100; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('zones: SY accepts one proposed zone and rejects another with a reason; IL withdraws its own', async () => {
  const z1 = await apiAs('IL', 'POST', `${T}/zones`, { kind: 'demilitarized', name: 'Browser zone to accept', geometry: square() });
  const z2 = await apiAs('IL', 'POST', `${T}/zones`, { kind: 'limitation', name: 'Browser zone to reject', geometry: square(), caps: { tanks: 0 } });
  const z3 = await apiAs('IL', 'POST', `${T}/zones`, { kind: 'protected_site', name: 'Browser zone to withdraw', geometry: square() });
  for (const z of [z1, z2, z3]) assert.equal(z.status, 201, JSON.stringify(z.json));
  const sy = await openAs('sy');
  try {
    await pickTrack(sy.page, 'il-sy');
    await sy.page.locator('.tabs [data-tab="objects"]').click();
    const c1 = sy.page.locator(`#zones .card[data-id="${z1.json.id}"]`);
    await c1.waitFor();
    assert.equal(await c1.locator('button.zone-withdraw').count(), 0, 'SY does not withdraw IL\'s zone');
    await c1.locator('button.zone-accept').click();
    await sy.page.locator(`#zones .card[data-id="${z1.json.id}"][data-status="in_force"]`).waitFor();
    const a = await apiAs('IL', 'GET', `${T}/zones/${z1.json.id}`);
    assert.equal(a.json.status, 'in_force');
    assert.ok(a.json.accepted_by.includes('SY'));

    await sy.page.locator(`#zones .card[data-id="${z2.json.id}"] button.zone-reject`).click();
    assert.equal(await sy.page.locator('#ask-ok').isDisabled(), true, 'a rejection needs its reason');
    await confirm(sy.page, 'Caps leave no room for the agreed rotation');
    await sy.page.locator(`#zones .card[data-id="${z2.json.id}"][data-status="rejected"]`).waitFor();
    assert.equal((await apiAs('IL', 'GET', `${T}/zones/${z2.json.id}`)).json.status, 'rejected');
    await shot(sy.page, '70-zones-accept-reject');
  } finally { await sy.close(); }

  const il = await openAs('il');
  try {
    await pickTrack(il.page, 'il-sy');
    await il.page.locator('.tabs [data-tab="objects"]').click();
    const c3 = il.page.locator(`#zones .card[data-id="${z3.json.id}"]`);
    await c3.waitFor();
    assert.equal(await c3.locator('button.zone-accept').count(), 0);
    await c3.locator('button.zone-withdraw').click();
    await confirm(il.page);
    await il.page.locator(`#zones .card[data-id="${z3.json.id}"][data-status="withdrawn"]`).waitFor();
    assert.equal((await apiAs('SY', 'GET', `${T}/zones/${z3.json.id}`)).json.status, 'withdrawn');
  } finally { await il.close(); }
});

test('activities: IL acknowledges SY\'s activity, modifies and cancels its own', async () => {
  const theirs = await apiAs('SY', 'POST', `${T}/activities`, {
    kind: 'exercise', description: 'Browser SY exercise', geometry: square(), altitude: { min_m: 0, max_m: 100 },
    window: { start: hours(30), end: hours(32) },
  });
  const mine = await apiAs('IL', 'POST', `${T}/activities`, {
    kind: 'air_sortie', description: 'Browser IL sortie', geometry: square(), altitude: { min_m: 3000, max_m: 6000 },
    window: { start: hours(40), end: hours(41) },
  });
  assert.equal(theirs.status, 201);
  assert.equal(mine.status, 201);
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="objects"]').click();
    const c1 = b.page.locator(`#activities .card[data-id="${theirs.json.id}"]`);
    await c1.waitFor();
    assert.equal(await c1.locator('button.act-cancel').count(), 0, 'only the declarer cancels');
    await c1.locator('button.act-ack').click();
    await until(async () => (await apiAs('SY', 'GET', `${T}/activities/${theirs.json.id}`)).json.acks.includes('IL'), 'IL in acks');
    await b.page.locator(`#activities .card[data-id="${theirs.json.id}"] button.act-ack`).waitFor({ state: 'detached' });

    const c2 = b.page.locator(`#activities .card[data-id="${mine.json.id}"]`);
    assert.equal(await c2.locator('button.act-ack').count(), 0, 'no acknowledging one\'s own activity');
    await c2.locator('button.act-modify').click();
    const form = c2.locator('form.act-edit');
    await form.locator('input[name="description"]').fill('Browser IL sortie, moved one hour later');
    const start = new Date(Date.parse(mine.json.window.start) + 3600000).toISOString().slice(0, 16);
    const end = new Date(Date.parse(mine.json.window.end) + 3600000).toISOString().slice(0, 16);
    await form.locator('input[name="start"]').fill(start);
    await form.locator('input[name="end"]').fill(end);
    await form.locator('button[type="submit"]').click();
    await until(async () => (await apiAs('SY', 'GET', `${T}/activities/${mine.json.id}`)).json.description === 'Browser IL sortie, moved one hour later', 'modified');
    const m = (await apiAs('SY', 'GET', `${T}/activities/${mine.json.id}`)).json;
    assert.equal(m.window.start.slice(0, 16), start, 'the window entered in UTC is the one stored');
    await shot(b.page, '71-activity-modified');

    await b.page.locator(`#activities .card[data-id="${mine.json.id}"] button.act-cancel`).click();
    await confirm(b.page);
    await b.page.locator(`#activities .card[data-id="${mine.json.id}"][data-status="cancelled"]`).waitFor();
    assert.equal((await apiAs('SY', 'GET', `${T}/activities/${mine.json.id}`)).json.status, 'cancelled');
  } finally { await b.close(); }
});

test('deployments: IL declares one from the console and ends it', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="declare"]').click();
    await b.page.locator('#d-type').selectOption('deployment');
    assert.equal(await b.page.locator('#d-kind-row').isVisible(), false);
    await b.page.locator('#d-name').fill('Browser reserve battalion');
    await b.page.locator('#d-troops').fill('600');
    await b.page.locator('#d-tanks').fill('12');
    await b.page.locator('#d-geojson').fill(JSON.stringify(square()));
    await b.page.locator('#d-submit').click();
    await b.page.waitForFunction(() => /dep_/.test(document.getElementById('d-status').textContent));
    const id = (await b.page.locator('#d-status').textContent()).match(/dep_[A-Za-z0-9]+/)[0];
    const d = (await apiAs('SY', 'GET', `${T}/deployments/${id}`)).json;
    assert.equal(d.unit, 'Browser reserve battalion');
    assert.equal(d.strength.troops, 600);
    assert.equal(d.strength.tanks, 12);

    await b.page.locator('.tabs [data-tab="objects"]').click();
    await b.page.locator(`#deployments .card[data-id="${id}"] button.dep-end`).click();
    await confirm(b.page);
    await b.page.locator(`#deployments .card[data-id="${id}"][data-status="withdrawn"]`).waitFor();
    assert.equal((await apiAs('SY', 'GET', `${T}/deployments/${id}`)).json.status, 'withdrawn');
  } finally { await b.close(); }
});

test('disputes: IL files, SY responds, the mediator RU mediates and resolves; deadlines count down', async () => {
  const il = await openAs('il');
  let id;
  try {
    await pickTrack(il.page, 'il-sy');
    await il.page.locator('.tabs [data-tab="disputes"]').click();
    await il.page.locator('#file-dispute summary').click();
    await il.page.locator('#ds-against').selectOption('SY');
    await il.page.locator('#ds-subject').fill('Browser dispute: artillery moved into the limitation area');
    await il.page.locator('#ds-description').fill('Two batteries observed inside the 10 km area.');
    await il.page.locator('#ds-submit').click();
    await il.page.waitForFunction(() => /dsp_/.test(document.getElementById('ds-status').textContent));
    id = (await il.page.locator('#ds-status').textContent()).match(/dsp_[A-Za-z0-9]+/)[0];
    const card = il.page.locator(`#disputes .card[data-id="${id}"]`);
    await card.waitFor();
    assert.match(await card.locator('.deadline-respond .due').textContent(), /^in /);
    assert.match(await card.locator('.deadline-resolve .due').textContent(), /^in /);
    assert.equal(await card.locator('button.dsp-respond').count(), 0, 'the complainant does not respond');
    assert.equal(await card.locator('button.dsp-resolve').count(), 0, 'a principal never resolves');
    assert.equal((await apiAs('SY', 'GET', `${T}/disputes/${id}`)).json.against, 'SY');
  } finally { await il.close(); }

  const sy = await openAs('sy');
  try {
    await pickTrack(sy.page, 'il-sy');
    await sy.page.locator('.tabs [data-tab="disputes"]').click();
    const card = sy.page.locator(`#disputes .card[data-id="${id}"]`);
    await card.waitFor();
    assert.equal(await card.locator('button.dsp-withdraw').count(), 0);
    await card.locator('button.dsp-respond').click();
    await confirm(sy.page, 'The batteries are outside the area; coordinates attached.');
    await sy.page.locator(`#disputes .card[data-id="${id}"][data-status="responded"]`).waitFor();
    const d = (await apiAs('IL', 'GET', `${T}/disputes/${id}`)).json;
    assert.equal(d.status, 'responded');
    assert.equal(d.response, 'The batteries are outside the area; coordinates attached.');
  } finally { await sy.close(); }

  const ru = await openAs('ru');
  try {
    await pickTrack(ru.page, 'il-sy');
    await ru.page.locator('.tabs [data-tab="disputes"]').click();
    const card = ru.page.locator(`#disputes .card[data-id="${id}"]`);
    await card.waitFor();
    await card.locator('button.dsp-mediate').click();
    await confirm(ru.page, 'Joint inspection on Thursday');
    await ru.page.locator(`#disputes .card[data-id="${id}"][data-status="in_mediation"]`).waitFor();
    await ru.page.locator(`#disputes .card[data-id="${id}"] button.dsp-resolve`).click();
    assert.equal(await ru.page.locator('#ask-ok').isDisabled(), true, 'an outcome is required');
    await confirm(ru.page, 'Inspection found the batteries 12 km out; closed.');
    await ru.page.locator(`#disputes .card[data-id="${id}"][data-status="resolved"]`).waitFor();
    const d = (await apiAs('IL', 'GET', `${T}/disputes/${id}`)).json;
    assert.equal(d.status, 'resolved');
    assert.equal(d.outcome, 'Inspection found the batteries 12 km out; closed.');
    await shot(ru.page, '72-dispute-resolved');
  } finally { await ru.close(); }
});

test('disputes: the complainant withdraws its complaint', async () => {
  const filed = await apiAs('IL', 'POST', `${T}/disputes`, { against: 'SY', subject: 'Browser dispute to withdraw', description: 'x' });
  assert.equal(filed.status, 201);
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="disputes"]').click();
    await b.page.locator(`#disputes .card[data-id="${filed.json.id}"] button.dsp-withdraw`).click();
    await confirm(b.page, 'Settled bilaterally');
    await b.page.locator(`#disputes .card[data-id="${filed.json.id}"][data-status="withdrawn"]`).waitFor();
    assert.equal((await apiAs('SY', 'GET', `${T}/disputes/${filed.json.id}`)).json.status, 'withdrawn');
  } finally { await b.close(); }
});

test('threats: IL reports and refers to SY; SY disputes it with a reason; location and history are shown', async () => {
  const il = await openAs('il');
  let id;
  try {
    await pickTrack(il.page, 'il-sy');
    await il.page.locator('.tabs [data-tab="threats"]').click();
    await il.page.locator('#report summary').click();
    await il.page.locator('#r-category').selectOption('uav');
    await il.page.locator('#r-description').fill('Browser: loitering drone over the ridge');
    await il.page.locator('#r-lat').fill('33.05');
    await il.page.locator('#r-lon').fill('35.9');
    await il.page.locator('#r-refer').selectOption('SY');
    await il.page.locator('#r-submit').click();
    await il.page.waitForFunction(() => /thr_/.test(document.getElementById('r-status').textContent));
    id = (await il.page.locator('#r-status').textContent()).match(/thr_[A-Za-z0-9]+/)[0];
    const t = (await apiAs('SY', 'GET', `${T}/threats/${id}`)).json;
    assert.equal(t.refer_to, 'SY');
    assert.deepEqual(t.geometry.coordinates, [35.9, 33.05]);
    const card = il.page.locator(`#threats .card[data-id="${id}"]`);
    await card.waitFor();
    assert.match(await card.locator('.mgrs').textContent(), /^36S/);
    assert.equal(await card.locator('button.respond-disputed').count(), 0, 'only the referred party answers');
  } finally { await il.close(); }

  const sy = await openAs('sy');
  try {
    await pickTrack(sy.page, 'il-sy');
    await sy.page.locator('.tabs [data-tab="threats"]').click();
    const card = sy.page.locator(`#threats .card[data-id="${id}"]`);
    await card.waitFor();
    await card.locator('button.respond-disputed').click();
    assert.equal(await sy.page.locator('#ask-ok').isDisabled(), true, 'disputing needs a reason');
    await confirm(sy.page, 'Our own surveillance drone, notified on the hotline at 09:10Z');
    const after1 = sy.page.locator(`#threats .card[data-id="${id}"][data-status="disputed"]`);
    await after1.waitFor();
    assert.match(await after1.getAttribute('class'), /contested/);
    assert.doesNotMatch(await after1.getAttribute('class'), /resolved/, 'a disputed threat does not look closed');
    assert.match(await after1.locator('.history').textContent(), /Our own surveillance drone/);
    const t = (await apiAs('IL', 'GET', `${T}/threats/${id}`)).json;
    assert.equal(t.status, 'disputed');
    assert.equal(t.responses[0].note, 'Our own surveillance drone, notified on the hotline at 09:10Z');
    await shot(sy.page, '73-threat-disputed');
  } finally { await sy.close(); }
});

test('meetings: list and week view, agenda with links, minutes with decisions and an action item, action done, calendar.ics', async () => {
  const start = new Date(Date.now() - 2 * 3600000);
  start.setUTCMinutes(0, 0, 0);
  const series = await apiAs('IL', 'POST', `${T}/meetings/series`, {
    title: 'Browser working group', venue: 'Geneva', host: 'US', start: start.toISOString(), duration: 'PT1H',
  });
  assert.equal(series.status, 201, JSON.stringify(series.json));
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="meetings"]').click();
    const card = b.page.locator('#meetings .card', { hasText: 'Browser working group' });
    await card.waitFor();
    const occ = await card.getAttribute('data-id');
    assert.ok(occ.startsWith(`${series.json.id}:`));

    await b.page.locator('#mtg-week-view').click();
    await b.page.locator(`#week .week-item[data-id="${occ}"]`).waitFor();
    await shot(b.page, '74-meetings-week');
    await b.page.locator(`#week .week-item[data-id="${occ}"]`).click();
    await b.page.locator('#agenda').waitFor();
    const items = await b.page.$$eval('#agenda li', (ls) => ls.map((l) => [l.dataset.type, l.dataset.id]));
    assert.ok(items.some(([type]) => type === 'conflict'), 'open conflicts are on the agenda');
    const [ctype, cid] = items.find(([type]) => type === 'conflict');
    await b.page.locator(`#agenda li[data-id="${cid}"] a`).click();
    assert.equal(await b.page.locator('#panel-conflicts').isVisible(), true, `the ${ctype} link opens its panel`);
    assert.equal(await b.page.evaluate(() => document.activeElement.dataset.id), cid);

    await b.page.locator('.tabs [data-tab="meetings"]').click();
    await b.page.locator('#mn-text').fill('Both sides reviewed the limitation caps.');
    await b.page.locator('#mn-decisions').fill('Caps stay as agreed\nNext review in two weeks');
    await b.page.locator('#mn-add-action').click();
    await b.page.locator('.action-row .a-owner').selectOption('IL');
    await b.page.locator('.action-row .a-text').fill('Send the inspection schedule');
    await b.page.locator('#mn-submit').click();
    await b.page.locator('#minutes').waitFor();
    const mn = (await apiAs('SY', 'GET', `${T}/meetings/${encodeURIComponent(occ)}/minutes`)).json;
    assert.equal(mn.text, 'Both sides reviewed the limitation caps.');
    assert.deepEqual(mn.decisions, ['Caps stay as agreed', 'Next review in two weeks']);
    assert.equal(mn.actions.length, 1);
    const action = mn.actions[0];

    const row = b.page.locator(`#actions .card[data-id="${action}"]`);
    await row.waitFor();
    await row.locator('button.action-done').click();
    await b.page.locator(`#actions .card[data-id="${action}"][data-status="done"]`).waitFor();
    assert.equal((await apiAs('SY', 'GET', `${T}/actions/${action}`)).json.status, 'done');

    const href = await b.page.locator('#mtg-ics').getAttribute('href');
    const ics = await b.page.evaluate(async (h) => { const r = await fetch(h); return [r.status, r.headers.get('content-type'), await r.text()]; }, href);
    assert.equal(ics[0], 200);
    assert.match(ics[1], /text\/calendar/);
    assert.match(ics[2], /BEGIN:VCALENDAR[\s\S]*SUMMARY:Browser working group/);
    await shot(b.page, '75-meeting-minutes');
  } finally { await b.close(); }
});

test('the host AZ sees meetings and the hotline, never asks for what it may not read, and opens on a usable tab', async () => {
  const b = await openAs('az');
  try {
    await b.page.waitForFunction(() => window.tansiq.state.loaded.track === 'tr-il');
    const asked = await b.page.evaluate(() => window.tansiq.state.requests);
    assert.deepEqual([...asked].sort(), ['actions', 'meetings', 'messages']);
    assert.deepEqual(await b.page.evaluate(() => window.tansiq.state.denied), {});
    const visible = await b.page.$$eval('.tabs button', (bs) => bs.filter((x) => !x.hidden).map((x) => x.dataset.tab));
    assert.deepEqual(visible, ['hotline', 'meetings', 'log', 'events']);
    assert.equal(await b.page.locator('#panel-hotline').isVisible(), true, 'opens on the hotline');
    // A refresh asks again for the same three, and nothing answers 403.
    const statuses = [];
    b.page.on('response', (r) => { if (r.url().includes('/v1/tracks/')) statuses.push(r.status()); });
    await b.page.evaluate(() => window.tansiq.state.loaded.count);
    await b.page.reload();
    await b.page.waitForFunction(() => window.tansiq && window.tansiq.state.loaded);
    assert.ok(statuses.length >= 3);
    assert.deepEqual(statuses.filter((s) => s >= 400), []);
  } finally { await b.close(); }
});
