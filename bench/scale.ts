// npm run bench -- --scale: the operator's pages over a large audit log, and what each record costs
// on disk. A daemon sets up a data folder (six integrations from the templates, its keys in the
// keychain) and stops; then the audit records are written straight into its database with the
// daemon's own AuditLog (the real columns and a real HMAC chain under the daemon's key), in big
// transactions instead of through calls, with the spend tables the calls would have left. Then
// the daemon starts on that folder and GET /v1/spend (what the Overview asks) is timed.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import keytar from 'keytar';
import { AuditLog } from '../daemon/audit/log.ts';
import type { AuditEntry, Outcome } from '../daemon/audit/record.ts';
import type { IntegrationSpec } from '../daemon/control-types.ts';
import { AUDIT_KEY_ACCOUNT } from '../daemon/keychain/keychain.ts';
import { Calendar } from '../daemon/period.ts';
import { loadSettings } from '../daemon/settings.ts';
import { deleteKeychainService } from '../test/helpers/daemon-process.ts';
import { peakRss, rss } from './lib/proc.ts';
import { mb, round, summarize, type Summary } from './lib/stats.ts';
import { startTollgate } from './tollgate.ts';
import { mulberry32 } from '../test/helpers/prng.ts';

const TARGET_SPEND_P50_MS = 20;
const TARGET_BYTES_PER_RECORD = 300;
const TEMPLATES = ['brave-search', 'exa', 'tavily', 'perplexity', 'serper', 'firecrawl'] as const;
// Share of the calls per integration, and a typical cost range in micro-dollars.
const MIX: Record<(typeof TEMPLATES)[number], { weight: number; cost: [number, number] }> = {
  'brave-search': { weight: 30, cost: [5000, 5000] },
  exa: { weight: 25, cost: [5000, 15_000] },
  tavily: { weight: 15, cost: [8000, 16_000] },
  perplexity: { weight: 10, cost: [5000, 60_000] },
  serper: { weight: 15, cost: [1000, 2000] },
  firecrawl: { weight: 5, cost: [6300, 31_500] },
};
// What assistants write as a purpose: short sentences, 1–200 characters, mostly 30–80.
const PURPOSES = [
  'find sources on SQLite WAL mode',
  'background for the report on hard spend caps',
  'check the latest release notes of Node.js 24',
  'look up the pricing page of the provider for the comparison table',
  'verify a citation in section 3 of the draft',
  'collect recent news about the EU AI Act implementation timeline',
  'answer the user question about HTTP/1.1 keep-alive behaviour',
  'search for benchmarks of reverse proxies written in Rust',
  'find the original paper on write-ahead logging (ARIES)',
  'gather three independent sources on the outage reported yesterday',
  'summarise competitor documentation for the onboarding guide',
  'research',
  'look up definition',
  'scrape the changelog page the user linked to extract version numbers and dates',
  'find examples of HMAC-chained audit logs in open-source projects for the design review',
  'confirm the time zone rules for Europe/Berlin in 2026',
];


export interface ScaleOptions {
  records: number;
  verify: boolean;
  log: (line?: string) => void;
  cleanup: (what: string, run: () => unknown) => void;
}

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<Summary> {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t[i] = performance.now() - t0;
  }
  return summarize(t);
}

export async function runScale(o: ScaleOptions) {
  const { log } = o;
  const started = new Date();
  log(`Tollgate bench --scale, ${started.toISOString()}: ${o.records.toLocaleString('en')} audit records`);
  const tmp = mkdtempSync(join(tmpdir(), 'tollgate-bench-scale-'));
  o.cleanup('remove the temporary folder', () => rmSync(tmp, { recursive: true, force: true }));
  const service = `tollgate-bench-${randomUUID()}`;
  o.cleanup('remove the keychain items', () => deleteKeychainService(service));
  const home = join(tmp, 'home');

  // 1. The data folder as an operator leaves it: integrations from templates, the daemon's keys.
  const setup = await startTollgate({ home, service });
  o.cleanup('stop the first daemon', () => setup.daemon.stop().catch(() => setup.daemon.kill9()));
  for (const t of TEMPLATES) {
    await setup.control.createIntegration({ template: t, name: t, purpose: `Research with ${t}`, account: 'research@example.org', monthlyCapUsd: 100_000 });
  }
  await setup.control.close();
  await setup.daemon.stop();
  const dbFile = setup.daemon.paths.database;

  // 2. The records, straight into the database with the daemon's own AuditLog and its chain key.
  const stored = await keytar.getPassword(service, AUDIT_KEY_ACCOUNT);
  if (!stored) throw new Error('the daemon left no audit key in the keychain');
  const db = new Database(dbFile);
  // Nobody else has the file open: a bulk load needs no journal; the daemon turns WAL back on.
  db.pragma('journal_mode = DELETE');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  const audit = new AuditLog(db, Buffer.from(stored, 'base64'));
  const settings = loadSettings(db);
  const calendar = new Calendar({ timeZone: settings.timeZone, resetDay: settings.resetDay });
  const integrations = (db.prepare('SELECT id, name, spec FROM integrations ORDER BY id').all() as { id: number; name: string; spec: string }[])
    .map((r) => {
      const spec = JSON.parse(r.spec) as IntegrationSpec;
      const mix = MIX[r.name as (typeof TEMPLATES)[number]];
      return { id: r.id, name: r.name, host: new URL(spec.baseUrl).host, method: spec.routes[0]!.method, path: spec.routes[0]!.path, ...mix };
    });
  const totalWeight = integrations.reduce((s, i) => s + i.weight, 0);
  const rnd = mulberry32(20261123);
  const pickIntegration = () => {
    let x = rnd() * totalWeight;
    for (const i of integrations) if ((x -= i.weight) < 0) return i;
    return integrations.at(-1)!;
  };

  const end = Date.now() - 60_000;
  const span = 365 * 86_400_000; // a year of history, oldest first
  const start = end - span;
  const step = span / o.records;
  const periodSpend = new Map<string, { id: number; period: string; spent: number; calls: number }>();
  const daySpend = new Map<string, { id: number; day: string; spent: number; calls: number }>();
  const BATCH = 50_000;
  const genStart = performance.now();
  let fingerprints = Buffer.alloc(0);
  let fpAt = 0;
  for (let b = 0; b < o.records; b += BATCH) {
    const n = Math.min(BATCH, o.records - b);
    fingerprints = randomBytes(32 * n);
    fpAt = 0;
    audit.transaction(() => {
      for (let k = 0; k < n; k++) {
        const at = Math.floor(start + (b + k) * step);
        const integ = pickIntegration();
        const r = rnd();
        // 96 % answered, 3 % refused before anything was reserved, 1 % failed upstream after it.
        const outcome: Outcome = r < 0.96 ? 'ok' : r < 0.99 ? 'refused' : 'error';
        const cost = outcome === 'refused' ? 0 : Math.round(integ.cost[0] + rnd() * (integ.cost[1] - integ.cost[0]));
        const fingerprint = fingerprints.toString('hex', fpAt, fpAt + 32);
        fpAt += 32;
        const entry: AuditEntry = {
          at,
          requestId: randomUUID(),
          integration: integ.name,
          purpose: PURPOSES[Math.floor(rnd() * PURPOSES.length)]!,
          method: integ.method,
          host: integ.host,
          path: integ.path,
          outcome,
          code: outcome === 'ok' ? null : outcome === 'refused' ? (r < 0.98 ? 'rate_limited' : 'budget_exhausted') : 'upstream_timeout',
          status: outcome === 'ok' ? 200 : null,
          latencyMs: outcome === 'refused' ? 0 : 150 + Math.floor(rnd() * 2500),
          bytesOut: integ.method === 'GET' ? 0 : 40 + Math.floor(rnd() * 300),
          bytesIn: outcome === 'ok' ? 1000 + Math.floor(rnd() * 40_000) : 0,
          cost,
          fingerprint,
        };
        audit.append(entry);
        if (outcome === 'refused') continue; // never reserved: not in the spend tables
        const period = calendar.periodAt(at).id;
        const day = calendar.dayAt(at).id;
        const pk = `${integ.id} ${period}`;
        const dk = `${integ.id} ${day}`;
        const p = periodSpend.get(pk) ?? { id: integ.id, period, spent: 0, calls: 0 };
        p.spent += cost;
        p.calls++;
        periodSpend.set(pk, p);
        const d = daySpend.get(dk) ?? { id: integ.id, day, spent: 0, calls: 0 };
        d.spent += cost;
        d.calls++;
        daySpend.set(dk, d);
      }
    });
    const done = b + n;
    if (done % 1_000_000 === 0 || done === o.records) {
      const s = (performance.now() - genStart) / 1000;
      log(`  ${done.toLocaleString('en')} records written (${Math.round(done / s).toLocaleString('en')}/s)`);
    }
  }
  db.transaction(() => {
    const sp = db.prepare('INSERT INTO spend (integration_id, period, spent, reserved, calls) VALUES (?, ?, ?, 0, ?)');
    for (const p of periodSpend.values()) sp.run(p.id, p.period, p.spent, p.calls);
    const sd = db.prepare('INSERT INTO spend_daily (integration_id, day, spent, calls) VALUES (?, ?, ?, ?)');
    for (const d of daySpend.values()) sd.run(d.id, d.day, d.spent, d.calls);
  })();
  const generateSeconds = (performance.now() - genStart) / 1000;
  log(`generated in ${generateSeconds.toFixed(0)} s; ${periodSpend.size} period rows, ${daySpend.size} day rows`);

  // 3. Bytes per record: the file, and each table and index (SQLite's dbstat).
  const pages = db.prepare('SELECT name, SUM(pgsize) AS bytes, SUM(unused) AS unused FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number; unused: number }[];
  const columns = db.prepare(`SELECT AVG(length(request_id)) AS request_id, AVG(length(integration)) AS integration, AVG(length(purpose)) AS purpose,
    AVG(length(host)) AS host, AVG(length(path)) AS path, AVG(length(fingerprint)) AS fingerprint, AVG(length(mac)) AS mac
    FROM (SELECT * FROM audit ORDER BY id DESC LIMIT 100000)`).get() as Record<string, number>;
  db.pragma('journal_mode = WAL');
  db.close();
  const fileBytes = statSync(dbFile).size + (existsSync(`${dbFile}-wal`) ? statSync(`${dbFile}-wal`).size : 0);
  const bytesPerRecord = fileBytes / o.records;
  const auditBytes = pages.filter((p) => p.name === 'audit' || p.name.startsWith('audit_')).reduce((s, p) => s + p.bytes, 0);
  log(`database ${mb(fileBytes)} MB: ${bytesPerRecord.toFixed(1)} bytes per record (audit table and its index alone: ${(auditBytes / o.records).toFixed(1)})`);
  for (const p of pages.slice(0, 5)) log(`  ${p.name}: ${mb(p.bytes)} MB, ${(p.bytes / o.records).toFixed(1)} bytes/record, ${((100 * p.unused) / p.bytes).toFixed(0)} % unused`);
  log(`  mean text bytes per record (last 100k): ${Object.entries(columns).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);

  // 4. The daemon on that folder: start-up, then the Overview's questions.
  const t0 = performance.now();
  const tg = await startTollgate({ home, service });
  const startupMs = performance.now() - t0;
  o.cleanup('stop the daemon', () => tg.daemon.stop().catch(() => tg.daemon.kill9()));
  o.cleanup('close the control client', () => tg.control.close());
  const idleRss = rss(tg.daemon.pid);
  log(`daemon started on it in ${startupMs.toFixed(0)} ms (VmRSS ${mb(idleRss)} MB)`);
  const c = tg.control;
  const report = await c.spend();
  const ledgerCalls = report.periods.reduce((s, p) => s + p.calls, 0);
  for (let i = 0; i < 5; i++) await c.spend();
  const spend = await timeIt(200, () => c.spend());
  const overview = await timeIt(50, () => Promise.all([c.spend(), c.alerts({ open: true })]));
  const activity = await timeIt(50, () => c.audit({ limit: 50 }));
  const activityByIntegration = await timeIt(50, () => c.audit({ integration: 'exa', limit: 50 }));
  const activityRefused = await timeIt(20, () => c.audit({ outcome: 'refused', limit: 50 }));
  const activityOldPage = await timeIt(20, () => c.audit({ before: Math.floor(o.records / 2), limit: 50 }));
  let verify: { ms: number; ok: boolean; records: number } | null = null;
  if (o.verify) {
    const v0 = performance.now();
    const v = await c.verifyAudit();
    verify = { ms: round(performance.now() - v0, 0), ok: v.ok, records: v.records };
  }
  const afterRss = { rss: rss(tg.daemon.pid), hwm: peakRss(tg.daemon.pid) };
  const ms = (s: Summary) => `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`;
  log(`GET /v1/spend (${report.daily.length} day rows this period, ${report.periods.length} period rows, ${ledgerCalls.toLocaleString('en')} settled calls): ${ms(spend)}`);
  log(`Overview (spend + open alerts): ${ms(overview)}; Activity GET /v1/audit?limit=50: ${ms(activity)}; ?integration=exa: ${ms(activityByIntegration)}; ?outcome=refused: ${ms(activityRefused)}; a page from the middle: ${ms(activityOldPage)}`);
  if (verify) log(`GET /v1/audit/verify: ${verify.ok ? 'ok' : 'BROKEN'} over ${verify.records.toLocaleString('en')} records in ${(verify.ms / 1000).toFixed(1)} s`);
  log(`daemon VmRSS after the queries ${mb(afterRss.rss)} MB (VmHWM ${mb(afterRss.hwm)} MB)`);

  const rows = [
    { check: `GET /v1/spend p50 over ${o.records.toLocaleString('en')} records`, measured: `${spend.p50.toFixed(2)} ms`, target: `≤ ${TARGET_SPEND_P50_MS} ms`, pass: spend.p50 <= TARGET_SPEND_P50_MS },
    { check: 'audit storage per record (whole database file)', measured: `${bytesPerRecord.toFixed(1)} B`, target: `≤ ${TARGET_BYTES_PER_RECORD} B`, pass: bytesPerRecord <= TARGET_BYTES_PER_RECORD },
  ];
  log();
  log('Targets (issue 5, --scale)');
  const w = [Math.max(...rows.map((r) => r.check.length)), Math.max(...rows.map((r) => r.measured.length)), 8];
  for (const r of rows) log(`| ${r.check.padEnd(w[0]!)} | ${r.measured.padStart(w[1]!)} | ${r.target.padStart(w[2]!)} | ${r.pass ? 'PASS' : 'MISS'} |`);

  return {
    startedAt: started.toISOString(),
    records: o.records,
    generateSeconds: round(generateSeconds, 1),
    database: { fileBytes, bytesPerRecord: round(bytesPerRecord, 1), auditBytesPerRecord: round(auditBytes / o.records, 1), pages, meanTextBytes: columns },
    daemon: { startupMs: round(startupMs, 0), idleRss, afterRss },
    latencyMs: { spend, overview, activity, activityByIntegration, activityRefused, activityOldPage },
    spendReport: { dayRows: report.daily.length, periodRows: report.periods.length, settledCalls: ledgerCalls },
    verify,
    targets: rows,
  };
}
