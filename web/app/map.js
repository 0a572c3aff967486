// map — the situation map: Leaflet with no tile server. Country borders come
// from world-atlas (Natural Earth 1:50m, TopoJSON) converted by topojson-client
// in the browser; zones, deployments (milsymbol APP-6/2525 symbols),
// activities and open conflicts come from GET /v1/tracks/{t}/features.geojson.
/* global L, ms, topojson */

import { esc, fmtTime, fmtAlt } from './util.js';

export const ZONE_COLORS = {
  demilitarized: '#8e24aa', limitation: '#1e88e5', influence: '#fb8c00',
  base: '#455a64', protected_site: '#2e7d32', restricted_airspace: '#6d4c41',
};
// Affiliation colours follow APP-6 frames: friend blue, neutral green, unknown yellow, hostile red.
export const AFFIL_COLORS = { F: '#1565c0', N: '#2e7d32', U: '#c79100', H: '#c62828' };
const AFFIL_NAMES = { F: 'friend', N: 'neutral', U: 'unknown', H: 'hostile' };

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
  constructor(el, { onFeatureClick } = {}) {
    this.el = el;
    this.map = L.map(el, { zoomControl: true, attributionControl: true, preferCanvas: false, worldCopyJump: true })
      .setView([34.3, 37.0], 7);
    this.map.attributionControl.setPrefix(false);
    this.map.attributionControl.addAttribution('Borders: Natural Earth (world-atlas) · Leaflet');
    this.map.createPane('borders').style.zIndex = 250;
    this.borders = L.layerGroup().addTo(this.map);
    this.zones = L.featureGroup().addTo(this.map);
    this.deployments = L.featureGroup().addTo(this.map);
    this.activities = L.featureGroup().addTo(this.map);
    this.conflicts = L.featureGroup().addTo(this.map);
    this.check = L.featureGroup().addTo(this.map);
    this.draft = L.featureGroup().addTo(this.map);
    this.onFeatureClick = onFeatureClick || (() => {});
    this.byId = new Map();
    const narrow = window.matchMedia('(max-width: 800px)').matches;
    this.control = L.control.layers(null, {
      'Borders': this.borders, 'Zones': this.zones, 'Deployments': this.deployments,
      'Activities': this.activities, 'Conflicts': this.conflicts, 'Dry-run check': this.check,
    }, { collapsed: narrow, position: 'topright' }).addTo(this.map);
    this.addLegend();
    this.drawing = null;
    this.fitted = false;
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

  addLegend() {
    const legend = L.control({ position: 'bottomleft' });
    legend.onAdd = () => {
      const div = L.DomUtil.create('div', 'legend');
      const kinds = Object.entries(ZONE_COLORS)
        .map(([k, c]) => `<i style="background:${c}"></i>${esc(k.replace('_', ' '))}`).join('<br>');
      const affs = Object.entries(AFFIL_COLORS)
        .filter(([k]) => k !== 'H')
        .map(([k, c]) => `<i style="background:${c}"></i>${AFFIL_NAMES[k]}`).join(' ');
      div.innerHTML = `<b>Zones</b> (dashed = proposed)<br>${kinds}<br><b>Forces / activities</b><br>${affs}`
        + '<br><i style="background:#e00000"></i>open conflict';
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(this.map);
  }

  clear() {
    for (const g of [this.zones, this.deployments, this.activities, this.conflicts]) g.clearLayers();
    this.byId.clear();
  }

  // Draws a features.geojson FeatureCollection for the caller `me` in a track with `members`.
  render(fc, me, members) {
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
    const layer = L.geoJSON(f, {
      style: {
        color: gone ? '#999' : color, weight: proposed ? 2 : 1.5, dashArray: proposed ? '8 6' : gone ? '2 4' : null,
        fillColor: color, fillOpacity: gone ? 0 : proposed ? 0.05 : 0.12,
        className: `tq-zone tq-zone-${p.kind} tq-status-${p.status}`,
      },
    });
    const caps = Object.keys(p).filter((k) => k.startsWith('cap_'))
      .map((k) => `${esc(k.slice(4).replace('_', ' '))} ≤ ${esc(p[k])}`).join(', ');
    layer.bindPopup(`<h4 dir="auto">${esc(p.name || p.kind)}</h4>
      <div>${esc(p.kind.replace('_', ' '))} · <b>${esc(p.status)}</b></div>
      <div>declared by ${esc(p.party)}${p.owner && p.owner !== p.party ? `, owner ${esc(p.owner)}` : ''}</div>
      ${caps ? `<div>caps: ${caps}</div>` : ''}
      ${p.valid_from || p.valid_until ? `<div>valid ${fmtTime(p.valid_from)} – ${fmtTime(p.valid_until)}</div>` : ''}`);
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
      .map((k) => `${k.replace('_', ' ')} ${p[`strength_${k}`] ?? 0}`).join(' · ');
    const marker = L.marker(center, { icon, title: p.name, keyboard: false });
    marker.bindPopup(`<h4 dir="auto">${esc(p.name)}</h4>
      <div>${esc(p.party)} (${AFFIL_NAMES[affil]}) · ${esc(p.status)} · SIDC ${esc(sidc)}</div>
      <div>${esc(strength)}</div>
      ${p.radius_m ? `<div>radius ${esc(p.radius_m)} m</div>` : ''}
      <div>from ${fmtTime(p.start)}${p.end ? ` until ${fmtTime(p.end)}` : ''}</div>`);
    marker.addTo(this.deployments);
    this.byId.set(p.id, marker);
  }

  addActivity(f, affil) {
    const p = f.properties;
    const color = AFFIL_COLORS[affil];
    const layer = L.geoJSON(f, {
      style: { color, weight: 2, dashArray: '6 3', fillColor: color, fillOpacity: 0.15, className: `tq-activity tq-affil-${affil}` },
    });
    const shape = p.width_m ? `corridor ${esc(p.width_m)} m wide` : p.radius_m ? `radius ${esc(p.radius_m)} m` : 'area';
    layer.bindPopup(`<h4 dir="auto">${esc(p.description || p.kind)}</h4>
      <div>${esc(p.kind.replace('_', ' '))} by ${esc(p.party)} (${AFFIL_NAMES[affil]}) · <b>${esc(p.status)}</b></div>
      <div>footprint: ${shape}</div>
      <div>altitude ${fmtAlt(p.alt_min_m)} – ${fmtAlt(p.alt_max_m)}</div>
      <div>window ${fmtTime(p.start)} – ${fmtTime(p.end)}</div>`);
    layer.addTo(this.activities);
    this.byId.set(p.id, layer);
  }

  addConflict(f) {
    const p = f.properties;
    const layer = L.geoJSON(f, {
      style: { color: '#e00000', weight: 2, fillColor: '#ff0000', fillOpacity: 0.35, className: `tq-conflict tq-severity-${p.severity}` },
    });
    layer.bindPopup(`<h4>${esc((p.kind || '').replace(/_/g, ' '))}</h4>
      <div><b>${esc(p.severity)}</b> · ${esc(p.status)} · parties ${esc(p.parties)}</div>
      <div>altitude ${fmtAlt(p.alt_min_m)} – ${fmtAlt(p.alt_max_m)}</div>
      <div>window ${fmtTime(p.start)} – ${fmtTime(p.end)}</div>`);
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
        .bindPopup(`<b>would conflict:</b> ${esc(c.kind.replace(/_/g, ' '))} (${esc(c.severity)})`)
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

  invalidate() { this.map.invalidateSize(); }
}
