// Time: declarations are entered in UTC with the local time shown beside;
// the dry run tells short notice; the time slider moves the lists as well as
// the map; "what needs me now" heads the panels.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser } from './helpers.mjs';

after(closeBrowser);

const utcInput = (ms) => new Date(ms).toISOString().slice(0, 16);
const AREA = { type: 'Polygon', coordinates: [[[37.9, 34.9], [37.92, 34.9], [37.92, 34.92], [37.9, 34.92], [37.9, 34.9]]] };

test('in Baku, the window is entered in UTC, the local time is shown beside it, and the dry run tells short notice', async () => {
  const b = await openAs('il', { timezoneId: 'Asia/Baku' });
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="declare"]').click();
    await b.page.locator('#d-type').selectOption('activity');
    await b.page.locator('#d-kind').selectOption('exercise');
    await b.page.locator('#d-geojson').fill(JSON.stringify(AREA));
    const soon = Date.now() + 30 * 60000;
    await b.page.locator('#d-start').fill(utcInput(soon));
    await b.page.locator('#d-end').fill(utcInput(soon + 3600000));
    const local = await b.page.locator('#d-window-local').textContent();
    const hhLocal = String((new Date(soon).getUTCHours() + 4) % 24).padStart(2, '0');
    assert.ok(local.includes(`${hhLocal}:`) && local.includes('GMT+4') && local.includes(`${utcInput(soon).replace('T', ' ')}Z`),
      `local (UTC+4) and UTC shown: ${local}`);
    await b.page.locator('#d-check').click();
    await b.page.locator('#d-short-notice').waitFor();
    assert.match(await b.page.locator('#d-short-notice').textContent(), /less than 1 hr/);

    const later = Date.parse(`${utcInput(Date.now() + 30 * 3600000).slice(0, 13)}:00:00Z`);
    await b.page.locator('#d-start').fill(utcInput(later));
    await b.page.locator('#d-end').fill(utcInput(later + 3600000));
    await b.page.locator('#d-check').click();
    await b.page.waitForFunction(() => /^Dry run/.test(document.getElementById('d-status').textContent));
    assert.equal(await b.page.locator('#d-short-notice').count(), 0);
    await b.page.locator('#d-name').fill('Browser time test');
    await b.page.locator('#d-submit').click();
    await b.page.waitForFunction(() => /act_/.test(document.getElementById('d-status').textContent));
    const id = (await b.page.locator('#d-status').textContent()).match(/act_[A-Za-z0-9]+/)[0];
    const act = (await apiAs('SY', 'GET', `/v1/tracks/il-sy/activities/${id}`)).json;
    assert.equal(Date.parse(act.window.start), later, 'the UTC time entered is the time stored');
    assert.equal(act.short_notice, false);
    await shot(b.page, '83-declare-utc-local');
  } finally { await b.close(); }
});
