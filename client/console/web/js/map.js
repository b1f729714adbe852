// A schematic map of the region (inline SVG, no tiles, no network): the
// launch point, the azimuth of flight and the predicted impact of a
// missile warning. Coastlines are rough outlines for orientation only.

import {svg} from './dom.js';

const WEST = 115, EAST = 150, SOUTH = 24, NORTH = 46;
const WIDTH = 560, HEIGHT = 400;

const LAND = {
  mainland: [[115, 46], [134.5, 46], [135.5, 44], [133, 42.8], [131.5, 43], [130.6, 42.3],
    [129.7, 42.4], [128.3, 42], [127, 41.5], [125.5, 40.7], [124.3, 40], [122.9, 40.3],
    [121.6, 39.5], [121.3, 38.8], [119.5, 39.8], [118, 39], [117.7, 38.4], [118.9, 37.4],
    [119.7, 37.2], [120.7, 37.8], [122.5, 37.4], [120.3, 36.1], [119.3, 35], [120.8, 32.5],
    [121.9, 31], [121.5, 29.5], [120.5, 27.5], [119.5, 25.5], [118.6, 24], [115, 24]],
  korea: [[124.3, 40], [125.5, 40.7], [127, 41.5], [128.3, 42], [129.7, 42.4], [130.6, 42.3],
    [129.7, 41], [129, 40.2], [128, 39.6], [127.5, 39.3], [128.4, 38.6], [129.4, 37.1],
    [129.5, 36], [129.3, 35.3], [128.5, 35], [127.5, 34.6], [126.5, 34.3], [126.3, 35.1],
    [126.6, 36], [126.5, 37], [126.7, 37.7], [125.7, 37.7], [125.2, 38], [124.8, 38.5],
    [125.3, 39.3], [124.7, 39.7]],
  honshu: [[130.9, 34], [131.9, 34.6], [133, 35.5], [135.3, 35.6], [136, 36], [136.8, 37.3],
    [137.3, 36.8], [138.6, 37.9], [139.5, 38.6], [140, 39.8], [140, 40.7], [140.9, 41.5],
    [141.5, 40.5], [141.9, 39.2], [141, 38.2], [141, 37], [140.6, 36.2], [140.9, 35.7],
    [139.8, 34.9], [139, 34.7], [138.2, 34.6], [137, 34.6], [136.8, 34.2], [135.8, 33.5],
    [135.1, 34.3], [133.5, 34.4], [132.2, 33.9]],
  kyushu: [[129.7, 33.1], [130.3, 33.6], [131, 33.9], [131.8, 33.3], [131.5, 31.6], [130.7, 31],
    [130.2, 31.4], [130.2, 32.6]],
  shikoku: [[132.5, 33.3], [133.1, 34], [134.2, 34.3], [134.7, 33.8], [134.2, 33.3], [133.3, 33]],
  hokkaido: [[140, 41.5], [140.5, 42.5], [140, 43.2], [141.4, 43.3], [141.7, 45.4], [142.9, 44.7],
    [144.5, 44], [145.6, 43.3], [144, 42.9], [143.3, 42], [141.9, 42.6], [141, 42.3], [140.5, 41.8]],
  taiwan: [[120.1, 23], [121, 25.2], [121.9, 25], [121.5, 23], [120.8, 21.9]],
};

const x = (lon) => ((lon - WEST) / (EAST - WEST)) * WIDTH;
const y = (lat) => ((NORTH - lat) / (NORTH - SOUTH)) * HEIGHT;
const finite = (v) => typeof v === 'number' && Number.isFinite(v);
const point = (lon, lat) => `${x(lon).toFixed(1)},${y(lat).toFixed(1)}`;

// The region: sea, a 5-degree grid and the coastlines.
function baseMap(label) {
  const map = svg('svg', {viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'map', role: 'img', 'aria-label': label});
  map.append(svg('rect', {x: 0, y: 0, width: WIDTH, height: HEIGHT, class: 'sea'}));
  for (let lonLine = 120; lonLine < EAST; lonLine += 5) {
    map.append(svg('line', {x1: x(lonLine), y1: 0, x2: x(lonLine), y2: HEIGHT, class: 'grid'}));
    map.append(svg('text', {x: x(lonLine) + 2, y: HEIGHT - 4, class: 'grid-label'}, `${lonLine}°E`));
  }
  for (let latLine = 25; latLine < NORTH; latLine += 5) {
    map.append(svg('line', {x1: 0, y1: y(latLine), x2: WIDTH, y2: y(latLine), class: 'grid'}));
    map.append(svg('text', {x: 2, y: y(latLine) - 2, class: 'grid-label'}, `${latLine}°N`));
  }
  for (const outline of Object.values(LAND)) {
    map.append(svg('polygon', {points: outline.map(([a, b]) => point(a, b)).join(' '), class: 'land'}));
  }
  return map;
}

// The map for one MissileWarning (proto3 JSON object).
export function warningMap(w) {
  const lat = Number(w.launch_latitude || 0), lon = Number(w.launch_longitude || 0);
  const impactLat = Number(w.predicted_impact_latitude || 0);
  const impactLon = Number(w.predicted_impact_longitude || 0);
  const hasLaunch = finite(lat) && finite(lon) && (lat !== 0 || lon !== 0);
  const hasImpact = finite(impactLat) && finite(impactLon) && (impactLat !== 0 || impactLon !== 0);
  const map = baseMap('schematic map of the launch, azimuth and predicted impact');
  if (hasLaunch && finite(Number(w.azimuth_degrees || 0))) {
    // 8 degrees of arc along the azimuth (flat-earth approximation: a bearing, not a track).
    const az = (Number(w.azimuth_degrees || 0) * Math.PI) / 180;
    const endLat = lat + 8 * Math.cos(az);
    const endLon = lon + (8 * Math.sin(az)) / Math.cos((lat * Math.PI) / 180);
    map.append(svg('line', {x1: x(lon), y1: y(lat), x2: x(endLon), y2: y(endLat), class: 'azimuth'}));
  }
  if (hasImpact) {
    const ix = x(impactLon), iy = y(impactLat);
    map.append(svg('circle', {cx: ix, cy: iy, r: 14, class: 'impact-area'}));
    map.append(svg('path', {d: `M${ix - 6},${iy - 6} L${ix + 6},${iy + 6} M${ix - 6},${iy + 6} L${ix + 6},${iy - 6}`, class: 'impact'}));
    map.append(svg('text', {x: ix + 10, y: iy - 10, class: 'map-label'}, 'predicted impact'));
  }
  if (hasLaunch) {
    map.append(svg('circle', {cx: x(lon), cy: y(lat), r: 6, class: 'launch'}));
    map.append(svg('text', {x: x(lon) + 9, y: y(lat) + 4, class: 'map-label'}, 'launch'));
  }
  return map;
}

// Live tracks (PROTOCOL.md §11): for each, the trail of the positions this
// console has seen and its newest position, labelled with its name, status
// (EXERCISE / TEST shown on the map itself) and altitude.
export function trackMap(tracks) {
  const map = baseMap('schematic map of the live tracks');
  for (const t of tracks) {
    const trail = t.trail.filter(([lon, lat]) => finite(lon) && finite(lat));
    if (trail.length === 0) continue;
    if (trail.length > 1) {
      map.append(svg('polyline', {points: trail.map(([lon, lat]) => point(lon, lat)).join(' '),
        class: 'track-trail'}));
    }
    const [lon, lat] = trail[trail.length - 1];
    const u = t.view.update || {};
    map.append(svg('circle', {cx: x(lon), cy: y(lat), r: 5, class: u.ended ? 'track-ended' : 'track-now'}));
    const right = x(lon) > WIDTH * 0.55;  // labels stay inside the map
    map.append(svg('text', {x: x(lon) + (right ? -8 : 8), y: y(lat) - 8, class: 'map-label track-label',
      'text-anchor': right ? 'end' : 'start'},
        `${t.name} [${t.status}] ${(Number(u.altitude_m || 0) / 1000).toFixed(0)} km${u.ended ? ' ENDED' : ''}`));
  }
  return map;
}
