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

for (const lang of ['ar']) {
  test(`axe-core: no serious or critical findings in any panel (${lang})`, async () => {
    const b = await openAs('il', { bypassCSP: true });
    try {
      if (lang !== 'en') {
        await b.page.locator('#lang').selectOption(lang);
        await b.page.waitForFunction((l) => document.documentElement.lang === l, lang);
      }
      await pickTrack(b.page, 'il-sy');
      const found = [];
      for (const tab of TABS) {
        await b.page.locator(`.tabs [data-tab="${tab}"]`).click();
        for (const d of await b.page.locator(`#panel-${tab} details`).all()) await d.evaluate((e) => { e.open = true; });
        if (tab === 'log') await b.page.locator('#log-checkpoint').waitFor({ state: 'visible' });
        found.push(...(await axe(b.page)).map((v) => `[${tab}] ${v}`));
      }
      assert.equal(found.length, 0, found.join('\n'));
    } finally { await b.close(); }
  });
}

test('axe-core: the login page has no serious or critical findings', async () => {
  const { launch, BASE } = await import('./helpers.mjs');
  const b = await launch({ bypassCSP: true });
  try {
    await b.page.goto(`${BASE}/`);
    await b.page.locator('#login-name').waitFor();
    const found = await axe(b.page);
    assert.equal(found.length, 0, found.join('\n'));
  } finally { await b.close(); }
});
