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
