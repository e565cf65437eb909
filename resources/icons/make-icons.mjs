#!/usr/bin/env node
// Draws the tray icons: ok, warning and critical at 16 px (`name.png`) and 32 px (`name@2x.png`,
// which Electron picks on high-density screens), in colour, and as macOS template images
// (`nameTemplate.png`: black and alpha only, so the state shows in the shape, not the colour).
// Run `node resources/icons/make-icons.mjs` after changing it; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

const STATES = {
  ok: { fill: [46, 157, 79], mark: 'check' },
  warning: { fill: [224, 161, 0], mark: 'bang' },
  critical: { fill: [217, 48, 37], mark: 'cross' },
};

/** Distance from (px, py) to the segment a–b. */
function segment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

// Shapes on a unit square (0..1), as "is this point inside".
const disk = (x, y) => Math.hypot(x - 0.5, y - 0.5) <= 0.46;
const ring = (x, y) => Math.abs(Math.hypot(x - 0.5, y - 0.5) - 0.4) <= 0.07;
const MARKS = {
  check: (x, y) => segment(x, y, [0.28, 0.52], [0.44, 0.68]) <= 0.07 || segment(x, y, [0.44, 0.68], [0.72, 0.34]) <= 0.07,
  bang: (x, y) => segment(x, y, [0.5, 0.24], [0.5, 0.58]) <= 0.075 || Math.hypot(x - 0.5, y - 0.74) <= 0.08,
  cross: (x, y) => segment(x, y, [0.32, 0.32], [0.68, 0.68]) <= 0.075 || segment(x, y, [0.68, 0.32], [0.32, 0.68]) <= 0.075,
};

/** RGBA of one point: colour icons are a filled disk with a white mark. */
function colour(state, x, y) {
  const { fill, mark } = STATES[state];
  if (!disk(x, y)) return null;
  return MARKS[mark](x, y) ? [255, 255, 255] : fill;
}

/** Template icons: ok and warning are a ring around their mark; critical a solid disk with its mark cut out. */
function template(state, x, y) {
  const { mark } = STATES[state];
  if (state === 'critical') return disk(x, y) && !MARKS[mark](x, y) ? [0, 0, 0] : null;
  return ring(x, y) || MARKS[mark](x, y) ? [0, 0, 0] : null;
}

/** Renders `paint` at `size` px, 4×4 samples a pixel for smooth edges. */
function render(size, paint) {
  const n = 4;
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, hits = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const c = paint((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size);
          if (!c) continue;
          r += c[0]; g += c[1]; b += c[2]; hits++;
        }
      }
      const o = (py * size + px) * 4;
      if (hits) rgba.set([Math.round(r / hits), Math.round(g / hits), Math.round(b / hits), Math.round((255 * hits) / (n * n))], o);
    }
  }
  return rgba;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const dir = new URL('./', import.meta.url);
for (const state of Object.keys(STATES)) {
  for (const [suffix, paint] of [['', colour], ['Template', template]]) {
    for (const [scale, size] of [['', 16], ['@2x', 32]]) {
      writeFileSync(new URL(`${state}${suffix}${scale}.png`, dir), png(size, render(size, (x, y) => paint(state, x, y))));
    }
  }
}
