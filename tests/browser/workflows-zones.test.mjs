// Every workflow of the contract through the console, each as the role that
// performs it; the API then shows the change. Buttons appear only where the
// role may act.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser, T, square, confirm } from './helpers.mjs';

after(closeBrowser);

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
