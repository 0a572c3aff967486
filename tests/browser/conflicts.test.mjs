// The conflicts panel: acknowledging a conflict updates the panel.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser } from './helpers.mjs';

after(closeBrowser);

test('IL acknowledges the strike conflict near Hmeimim and the panel shows it', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'ru-il');
    const card = b.page.locator('#conflicts .card', { hasText: 'deployment risk' }).first();
    await card.waitFor();
    const id = await card.getAttribute('data-id');
    assert.match(await card.textContent(), /acknowledged by nobody yet/);
    await shot(b.page, '20-conflict-before-ack');
    await card.locator('button.ack').click();
    const after1 = b.page.locator(`#conflicts .card[data-id="${id}"]`);
    await after1.locator('text=acknowledged by IL').waitFor();
    assert.equal(await after1.locator('button.ack').count(), 0, 'no second acknowledge');
    const server = await apiAs('RU', 'GET', `/v1/tracks/ru-il/conflicts/${id}`);
    assert.deepEqual(server.json.acks, ['IL']);
    await shot(b.page, '21-conflict-after-ack');

    // RU acknowledges through the API: IL's panel turns the card to acknowledged, live.
    const ru = await apiAs('RU', 'POST', `/v1/tracks/ru-il/conflicts/${id}/acknowledge`, {});
    assert.equal(ru.status, 200);
    await b.page.locator(`#conflicts .card[data-id="${id}"][data-status="acknowledged"]`).waitFor();
    await shot(b.page, '22-conflict-acknowledged-by-all');
  } finally { await b.close(); }
});

test('TR, owner of the influence area, consents to IL\'s entry and the conflict is resolved', async () => {
  const b = await openAs('tr');
  try {
    await pickTrack(b.page, 'tr-il');
    const card = b.page.locator('#conflicts .card', { hasText: 'influence entry' }).first();
    await card.waitFor();
    const id = await card.getAttribute('data-id');
    assert.equal(await b.page.locator('#conflicts .card button.consent').count(), 1, 'consent only where TR owns the zone');
    await card.locator('button.consent').click();
    await b.page.locator(`#conflicts .card[data-id="${id}"][data-status="resolved"]`).waitFor();
    assert.match(await b.page.locator(`#conflicts .card[data-id="${id}"]`).textContent(), /resolution consented/);
    // Resolved conflicts sort after the open ones.
    const statuses = await b.page.$$eval('#conflicts .card', (cs) => cs.map((c) => c.dataset.status));
    assert.equal(statuses[statuses.length - 1], 'resolved');
    await shot(b.page, '23-conflict-consented');
  } finally { await b.close(); }
});

test('the mediator RU waives a conflict with a note', async () => {
  const b = await openAs('ru');
  try {
    await pickTrack(b.page, 'il-sy');
    const card = b.page.locator('#conflicts .card[data-status="open"]', { hasText: 'limitation exceeded' }).first();
    await card.waitFor();
    const id = await card.getAttribute('data-id');
    await card.locator('input.note').fill('Brigade ordered back behind the line');
    await card.locator('button.resolve').click();
    // A waiver asks for confirmation; the note is required and carried over from the card.
    await b.page.locator('#ask').waitFor({ state: 'visible' });
    assert.equal(await b.page.locator('#ask-input').inputValue(), 'Brigade ordered back behind the line');
    await b.page.locator('#ask-input').fill('');
    assert.equal(await b.page.locator('#ask-ok').isDisabled(), true, 'no waiver without a note');
    await b.page.locator('#ask-input').fill('Brigade ordered back behind the line');
    await b.page.locator('#ask-ok').click();
    await b.page.locator(`#conflicts .card[data-id="${id}"][data-status="resolved"]`).waitFor();
    const server = await apiAs('IL', 'GET', `/v1/tracks/il-sy/conflicts/${id}`);
    assert.equal(server.json.status, 'resolved');
    assert.equal(server.json.resolution, 'waived');
    assert.equal(server.json.note, 'Brigade ordered back behind the line');
    await shot(b.page, '24-conflict-waived');
  } finally { await b.close(); }
});
