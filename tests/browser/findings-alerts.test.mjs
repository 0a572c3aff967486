// Dangerous actions confirm and alerts reach a person: FLASH asks first and
// the form returns to ROUTINE; "all" and named parties exclude each other; a
// FLASH awaiting the user changes the tab title, sounds and raises a desktop
// notification when allowed; countdowns never show blank and stay readable overdue.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openAs, pickTrack, shot, apiAs, closeBrowser, logSize, waitLive } from './helpers.mjs';

after(closeBrowser);

test('a FLASH awaiting IL changes the tab title, sounds once and raises a desktop notification', async () => {
  const b = await openAs('il');
  try {
    await b.context.grantPermissions(['notifications'], { origin: BASE });
    await pickTrack(b.page, 'tr-il');
    await waitLive(b.page);
    const title = await b.page.title();
    assert.doesNotMatch(title, /FLASH/);
    const sounds = await b.page.evaluate(() => window.tansiq.state.alerts.sounds);
    const sent = await apiAs('TR', 'POST', '/v1/tracks/tr-il/messages', { to: ['IL'], precedence: 'flash', subject: 'Browser alert test', body: 'x' });
    assert.equal(sent.status, 201);
    await b.page.waitForFunction(() => document.title.startsWith('⚠ FLASH'));
    await b.page.waitForFunction((n) => window.tansiq.state.alerts.sounds === n + 1, sounds);
    assert.ok(await b.page.evaluate((id) => window.tansiq.state.alerts.notifications.includes(id), sent.json.id), 'desktop notification raised');
    // Re-renders do not sound again.
    await b.page.evaluate(() => window.tansiq.ctx.renderAll());
    assert.equal(await b.page.evaluate(() => window.tansiq.state.alerts.sounds), sounds + 1);
    await shot(b.page, '82-flash-alert');
    await b.page.locator('.tabs [data-tab="hotline"]').click();
    await b.page.locator(`#messages .card[data-id="${sent.json.id}"] button.ack`).click();
    await b.page.waitForFunction(() => !document.title.startsWith('⚠'));
  } finally { await b.close(); }
});

test('countdowns are filled when drawn (no blank on refresh) and stay readable when overdue', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="disputes"]').click();
    await b.page.locator('#disputes .card .due').first().waitFor();
    const blank = await b.page.evaluate(() => {
      window.tansiq.ctx.renderAll();
      return [...document.querySelectorAll('.due[data-due]')].filter((e) => e.dataset.due && !e.textContent.trim()).length;
    });
    assert.equal(blank, 0, 'no countdown is blank right after a re-render');
    const over = await b.page.evaluate(async () => {
      const { fmtCountdown } = await import('/app/i18n.js');
      const now = Date.parse('2026-01-01T12:00:00Z');
      return [fmtCountdown(now - 65000, now), fmtCountdown(now - 2 * 3600000 - 60000, now), fmtCountdown(now + 299000, now)];
    });
    assert.deepEqual(over.slice(0, 1), ['overdue by 1:05']);
    assert.match(over[1], /^overdue by 2 hr, 1 min$/);
    assert.equal(over[2], 'in 4:59');
  } finally { await b.close(); }
});
