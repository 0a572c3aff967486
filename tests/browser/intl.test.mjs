// Dates, numbers, lists and durations go through Intl in the chosen language:
// the conflict cards' altitudes and parties, the countdowns and the scale bar
// read in Russian and Arabic as Intl writes them, with no English left in them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser, T } from './helpers.mjs';

after(closeBrowser);

test('altitudes, party lists, countdowns and the scale bar through Intl in Russian and Arabic', async () => {
  const open = (await apiAs('IL', 'GET', `${T}/conflicts?status=open`)).json.items;
  const c = open.find((x) => x.overlap && x.overlap.altitude && x.overlap.altitude.max_m >= 1000);
  assert.ok(c, 'the demo has an open conflict reaching 1,000 m or more');
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    for (const lang of ['ru', 'ar']) {
      await b.page.locator('#lang').selectOption(lang);
      await b.page.waitForFunction((l) => document.documentElement.lang === l, lang);
      await b.page.locator('.tabs [data-tab="conflicts"]').click();
      const card = b.page.locator(`#conflicts .card[data-id="${c.id}"]`);
      const text = await card.textContent();
      const want = await b.page.evaluate(([l, alt, parties]) => ({
        min: new Intl.NumberFormat(l, { style: 'unit', unit: 'meter', maximumFractionDigits: 0 }).format(alt.min_m),
        max: new Intl.NumberFormat(l, { style: 'unit', unit: 'meter', maximumFractionDigits: 0 }).format(alt.max_m),
        parties: new Intl.ListFormat(l, { style: 'short', type: 'conjunction' }).format(parties),
      }), [lang, c.overlap.altitude, c.parties]);
      assert.ok(text.includes(want.max) && text.includes(want.min), `${lang}: altitudes as Intl writes them (${want.min}, ${want.max}): ${text}`);
      assert.ok(text.includes(want.parties), `${lang}: parties as Intl lists them (${want.parties}): ${text}`);
      assert.notEqual(want.max, String(c.overlap.altitude.max_m), 'the unit is part of the text');

      // A countdown (the dispute's reply deadline) in the language: digits and units, no English.
      await b.page.locator('.tabs [data-tab="disputes"]').click();
      const due = (await b.page.locator('#disputes .card .due').first().textContent()).trim();
      assert.match(due, /\d|[٠-٩]/, `${lang}: a countdown has its figures: ${due}`);
      assert.doesNotMatch(due, /[A-Za-z]/, `${lang}: no English in the countdown: ${due}`);

      // The scale bar: a number and a unit of the language.
      const scale = (await b.page.locator('.leaflet-control-scale-line').first().textContent()).trim();
      const unit = await b.page.evaluate((l) => new Intl.NumberFormat(l, { style: 'unit', unit: 'kilometer' }).format(20).replace(/[\d\s\u00a0\u202f٠-٩٬,.]/g, ''), lang);
      assert.ok(scale.includes(unit), `${lang}: the scale bar says ${scale}, Intl's kilometre is ${unit}`);
      await shot(b.page, `63-intl-${lang}`);
    }
  } finally { await b.close(); }
});
