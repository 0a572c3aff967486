// Live updates: a FLASH message posted through the API by another party shows
// without reload and can be acknowledged; right-to-left bodies; the event
// stream resumes after the server went away, without losing an event.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  openAs, pickTrack, shot, apiAs, closeBrowser, waitLive, canRestart, stopServer, startServer, logSize,
} from './helpers.mjs';

after(closeBrowser);

test('a FLASH from TR appears without reload, loud, with a countdown, and IL acknowledges it', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'tr-il');
    await b.page.locator('.tabs [data-tab="hotline"]').click();
    await waitLive(b.page);
    await b.page.evaluate(() => { window.__sameDocument = 'yes'; });
    const sent = await apiAs('TR', 'POST', '/v1/tracks/tr-il/messages', {
      to: ['IL'], precedence: 'flash', subject: 'Missile launch detected near T4',
      body: 'Immediate: launch detected 10 km east of Tiyas. Confirm receipt.',
    });
    assert.equal(sent.status, 201);
    const card = b.page.locator(`#messages .card[data-id="${sent.json.id}"]`);
    await card.waitFor({ timeout: 10000 });
    assert.equal(await b.page.evaluate(() => window.__sameDocument), 'yes', 'no reload');
    assert.equal(await card.getAttribute('data-precedence'), 'flash');
    assert.match(await card.locator('.badge.p-flash').textContent(), /flash/i);
    const banner = b.page.locator('#flash-banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /FLASH.*TR: Missile launch detected near T4/);
    await b.page.waitForFunction((id) => /in [0-4]:\d\d/.test(
      document.querySelector(`#messages .card[data-id="${id}"] .due`)?.textContent || ''), sent.json.id);
    assert.equal(await b.page.locator('#n-hotline').textContent(), '1');
    await shot(b.page, '30-flash-received');

    await card.locator('button.ack').click();
    await card.locator('text=acknowledged by IL').waitFor();
    assert.equal(await card.locator('button.ack').count(), 0);
    await banner.waitFor({ state: 'hidden' });
    const server = await apiAs('TR', 'GET', `/v1/tracks/tr-il/messages/${sent.json.id}`);
    assert.deepEqual(server.json.acks, ['IL']);
    await shot(b.page, '31-flash-acknowledged');
  } finally { await b.close(); }
});

test('Hebrew and Arabic message bodies render right to left, English left to right', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="hotline"]').click();
    const dirs = await b.page.$$eval('#messages .card .body', (bs) => bs.map((x) => [x.getAttribute('dir'), getComputedStyle(x).direction, x.textContent.slice(0, 12)]));
    const hebrew = dirs.find(([, , t]) => /[\u0590-\u05FF]/.test(t));
    const arabic = dirs.find(([, , t]) => /[\u0600-\u06FF]/.test(t));
    assert.ok(hebrew && arabic, JSON.stringify(dirs));
    assert.deepEqual([hebrew[0], hebrew[1]], ['auto', 'rtl']);
    assert.deepEqual([arabic[0], arabic[1]], ['auto', 'rtl']);
    await shot(b.page, '32-hotline-rtl');
    await pickTrack(b.page, 'ru-il');
    const english = await b.page.$$eval('#messages .card .body', (bs) => bs.map((x) => [x.textContent, getComputedStyle(x).direction]))
      .then((l) => l.find(([t]) => t.startsWith('Received with thanks')));
    assert.equal(english[1], 'ltr');
  } finally { await b.close(); }
});

test('after the server went away and came back, the stream resumes without losing an event', { skip: !canRestart }, async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'tr-il');
    await b.page.locator('.tabs [data-tab="hotline"]').click();
    await waitLive(b.page);
    // The browser goes offline too, so that it cannot reconnect before the message is posted:
    // the message must come by replay after the last event id, not live.
    await b.context.setOffline(true);
    await stopServer();
    await b.page.waitForFunction(() => document.getElementById('live').dataset.state !== 'live');
    await shot(b.page, '33-stream-lost');
    await startServer();
    const sent = await apiAs('TR', 'POST', '/v1/tracks/tr-il/messages', {
      to: 'all', precedence: 'priority', subject: 'Posted while the console was offline', body: 'resume check',
    });
    assert.equal(sent.status, 201);
    const index = (await logSize()) - 1; // log indexes start at 0
    assert.equal(await b.page.evaluate((i) => window.tansiq.state.eventIds.includes(i), index), false);
    await b.context.setOffline(false);
    await waitLive(b.page);
    await b.page.waitForFunction((i) => window.tansiq.state.eventIds.includes(i), index, { timeout: 20000 });
    await b.page.locator(`#messages .card[data-id="${sent.json.id}"]`).waitFor();
    const ids = await b.page.evaluate(() => window.tansiq.state.eventIds);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    await shot(b.page, '34-stream-resumed');
  } finally { await b.close(); }
});
