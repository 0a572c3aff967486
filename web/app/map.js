// map — the situation map: Leaflet with no tile server. Country borders come
// from world-atlas (Natural Earth 1:50m, TopoJSON) converted by topojson-client
// in the browser; zones, deployments (milsymbol APP-6/2525 symbols),
// activities and open conflicts come from GET /v1/tracks/{t}/features.geojson.
// Orientation: place names (web/app/places.json, made at install from GeoNames
// and CLDR by web/tools/places.mjs), a scale bar, the cursor's latitude/longitude
// and MGRS (the mgrs package), zone labels, a stroke per declaring party so overlapping
// zones of two parties stay apart; the controls move to the mirrored side in
// right-to-left languages, and the legend steps aside while a popup is open.
/* global L, ms, topojson, mgrs */

import { esc, fmtTime, fmtAlt } from './util.js';
import { t, tEnum, fmtNumber, isRtl, currentLang } from './i18n.js';

// The MGRS reference of a point (1 m precision), '' where MGRS has none (polar caps).
export function mgrsOf(lon, lat) {
  try { return mgrs.forward([lon, lat], 5); } catch { return ''; }
}

// Leaflet's scale bar with its distances through Intl ("20 km", "٢٠ كم").
const IntlScale = L.Control.Scale.extend({
  _updateMetric(maxMeters) {
    const meters = this._getRoundNum(maxMeters);
    const km = meters >= 1000;
    const label = new Intl.NumberFormat(document.documentElement.lang || 'en', { style: 'unit', unit: km ? 'kilometer' : 'meter' })
      .format(km ? meters / 1000 : meters);
    this._updateScale(this._mScale, label, meters / maxMeters);
  },
});

// Place names by zoom: a place of rank r (0 national capital, 1 a million people,
// 2 a province seat or 250 000, 3 100 000, 4 50 000) is named from zoom PLACE_ZOOM[r] on.
export const PLACE_ZOOM = [4, 6, 7, 8, 9];
const RTL_TEXT = /[\u0590-\u08FF]/;
let measurer = null;
function textWidth(text, font) {
  measurer ||= document.createElement('canvas').getContext('2d');
  measurer.font = font;
  return measurer.measureText(text).width;
}

// Each party's zones get their own stroke pattern (and the caller's own a solid line).
const PARTY_DASH = ['10 4', '2 5', '12 4 2 4', '6 6'];

export const ZONE_COLORS = {
  demilitarized: '#8e24aa', limitation: '#1e88e5', influence: '#fb8c00',
  base: '#455a64', protected_site: '#2e7d32', restricted_airspace: '#6d4c41',
};
// Affiliation colours follow APP-6 frames: friend blue, neutral green, unknown yellow, hostile red.
export const AFFIL_COLORS = { F: '#1565c0', N: '#2e7d32', U: '#c79100', H: '#c62828' };
const affilName = (a) => tEnum('affil', a);

// Who is what on the map, for the party `me` in a track with `members`:
// the caller's own party is friend; mediators, supervisors, hosts and
// observers are neutral; the other principals are unknown (the console does
// not call a counterpart of a deconfliction track an enemy). Anything else: unknown.
export function affiliation(party, me, members) {
  if (party && party === me) return 'F';
  const m = (members || []).find((x) => x.party === party);
  if (m && m.role !== 'principal') return 'N';
  return 'U';
}

// The 15-character letter SIDC (MIL-STD-2525C / APP-6(B)) of a ground unit:
// function from its strongest declared arm, echelon brigade.
export function deploymentSidc(props, affil) {
  const n = (k) => Number(props[`strength_${k}`] || 0);
  let fn = 'UCI---'; // infantry
  if (n('air_defense') > 0) fn = 'UCD---';
  else if (n('tanks') > 0 && n('tanks') * 50 >= n('troops') / 2) fn = 'UCA---'; // armour
  else if (n('tanks') > 0) fn = 'UCIZ--'; // mechanised infantry
  else if (n('artillery') > 0) fn = 'UCF---';
  const status = props.status === 'planned' ? 'A' : 'P';
  return `S${affil}G${status}${fn}-H---`.slice(0, 15).padEnd(15, '-');
}

export class SituationMap {
  constructor(el, { onFeatureClick, describeConflict } = {}) {
    this.describeConflict = describeConflict || (() => []);
    this.el = el;
    this.map = L.map(el, { zoomControl: true, attributionControl: true, preferCanvas: false, worldCopyJump: true })
      .setView([34.3, 37.0], 7);
    this.map.attributionControl.setPrefix(false);
    this.attribution = null;
    this.map.createPane('borders').style.zIndex = 250;
    this.borders = L.layerGroup().addTo(this.map);
    // Place names above the zones and activities (400), under the symbols (600),
    // zone labels (650) and popups (700); they take no clicks.
    const places = this.map.createPane('places');
    places.style.zIndex = 450;
    places.style.pointerEvents = 'none';
    this.places = L.layerGroup().addTo(this.map);
    this.placeData = [];
    this.map.on('zoomend moveend', () => this.drawPlaces());
    this.map.on('overlayadd', (e) => { if (e.layer === this.places) this.drawPlaces(); });
    this.zones = L.featureGroup().addTo(this.map);
    this.deployments = L.featureGroup().addTo(this.map);
    this.activities = L.featureGroup().addTo(this.map);
    this.conflicts = L.featureGroup().addTo(this.map);
    this.check = L.featureGroup().addTo(this.map);
    this.draft = L.featureGroup().addTo(this.map);
    this.onFeatureClick = onFeatureClick || (() => {});
    this.byId = new Map();
    this.marks = L.featureGroup().addTo(this.map);
    this.scale = new IntlScale({ metric: true, imperial: false, position: 'bottomleft' }).addTo(this.map);
    this.addCursor();
    this.buildControls();
    this.map.on('popupopen', () => el.classList.add('popup-open'));
    this.map.on('popupclose', () => el.classList.remove('popup-open'));
    this.drawing = null;
    this.fitted = false;
    this.last = null;
  }

  // Layer control and legend in the current language, on the side the text direction calls for.
  buildControls() {
    const rtl = isRtl();
    if (this.control) this.control.remove();
    if (this.legend) this.legend.remove();
    const narrow = window.matchMedia('(max-width: 800px)').matches;
    const layers = {};
    layers[t('map.layer.borders')] = this.borders;
    layers[t('map.layer.places')] = this.places;
    layers[t('map.layer.zones')] = this.zones;
    layers[t('map.layer.deployments')] = this.deployments;
    layers[t('map.layer.activities')] = this.activities;
    layers[t('map.layer.conflicts')] = this.conflicts;
    layers[t('map.layer.check')] = this.check;
    this.control = L.control.layers(null, layers, { collapsed: narrow, position: rtl ? 'topleft' : 'topright' }).addTo(this.map);
    this.map.zoomControl.remove();
    this.map.zoomControl = L.control.zoom({ position: rtl ? 'topright' : 'topleft', zoomInTitle: t('map.zoomin'), zoomOutTitle: t('map.zoomout') })
      .addTo(this.map);
    this.scale.remove();
    this.scale.addTo(this.map);
    this.scale.setPosition(rtl ? 'bottomright' : 'bottomleft');
    this.cursor.setPosition(rtl ? 'bottomleft' : 'bottomright');
    this.addLegend(rtl ? 'bottomright' : 'bottomleft');
    this.map.attributionControl.setPosition(rtl ? 'bottomleft' : 'bottomright');
    if (this.attribution) this.map.attributionControl.removeAttribution(this.attribution);
    this.attribution = esc(t('map.attribution'));
    this.map.attributionControl.addAttribution(this.attribution);
  }

  // The language changed: controls, legend and popups again.
  relabel() {
    this.buildControls();
    if (this.last) this.render(...this.last);
    this.drawPlaces();
  }

  addCursor() {
    const c = L.control({ position: 'bottomright' });
    c.onAdd = () => {
      const div = L.DomUtil.create('div', 'cursor-pos');
      div.id = 'cursor-pos';
      div.setAttribute('dir', 'ltr');
      div.setAttribute('aria-live', 'off');
      return div;
    };
    this.cursor = c.addTo(this.map);
    this.map.on('mousemove', (e) => this.showCursor(e.latlng));
  }

  showCursor(ll) {
    const f = (v) => fmtNumber(v, { minimumFractionDigits: 4, maximumFractionDigits: 4 });
    const div = this.cursor.getContainer();
    div.textContent = `${f(ll.lat)}, ${f(ll.lng)} · MGRS ${mgrsOf(ll.lng, ll.lat)}`;
    div.dataset.lat = ll.lat;
    div.dataset.lon = ll.lng;
  }

  async loadBorders() {
    const res = await fetch('/vendor/world-atlas/countries-50m.json');
    if (!res.ok) throw new Error(`borders: HTTP ${res.status}`);
    const topo = await res.json();
    const land = topojson.feature(topo, topo.objects.countries);
    L.geoJSON(land, {
      pane: 'borders', interactive: false,
      style: { color: '#7a7a7a', weight: 0.8, fillColor: '#f3efe4', fillOpacity: 1, className: 'tq-border' },
    }).addTo(this.borders);
  }

  async loadPlaces() {
    const res = await fetch('/app/places.json');
    if (!res.ok) throw new Error(`places: HTTP ${res.status}`);
    this.placeData = (await res.json()).places;
    this.drawPlaces();
  }

  // The names of the places in view that the zoom calls for, in the user's
  // language where the data has it: capitals and large places first (the data
  // comes sorted so), and a name that would overlap one already placed is left out.
  drawPlaces() {
    this.places.clearLayers();
    if (!this.map.hasLayer(this.places) || !this.placeData.length) return;
    const zoom = this.map.getZoom();
    const view = this.map.getBounds().pad(0.2);
    const lang = currentLang();
    const taken = [];
    for (const [lon, lat, name, rank, names] of this.placeData) {
      if (zoom < PLACE_ZOOM[rank] || !view.contains([lat, lon])) continue;
      const local = names && names[lang];
      const label = local || name;
      const rtl = RTL_TEXT.test(label);
      const w = textWidth(label, `${rank <= 1 ? '600 ' : ''}${rank === 0 ? 13 : 12}px sans-serif`) + 6;
      const at = this.map.latLngToLayerPoint([lat, lon]);
      const box = rtl ? [at.x - w - 6, at.y - 9, at.x + 3, at.y + 9] : [at.x - 3, at.y - 9, at.x + w + 6, at.y + 9];
      if (taken.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
      taken.push(box);
      const icon = L.divIcon({
        className: `tq-place tq-place-r${rank}${rtl ? ' tq-place-rtl' : ''}`, iconSize: [0, 0],
        html: `<span class="dot"></span><span class="name" translate="no" dir="auto"${local ? ` lang="${lang}"` : ''}>${esc(label)}</span>`,
      });
      L.marker([lat, lon], { pane: 'places', icon, interactive: false, keyboard: false }).addTo(this.places);
    }
  }

  addLegend(position) {
    const legend = L.control({ position });
    legend.onAdd = () => {
      const div = L.DomUtil.create('div', 'legend');
      const kinds = Object.entries(ZONE_COLORS)
        .map(([k, c]) => `<i style="background:${c}"></i>${esc(tEnum('zonekind', k))}`).join('<br>');
      const affs = Object.entries(AFFIL_COLORS)
        .filter(([k]) => k !== 'H')
        .map(([k, c]) => `<i style="background:${c}"></i>${esc(affilName(k))}`).join(' ');
      div.innerHTML = `<b>${esc(t('map.layer.zones'))}</b> (${esc(t('map.legend.proposed'))})<br>${kinds}<br>`
        + `<small>${esc(t('map.legend.parties'))}</small><br><b>${esc(t('map.legend.forces'))}</b><br>${affs}`
        + `<br><i style="background:#e00000"></i>${esc(t('map.legend.conflict'))}`;
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    this.legend = legend.addTo(this.map);
  }

  clear() {
    for (const g of [this.zones, this.deployments, this.activities, this.conflicts, this.marks]) g.clearLayers();
    this.byId.clear();
  }

  // Draws a features.geojson FeatureCollection for the caller `me` in a track with `members`.
  render(fc, me, members) {
    this.last = [fc, me, members];
    this.me = me;
    this.parties = [...new Set(((fc && fc.features) || []).filter((f) => f.properties && f.properties.layer === 'zone')
      .map((f) => f.properties.party))].sort();
    this.clear();
    for (const f of (fc && fc.features) || []) {
      const p = f.properties || {};
      if (p.layer === 'zone') this.addZone(f);
      else if (p.layer === 'deployment') this.addDeployment(f, affiliation(p.party, me, members));
      else if (p.layer === 'activity') this.addActivity(f, affiliation(p.party, me, members));
      else if (p.layer === 'conflict') this.addConflict(f);
    }
    if (!this.fitted) {
      const b = L.featureGroup([this.zones, this.deployments, this.activities, this.conflicts]).getBounds();
      if (b.isValid()) { this.map.fitBounds(b.pad(0.15)); this.fitted = true; }
    }
  }

  addZone(f) {
    const p = f.properties;
    const color = ZONE_COLORS[p.kind] || '#555';
    const proposed = p.status === 'proposed';
    const gone = p.status === 'rejected' || p.status === 'withdrawn';
    const pi = Math.max(0, (this.parties || []).indexOf(p.party));
    const own = p.party === this.me;
    const layer = L.geoJSON(f, {
      style: {
        color: gone ? '#999' : color, weight: own ? 2.5 : 2,
        dashArray: proposed ? '8 6' : gone ? '2 4' : own ? null : PARTY_DASH[pi % PARTY_DASH.length],
        fillColor: color, fillOpacity: gone ? 0 : proposed ? 0.05 : 0.12,
        className: `tq-zone tq-zone-${p.kind} tq-status-${p.status} tq-party-${p.party}`,
      },
    });
    const caps = Object.keys(p).filter((k) => k.startsWith('cap_'))
      .map((k) => `${esc(tEnum('strength', k.slice(4)))} ≤ ${esc(p[k])}`).join(', ');
    layer.bindPopup(`<h4 dir="auto" translate="no">${esc(p.name || p.kind)}</h4>
      <div>${esc(tEnum('zonekind', p.kind))} · <b>${esc(tEnum('zonestatus', p.status))}</b></div>
      <div>${esc(t('zone.declaredby'))} <bdi translate="no">${esc(p.party)}</bdi>${p.owner && p.owner !== p.party ? `, ${esc(t('zone.owner'))} <bdi translate="no">${esc(p.owner)}</bdi>` : ''}</div>
      ${caps ? `<div>${esc(t('map.caps'))} ${caps}</div>` : ''}
      ${p.valid_from || p.valid_until ? `<div>${esc(t('zone.valid', { from: fmtTime(p.valid_from), until: fmtTime(p.valid_until) }))}</div>` : ''}`);
    if (!gone && p.name) {
      layer.bindTooltip(`<bdi translate="no">${esc(p.name)}</bdi>`, { permanent: true, direction: 'center', className: 'zone-label', opacity: 0.9 });
    }
    layer.addTo(this.zones);
    this.byId.set(p.id, layer);
  }

  addDeployment(f, affil) {
    const p = f.properties;
    const color = AFFIL_COLORS[affil];
    const footprint = L.geoJSON(f, {
      style: { color, weight: 1, dashArray: '3 3', fillOpacity: 0.06, className: `tq-deployment-area tq-affil-${affil}` },
      interactive: false,
    });
    footprint.addTo(this.deployments);
    const center = footprint.getBounds().getCenter();
    const sidc = deploymentSidc(p, affil);
    const sym = new ms.Symbol(sidc, { size: 26, uniqueDesignation: (p.party || '') });
    const size = sym.getSize();
    const anchor = sym.getAnchor();
    const icon = L.divIcon({
      className: `tq-dep tq-affil-${affil}`, html: sym.asSVG(),
      iconSize: [size.width, size.height], iconAnchor: [anchor.x, anchor.y],
    });
    const strength = ['troops', 'tanks', 'artillery', 'air_defense']
      .map((k) => `${tEnum('strength', k)} ${p[`strength_${k}`] ?? 0}`).join(' · ');
    const marker = L.marker(center, { icon, title: p.name, keyboard: false });
    marker.on('add', () => { const e = marker.getElement(); if (e) e.setAttribute('translate', 'no'); });
    marker.bindPopup(`<h4 dir="auto" translate="no">${esc(p.name)}</h4>
      <div><bdi translate="no">${esc(p.party)}</bdi> (${esc(affilName(affil))}) · ${esc(tEnum('depstatus', p.status))} · <span translate="no">SIDC ${esc(sidc)}</span></div>
      <div>${esc(strength)}</div>
      ${p.radius_m ? `<div>${esc(t('map.radius', { r: fmtAlt(p.radius_m) }))}</div>` : ''}
      <div>${esc(t('zone.valid', { from: fmtTime(p.start), until: fmtTime(p.end) }))}</div>`);
    marker.addTo(this.deployments);
    this.byId.set(p.id, marker);
  }

  addActivity(f, affil) {
    const p = f.properties;
    const color = AFFIL_COLORS[affil];
    const layer = L.geoJSON(f, {
      style: { color, weight: 2, dashArray: '6 3', fillColor: color, fillOpacity: 0.15, className: `tq-activity tq-affil-${affil}` },
    });
    const shape = p.width_m ? t('map.corridor', { w: fmtAlt(p.width_m) }) : p.radius_m ? t('map.radius', { r: fmtAlt(p.radius_m) }) : t('map.area');
    layer.bindPopup(`<h4 dir="auto" translate="no">${esc(p.description || p.kind)}</h4>
      <div>${esc(tEnum('actkind', p.kind))} · <bdi translate="no">${esc(p.party)}</bdi> (${esc(affilName(affil))}) · <b>${esc(tEnum('actstatus', p.status))}</b></div>
      <div>${esc(t('map.footprint'))} ${esc(shape)}</div>
      <div>${esc(t('map.altitude', { min: fmtAlt(p.alt_min_m), max: fmtAlt(p.alt_max_m) }))}</div>
      <div>${esc(t('map.window', { start: fmtTime(p.start), end: fmtTime(p.end) }))}</div>`);
    layer.addTo(this.activities);
    this.byId.set(p.id, layer);
  }

  addConflict(f) {
    const p = f.properties;
    const layer = L.geoJSON(f, {
      style: { color: '#e00000', weight: 2, fillColor: '#ff0000', fillOpacity: 0.35, className: `tq-conflict tq-severity-${p.severity}` },
    });
    layer.bindPopup(() => `<h4>${esc(tEnum('cflkind', p.kind))}</h4>
      <ul class="subjects">${this.describeConflict(p.id).map((x) => `<li>${esc(x)}</li>`).join('')}</ul>
      <div><b>${esc(tEnum('severity', p.severity))}</b> · ${esc(tEnum('cflstatus', p.status))} · ${esc(t('cfl.parties'))} <bdi translate="no">${esc(p.parties)}</bdi></div>
      <div>${esc(t('map.altitude', { min: fmtAlt(p.alt_min_m), max: fmtAlt(p.alt_max_m) }))}</div>
      <div>${esc(t('map.window', { start: fmtTime(p.start), end: fmtTime(p.end) }))}</div>`);
    layer.on('click', () => this.onFeatureClick('conflict', p.id));
    layer.addTo(this.conflicts);
    this.byId.set(p.id, layer);
  }

  // Dry-run conflicts: their overlaps, dashed, on their own layer.
  showCheck(conflicts) {
    this.check.clearLayers();
    for (const c of conflicts || []) {
      const g = c.overlap && c.overlap.geometry;
      if (!g) continue;
      L.geoJSON(g, { style: { color: '#e00000', weight: 2, dashArray: '4 3', fillOpacity: 0.25, className: 'tq-check' } })
        .bindPopup(`<b>${esc(t('map.wouldconflict'))}</b> ${esc(tEnum('cflkind', c.kind))} (${esc(tEnum('severity', c.severity))})`)
        .addTo(this.check);
    }
  }

  focus(id, geometry) {
    const l = this.byId.get(id) || (geometry ? L.geoJSON(geometry) : null);
    if (!l) return;
    const b = l.getBounds ? l.getBounds() : L.latLngBounds([l.getLatLng()]);
    if (b.isValid()) this.map.fitBounds(b.pad(0.5), { maxZoom: 11 });
    if (this.byId.get(id) && l.openPopup) l.openPopup();
  }

  // ---- drawing: click to add vertices; finish makes a Polygon ----
  startDrawing(onChange) {
    this.stopDrawing();
    this.drawing = { pts: [], onChange };
    this.el.classList.add('drawing');
    this._onClick = (e) => {
      this.drawing.pts.push([e.latlng.lng, e.latlng.lat]);
      this.redrawDraft();
      onChange(this.drawing.pts.length);
    };
    this.map.on('click', this._onClick);
    this.map.doubleClickZoom.disable();
  }

  stopDrawing() {
    if (this._onClick) this.map.off('click', this._onClick);
    this._onClick = null;
    this.el.classList.remove('drawing');
    this.map.doubleClickZoom.enable();
  }

  redrawDraft() {
    this.draft.clearLayers();
    const pts = (this.drawing && this.drawing.pts) || [];
    const ll = pts.map(([x, y]) => [y, x]);
    for (const p of ll) {
      L.marker(p, { icon: L.divIcon({ className: 'tq-vertex', iconSize: [10, 10] }), interactive: false }).addTo(this.draft);
    }
    if (ll.length >= 3) L.polygon(ll, { color: '#1f4f8f', weight: 2, fillOpacity: 0.1, className: 'tq-draft', interactive: false }).addTo(this.draft);
    else if (ll.length === 2) L.polyline(ll, { color: '#1f4f8f', weight: 2, className: 'tq-draft', interactive: false }).addTo(this.draft);
  }

  // The drawn Polygon (closed ring) or null with fewer than 3 vertices.
  finishDrawing() {
    const pts = (this.drawing && this.drawing.pts) || [];
    this.stopDrawing();
    if (pts.length < 3) return null;
    return { type: 'Polygon', coordinates: [[...pts, pts[0]]] };
  }

  showDraftGeometry(geometry) {
    this.draft.clearLayers();
    if (geometry) {
      L.geoJSON(geometry, { style: { color: '#1f4f8f', weight: 2, fillOpacity: 0.1, className: 'tq-draft' }, interactive: false })
        .addTo(this.draft);
    }
  }

  clearDrawing() {
    this.stopDrawing();
    this.drawing = null;
    this.draft.clearLayers();
    this.check.clearLayers();
  }

  // One click on the map gives [lon, lat] to done (threat location).
  pickPoint(done) {
    this.stopDrawing();
    this.el.classList.add('drawing');
    this._onClick = (e) => { this.stopDrawing(); done([e.latlng.lng, e.latlng.lat]); };
    this.map.on('click', this._onClick);
  }

  showPoint(lon, lat, label) {
    this.marks.clearLayers();
    const m = L.circleMarker([lat, lon], { radius: 9, color: '#c62828', weight: 3, fillOpacity: 0.3, className: 'tq-mark' })
      .bindPopup(`<b>${esc(label)}</b><div dir="ltr">${lat.toFixed(4)}, ${lon.toFixed(4)} · MGRS ${esc(mgrsOf(lon, lat))}</div>`)
      .addTo(this.marks);
    this.map.setView([lat, lon], Math.max(this.map.getZoom(), 10));
    m.openPopup();
  }

  invalidate() { this.map.invalidateSize(); }
}
