// Every workflow of the contract through the console, each as the role that
// performs it; the API then shows the change. Buttons appear only where the
// role may act.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser, T } from './helpers.mjs';

after(closeBrowser);

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
