// Every workflow of the contract through the console, each as the role that
// performs it; the API then shows the change. Buttons appear only where the
// role may act.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser, T, confirm } from './helpers.mjs';

after(closeBrowser);

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
