// Dangerous actions confirm and alerts reach a person: FLASH asks first and
// the form returns to ROUTINE; "all" and named parties exclude each other; a
// FLASH awaiting the user changes the tab title, sounds and raises a desktop
// notification when allowed; countdowns never show blank and stay readable overdue.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, openAs, pickTrack, shot, apiAs, closeBrowser, logSize, waitLive } from './helpers.mjs';

after(closeBrowser);

test('a FLASH is confirmed before it is sent and the form returns to ROUTINE; "all" and named parties are exclusive', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'tr-il');
    await b.page.locator('.tabs [data-tab="hotline"]').click();
    await b.page.locator('#compose summary').click();
    const all = b.page.locator('#compose-to input.to-all');
    const tr = b.page.locator('#compose-to input[value="TR"]');
    assert.equal(await all.isChecked(), true);
    await tr.check();
    assert.equal(await all.isChecked(), false, 'naming a party unchecks "all"');
    await all.check();
    assert.equal(await tr.isChecked(), false, '"all" unchecks the named parties');
    await tr.check();

    await b.page.locator('#compose-precedence').selectOption('flash');
    await b.page.locator('#compose-subject').fill('Browser FLASH test');
    await b.page.locator('#compose-body').fill('Confirm receipt.');
    const before = await logSize();
    await b.page.locator('#compose-send').click();
    await b.page.locator('#ask').waitFor({ state: 'visible' });
    assert.match(await b.page.locator('#ask-text').textContent(), /immediate danger to life.*TR/);
    await b.page.locator('#ask-cancel').click();
    assert.equal(await logSize(), before, 'cancelled: nothing sent');
    assert.equal(await b.page.locator('#compose-precedence').inputValue(), 'flash', 'still the user\'s choice after cancelling');

    await b.page.locator('#compose-send').click();
    await b.page.locator('#ask-ok').click();
    await b.page.locator('#messages .card', { hasText: 'Browser FLASH test' }).waitFor();
    assert.equal(await b.page.locator('#compose-precedence').inputValue(), 'routine', 'back to ROUTINE after a FLASH');
    const sent = (await apiAs('TR', 'GET', '/v1/tracks/tr-il/messages?limit=1000')).json.items.find((m) => m.subject === 'Browser FLASH test');
    assert.equal(sent.precedence, 'flash');
    assert.deepEqual(sent.to, ['TR']);
  } finally { await b.close(); }
});

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
