// Every workflow of the contract through the console, each as the role that
// performs it; the API then shows the change. Buttons appear only where the
// role may act.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser, T, square, hours, confirm, until } from './helpers.mjs';

after(closeBrowser);

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
