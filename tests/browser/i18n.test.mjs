// Languages: one catalogue per language with every key and real
// translations; no English remains visible in the Arabic console
// (languages.test.mjs tries each language in the browser).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pickTrack, shot, closeBrowser, openAs } from './helpers.mjs';

after(closeBrowser);

const WEB = new URL('../../web/', import.meta.url).pathname;
const LANGS = ['en', 'ar', 'he', 'tr', 'ru'];
const cat = (l) => JSON.parse(readFileSync(join(WEB, 'app', 'i18n', `${l}.json`), 'utf8'));
const placeholders = (v) => [...new Set(JSON.stringify(v).match(/\{\w+\}/g) || [])].sort();

function sources(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...sources(join(dir, e.name)));
    else if (e.name.endsWith('.js')) out.push(readFileSync(join(dir, e.name), 'utf8'));
  }
  return out.join('\n');
}

test('every catalogue has every key, the same placeholders, and real translations', () => {
  const en = cat('en');
  const code = sources(join(WEB, 'app'));
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  const used = new Set([...code.matchAll(/\bt\('([a-z0-9_.]+)'/g)].map((m) => m[1]));
  for (const m of html.matchAll(/data-i18n(?:-[a-z-]+)?="([a-z0-9_.]+)"/g)) used.add(m[1]);
  for (const k of used) assert.ok(k in en, `key ${k} used by the console is missing from en.json`);
  assert.ok(used.size > 100, `only ${used.size} keys found in the code`);
  for (const l of LANGS) {
    const c = cat(l);
    assert.deepEqual(Object.keys(c).sort(), Object.keys(en).sort(), `${l}.json has exactly the keys of en.json`);
    for (const [k, v] of Object.entries(c)) {
      assert.ok(typeof v === 'string' ? v.trim() : v.other && v.other.trim(), `${l}:${k} is empty`);
      assert.deepEqual(placeholders(v), placeholders(en[k]), `${l}:${k} has the placeholders of en`);
    }
    if (l === 'en') continue;
    // A catalogue that copies English is not a translation: only names may stay.
    const same = Object.keys(en).filter((k) => JSON.stringify(c[k]) === JSON.stringify(en[k]));
    assert.ok(same.length <= 3, `${l}: untranslated ${same.join(', ')}`);
  }
  // The Arabic and Hebrew catalogues are written in their scripts, the Russian in Cyrillic.
  const script = { ar: /[\u0600-\u06FF]/, he: /[\u0590-\u05FF]/, ru: /[\u0400-\u04FF]/ };
  for (const [l, re] of Object.entries(script)) {
    const c = cat(l);
    const latin = Object.keys(c).filter((k) => !re.test(JSON.stringify(c[k])));
    assert.ok(latin.length <= 2, `${l}: not in its script: ${latin.join(', ')}`);
  }
  // The field's own words where they belong.
  assert.equal(cat('ar')['zonekind.demilitarized'], 'منطقة منزوعة السلاح');
  assert.equal(cat('ar')['tab.hotline'], 'الخط الساخن');
  assert.equal(cat('he')['zonekind.demilitarized'], 'אזור מפורז');
  assert.equal(cat('ru')['zonekind.demilitarized'], 'демилитаризованная зона');
  assert.equal(cat('tr')['zonekind.demilitarized'], 'silahsızlandırılmış bölge');
});

// Visible text (and labels) in the page that is UI, not data: everything
// outside [translate=no], the map's attribution (names of data sources) and hidden parts.
async function visibleUiText(page) {
  return page.evaluate(() => {
    const out = [];
    const visible = (e) => e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    const skip = (e) => e.closest('[translate="no"], .leaflet-control-attribution, script, style');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const e = n.parentElement;
      if (!n.textContent.trim() || skip(e) || !visible(e)) continue;
      if (e.tagName === 'OPTION' && !visible(e.parentElement)) continue;
      out.push(n.textContent.trim());
    }
    for (const e of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
      if (skip(e) || !visible(e)) continue;
      for (const a of ['aria-label', 'placeholder', 'title']) if (e.getAttribute(a)) out.push(e.getAttribute(a));
    }
    return out;
  });
}

function englishWords(texts, allowed) {
  const bad = [];
  for (const s of texts) {
    for (const w of s.match(/[A-Za-z][A-Za-z_-]*/g) || []) {
      if (!allowed.has(w) && !/^(act|zon|dep|cfl|msg|thr|dsp|mtg|axn)_/.test(w)) bad.push(`${w} in «${s}»`);
    }
  }
  return bad;
}

test('no visible English string remains in the Arabic console', async () => {
  const b = await openAs('il');
  try {
    await b.page.locator('#lang').selectOption('ar');
    await b.page.waitForFunction(() => document.documentElement.dir === 'rtl');
    await pickTrack(b.page, 'il-sy');
    const allowed = new Set(['IL', 'SY', 'US', 'RU', 'TR', 'AZ', 'il', 'sy', 'us', 'ru', 'tr', 'az', 'il-sy', 'tr-il', 'ru-il',
      'MGRS', 'UTC', 'GMT', 'Z', 'GeoJSON', 'JSON', 'ics']);
    const found = [];
    for (const tab of ['conflicts', 'hotline', 'threats', 'disputes', 'objects', 'meetings', 'declare', 'log', 'events']) {
      await b.page.locator(`.tabs [data-tab="${tab}"]`).click();
      if (tab === 'log') await b.page.locator('#log-checkpoint').waitFor({ state: 'visible' });
      found.push(...englishWords(await visibleUiText(b.page), allowed).map((x) => `[${tab}] ${x}`));
    }
    // The forms that open on demand, too.
    await b.page.locator('.tabs [data-tab="threats"]').click();
    await b.page.locator('#report summary').click();
    await b.page.locator('.tabs [data-tab="hotline"]').click();
    await b.page.locator('#compose summary').click();
    await b.page.locator('.tabs [data-tab="disputes"]').click();
    await b.page.locator('#file-dispute summary').click();
    found.push(...englishWords(await visibleUiText(b.page), allowed));
    await shot(b.page, '60-ar-all-forms');
    const uniq = [...new Set(found)];
    assert.equal(uniq.length, 0, uniq.join('\n'));
  } finally { await b.close(); }
});
