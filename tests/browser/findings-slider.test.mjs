// Time: declarations are entered in UTC with the local time shown beside;
// the dry run tells short notice; the time slider moves the lists as well as
// the map; "what needs me now" heads the panels.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser } from './helpers.mjs';

after(closeBrowser);

const utcInput = (ms) => new Date(ms).toISOString().slice(0, 16);
const AREA = { type: 'Polygon', coordinates: [[[37.9, 34.9], [37.92, 34.9], [37.92, 34.92], [37.9, 34.92], [37.9, 34.9]]] };

test('the time slider moves the lists: three days ahead, the reconnaissance flight and its conflicts are gone', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    const acts = (await apiAs('IL', 'GET', '/v1/tracks/il-sy/activities')).json.items;
    const recon = acts.find((a) => a.description === 'Unarmed reconnaissance flight north of Quneitra');
    await b.page.locator('.tabs [data-tab="objects"]').click();
    await b.page.locator(`#activities .card[data-id="${recon.id}"]`).waitFor();
    const conflictsNow = await b.page.locator('#conflicts .card').count();
    await b.page.locator('#at').fill(String(1 + 3 * 24 * 4));
    await b.page.locator('#at').dispatchEvent('change');
    await b.page.locator(`#activities .card[data-id="${recon.id}"]`).waitFor({ state: 'detached' });
    const conflictsLater = await b.page.locator('#conflicts .card').count();
    assert.ok(conflictsLater < conflictsNow, `conflicts list shrinks: ${conflictsNow} -> ${conflictsLater}`);
    await b.page.locator('.tabs [data-tab="conflicts"]').click();
    assert.match(await b.page.locator('#at-note').textContent(), /^Lists show what is in effect at \d{4}-\d\d-\d\d \d\d:\d\dZ\.$/);
    await shot(b.page, '84-slider-lists');
    await b.page.locator('#at-now').click();
    await b.page.locator(`#activities .card[data-id="${recon.id}"]`).waitFor({ state: 'attached' });
    assert.equal(await b.page.locator('#at-note').isVisible(), false);
  } finally { await b.close(); }
});

test('"what needs me now" heads the panels and opens the panel of each line', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    const summary = b.page.locator('#summary');
    await summary.locator('li[data-key="sum.disputes"]').waitFor();
    const disputes = (await apiAs('IL', 'GET', '/v1/tracks/il-sy/disputes')).json.items.filter((d) => d.against === 'IL' && d.status === 'open');
    assert.match(await summary.locator('li[data-key="sum.disputes"]').textContent(),
      new RegExp(`^${disputes.length} disputes? against you awaits? your response in `));
    const convs = (await apiAs('IL', 'GET', '/v1/tracks/il-sy/conflicts')).json.items
      .filter((c) => c.status !== 'resolved' && c.parties.includes('IL') && !c.acks.includes('IL'));
    if (convs.length) assert.match(await summary.locator('li[data-key="sum.conflicts"]').textContent(), new RegExp(`^${convs.length} conflicts? awaits? your acknowledgement`));
    const box = await summary.boundingBox();
    const tabs = await b.page.locator('.tabs').boundingBox();
    assert.ok(box.y + box.height <= tabs.y + 1, 'the summary is above the tabs');
    await summary.locator('li[data-key="sum.disputes"] button').click();
    assert.equal(await b.page.locator('#panel-disputes').isVisible(), true);
  } finally { await b.close(); }
});
