// An observer's console: it asks only for what an observer may read (the map's
// features, zones, meetings, action items), so no refresh meets a 403; it opens
// on a tab the role can use and offers nothing to write.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser, square } from './helpers.mjs';

after(closeBrowser);

test('AZ observes a track: zones and meetings only, no 403, opens on Zones & forces', async () => {
  let observing = false;
  // Log in first: the session kept for other files then remembers AZ's own track (tr-il).
  const b = await openAs('az');
  try {
    const made = await apiAs('admin', 'POST', '/v1/tracks', {
      id: 'obs-browser', name: 'Observer (browser test)',
      members: [{ party: 'SY', role: 'principal' }, { party: 'US', role: 'principal' }, { party: 'AZ', role: 'observer' }],
    });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    observing = true;
    const zone = await apiAs('SY', 'POST', '/v1/tracks/obs-browser/zones', { kind: 'base', name: 'Observed base', geometry: square() });
    assert.equal(zone.status, 201, JSON.stringify(zone.json));
    await b.page.reload();
    await b.page.waitForFunction(() => window.tansiq && window.tansiq.state.loaded);
    const statuses = [];
    b.page.on('response', (r) => { if (r.url().includes('/v1/tracks/obs-browser/')) statuses.push(`${r.status()} ${r.url()}`); });
    await pickTrack(b.page, 'obs-browser');

    const asked = await b.page.evaluate(() => window.tansiq.state.requests);
    assert.deepEqual([...asked].sort(), ['actions', 'features', 'meetings', 'zones']);
    assert.deepEqual(await b.page.evaluate(() => window.tansiq.state.denied), {});
    const visible = await b.page.$$eval('.tabs button', (bs) => bs.filter((x) => !x.hidden).map((x) => x.dataset.tab));
    assert.deepEqual(visible, ['objects', 'meetings', 'log', 'events']);
    assert.equal(await b.page.locator('#panel-objects').isVisible(), true, 'opens on Zones & forces');
    await b.page.locator(`#zones .card[data-id="${zone.json.id}"]`).waitFor();
    assert.equal(await b.page.locator(`#zones .card[data-id="${zone.json.id}"] button:not(.show)`).count(), 0, 'an observer gets no button on a zone but "show on map"');
    assert.ok(await b.page.locator('path.tq-zone-base').count() > 0, 'the zone is on the map');
    await b.page.evaluate(() => window.tansiq.ctx.refresh());
    assert.ok(statuses.length >= 4, statuses.join('\n'));
    assert.deepEqual(statuses.filter((s) => !s.startsWith('2')), [], 'no request of the observer is refused');
    await shot(b.page, '76-observer');
  } finally {
    await b.close();
    // AZ leaves the track again: other files count AZ's tracks (session.test.mjs).
    if (observing) {
      const left = await apiAs('admin', 'PATCH', '/v1/tracks/obs-browser', { members: [{ party: 'SY', role: 'principal' }, { party: 'US', role: 'principal' }] });
      assert.equal(left.status, 200, JSON.stringify(left.json));
    }
  }
});
