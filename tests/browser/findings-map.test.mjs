// What a duty officer found on the map and in the conflict cards: conflicts
// name their subjects (cards and popups), the map orients (scale bar, cursor
// lat/lon and MGRS, zone labels, each party's zones outlined differently) and
// the legend never covers a popup.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser } from './helpers.mjs';

after(closeBrowser);

test('conflict cards and map popups name what the conflict is about', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    const conflicts = (await apiAs('IL', 'GET', '/v1/tracks/il-sy/conflicts?status=open')).json.items;
    const breach = conflicts.find((c) => c.kind === 'demilitarized_breach' && c.subjects.some((s) => s.type === 'activity'));
    assert.ok(breach, 'the demo has an open demilitarized breach by an activity');
    const zone = (await apiAs('IL', 'GET', `/v1/tracks/il-sy/zones/${breach.subjects.find((s) => s.type === 'zone').id}`)).json;
    const act = (await apiAs('IL', 'GET', `/v1/tracks/il-sy/activities/${breach.subjects.find((s) => s.type === 'activity').id}`)).json;
    const card = b.page.locator(`#conflicts .card[data-id="${breach.id}"]`);
    const names = await card.locator('.subjects').textContent();
    assert.ok(names.includes(zone.name), `card names the zone: ${names}`);
    assert.ok(names.includes(act.description), `card names the activity: ${names}`);
    assert.match(names, /demilitarized zone/);
    // Two cards of the same kind differ by what they name.
    const texts = await b.page.$$eval('#conflicts .card .subjects', (ss) => ss.map((s) => s.textContent));
    assert.equal(new Set(texts).size, texts.length, 'no two cards read the same');

    await card.locator('button.show').click();
    const popup = b.page.locator('.leaflet-popup-content');
    await popup.waitFor();
    const text = await popup.textContent();
    assert.ok(text.includes(zone.name) && text.includes(act.description), `popup names its subjects: ${text}`);
    await shot(b.page, '80-conflict-popup-names');
  } finally { await b.close(); }
});

test('the map orients: scale bar, cursor lat/lon and MGRS, zone labels, a pattern per party; the legend steps aside for popups', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    assert.match(await b.page.locator('.leaflet-control-scale-line').first().textContent(), /^\d[\d,]* (km|m)$/);
    await b.page.evaluate(() => { window.tansiq.map.setView([33.13, 35.82], 10, { animate: false }); });
    const box = await b.page.locator('#map').boundingBox();
    const p = await b.page.evaluate(() => window.tansiq.map.latLngToContainerPoint([33.13, 35.82]));
    await b.page.mouse.move(box.x + p.x, box.y + p.y);
    const pos = await b.page.locator('#cursor-pos').textContent();
    const m = pos.match(/^(-?\d+\.\d{4}), (-?\d+\.\d{4}) · MGRS (\S+)$/);
    assert.ok(m, pos);
    assert.ok(Math.abs(Number(m[1]) - 33.13) < 0.01 && Math.abs(Number(m[2]) - 35.82) < 0.01, pos);
    assert.match(m[3], /^36SYB63\d{3}69\d{3}$/, 'MGRS of 33.13N 35.82E is 36S YB 630.. 692..');

    assert.ok(await b.page.locator('.zone-label').count() > 0, 'zones are labelled');
    const dash = (party) => b.page.$$eval(`path.tq-zone.tq-party-${party}.tq-status-in_force`, (ps) => [...new Set(ps.map((x) => x.getAttribute('stroke-dasharray') || 'solid'))]);
    const il = await dash('IL'), sy = await dash('SY');
    assert.ok(il.length && sy.length, 'both parties have zones in force');
    assert.deepEqual(il, ['solid'], 'own zones solid');
    assert.ok(!sy.includes('solid'), `the other party's zones dashed: ${sy}`);

    const legend = b.page.locator('.legend');
    assert.equal(await legend.isVisible(), true);
    await b.page.evaluate(async () => {
      const t = window.tansiq.state.track.id;
      const acts = (await (await fetch(`/v1/tracks/${t}/activities`)).json()).items;
      window.tansiq.situation.focus(acts[0].id);
    });
    await b.page.locator('.leaflet-popup-content').waitFor();
    assert.equal(await legend.isVisible(), false, 'the legend steps aside while a popup is open');
    await shot(b.page, '81-map-orientation');
    await b.page.evaluate(() => { window.tansiq.map.closePopup(); });
    assert.equal(await legend.isVisible(), true);
  } finally { await b.close(); }
});
