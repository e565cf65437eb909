// Daemon-wide settings, kept in SQLite and changed only over the control socket.
import { hostname } from 'node:os';
import { z } from 'zod';
import type { Db } from './db/open.ts';
import { NAME_PATTERN } from './integrations/schema.ts';
import { isValidTimeZone } from './period.ts';

const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM');

export const settingsSchema = z.strictObject({
  /** IANA time zone the spend period and active hours are read in. */
  timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  /** Day of the month caps reset on. */
  resetDay: z.number().int().min(1).max(28),
  /** Cap over all integrations together, in USD; null for none. */
  globalCapUsd: z.number().finite().positive().max(1_000_000).nullable(),
  /** When the operator expects the assistant to work; calls outside raise a warning. null: off. */
  activeHours: z.strictObject({ start: hhmm, end: hhmm, days: z.array(z.number().int().min(0).max(6)).min(1).max(7) }).nullable(),
  maxRequestBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
  maxResponseBytes: z.number().int().min(1024).max(512 * 1024 * 1024),
  /** fsync every transaction, so records survive an OS crash or power cut too (slower). */
  fullSync: z.boolean(),
  /** This daemon's name in a shared ledger (several machines on one budget). */
  machineName: z.string().regex(MACHINE_NAME, 'must be letters, digits, dots, dashes and underscores, up to 100 characters'),
  /** A budget in the shared ledger every integration of this machine also draws on: the global cap over the fleet. null: none. */
  globalSharedBudget: z.string().regex(NAME_PATTERN, 'must name a shared budget: lower-case letters, digits and dashes').nullable(),
  upstreamTimeouts: z.strictObject({
    connectMs: z.number().int().min(100).max(120_000),
    headersMs: z.number().int().min(100).max(600_000),
    bodyMs: z.number().int().min(100).max(600_000),
  }),
});

export type Settings = z.infer<typeof settingsSchema>;
export const settingsPatchSchema = settingsSchema.partial();

export function defaultSettings(): Settings {
  return {
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    resetDay: 1,
    globalCapUsd: null,
    activeHours: null,
    maxRequestBytes: 1024 * 1024,
    maxResponseBytes: 10 * 1024 * 1024,
    fullSync: false,
    globalSharedBudget: null,
    machineName: hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || 'machine',
    upstreamTimeouts: { connectMs: 10_000, headersMs: 30_000, bodyMs: 60_000 },
  };
}

export function loadSettings(db: Db): Settings {
  const row = db.prepare("SELECT value FROM settings WHERE key = 'settings'").get() as { value: string } | undefined;
  // Settings written by an older version may lack newer fields: defaults fill them.
  return settingsSchema.parse({ ...defaultSettings(), ...(row ? JSON.parse(row.value) : {}) });
}

export function applyDurability(db: Db, settings: Settings): void {
  db.pragma(settings.fullSync ? 'synchronous = FULL' : 'synchronous = NORMAL');
}

export function saveSettings(db: Db, settings: Settings): void {
  db.prepare("INSERT INTO settings (key, value) VALUES ('settings', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    .run(JSON.stringify(settings));
}
