// The data folder on a full disk and made read-only, with calls in flight. TOLLGATE_HOME is a tiny
// tmpfs (root only: skipped otherwise). Calls that cannot be written down are refused with
// audit_unavailable and never sent; the operator gets a critical alert (delivered as a
// notification even when it cannot be stored, and in the alert list once space is back); once
// space is back the daemon serves again.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, readlinkSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/daemon-process.ts';
import type { Alert } from '../../daemon/alerts/alerts.ts';
import { Harness } from '../helpers/harness.ts';
import { json, late } from '../helpers/upstream.ts';
import { auditRecords, code, expectConsistent, settled, spendOf } from './invariants.ts';

const root = process.getuid?.() === 0;
const IN_FLIGHT = 20;
const CAP_USD = 10;
const MAX_USD = 0.002;

function mountTmpfs(size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-faults-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return dir;
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir]);
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Fills the file system holding `dir` to the last byte; returns the ballast's path. */
function fill(dir: string): string {
  const path = join(dir, 'ballast');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  const small = Buffer.alloc(512, 1);
  try {
    for (;;) writeSync(fd, small);
  } catch {
    // full
  }
  closeSync(fd);
  return path;
}

describe.skipIf(!root && !process.env.CI)('the data folder fails under calls in flight', () => {
  let h: Harness | undefined;
  let mnt: string | undefined;
  afterEach(async () => {
    await h?.close().catch(() => undefined);
    h = undefined;
    if (mnt) unmount(mnt);
    mnt = undefined;
  });

  /** Calls in flight while the disk fills up, then the ballast removed; returns the replies' codes. */
  async function fullDiskRun(): Promise<string[]> {
    mnt = mountTmpfs('4m');
    h = await Harness.start({ home: mnt, handler: late(300, json(200, { results: [] })) });
    await h.addIntegration({ pricing: { perRequestUsd: 0.001, maxPerRequestUsd: MAX_USD }, monthlyCapUsd: CAP_USD });
    expect((await h.call('search', '/res/v1/web/search?q=before')).status).toBe(200);

    const first = Array.from({ length: IN_FLIGHT }, (_, i) => settled(h!.call('search', `/res/v1/web/search?q=inflight-${i}`)));
    await waitFor(() => h!.upstream.requests.length === 1 + IN_FLIGHT, 'the calls in flight to reach the upstream');
    const ballast = fill(mnt);
    const second = Array.from({ length: IN_FLIGHT }, (_, i) => settled(h!.call('search', `/res/v1/web/search?q=full-${i}`)));
    const replies = [...(await Promise.all(first)), ...(await Promise.all(second))];
    const codes = replies.map((r) => (r === 'cut' ? 'cut' : r.status === 200 ? 'ok' : String(code(r))));
    for (const c of codes) expect(['ok', 'audit_unavailable']).toContain(c);
    expect(codes).toContain('audit_unavailable');
    for (const r of replies) if (r !== 'cut' && r.status !== 200) expect(r.status).toBe(503);
    // Every call refused before its reservation was written never reached the upstream.
    const refusedBeforeSending = replies.filter((r) => r !== 'cut' && r.status === 503).length;
    expect(h.upstream.requests.length).toBe(1 + 2 * IN_FLIGHT - refusedBeforeSending);
    // The operator heard of it, even though the alert could not be stored.
    expect(h.notifications.some((n) => n.tier === 'critical' && /audit log/i.test(n.title))).toBe(true);

    rmSync(ballast);
    return codes;
  }

  it('on a full disk: refused with audit_unavailable, never sent unaudited, critical alert; serves again once space is back', async () => {
    await fullDiskRun();
    // Time moves on before anything could be stored: the alert must keep when it happened.
    const faultAt = h!.clock.now();
    h!.clock.advance(5 * 60_000);
    // Space is back: the daemon serves again by itself.
    expect((await h!.control('GET', '/v1/health')).status).toBe(200);
    // The alert it could only deliver while the disk was full is now in the operator's list.
    const stored = (await h!.control('GET', '/v1/alerts?tier=critical')).json.alerts as Alert[];
    expect(stored.filter((a) => a.kind === 'audit_unavailable')).toEqual([
      expect.objectContaining({ tier: 'critical', title: 'Audit log cannot be written', firstAt: faultAt }),
    ]);
    const after = await h!.call('search', '/res/v1/web/search?q=after');
    expect(after.status).toBe(200);
    // Calls whose settle could not be written keep their reservation (at the maximum) open until
    // the next start, which settles them as "unknown": the cap counts them all along.
    const open = await spendOf(h!, 'search');
    expect(open.spentUsd + open.reservedUsd).toBeLessThanOrEqual(CAP_USD);
    const leftOpen = Math.round(open.reservedUsd / MAX_USD);
    await h!.restartDaemon();
    const records = await expectConsistent(h!, 'search', CAP_USD);
    expect(records.filter((r) => r.outcome === 'unknown' && r.cost === MAX_USD * 1e6)).toHaveLength(leftOpen);
    expect((await h!.call('search', '/res/v1/web/search?q=after-restart')).status).toBe(200);
  });

  // Settles the full disk refused are kept and written once it takes writes again: the ledger
  // catches up by itself, no restart needed.
  it('on a full disk: the calls it could not settle are settled and audited once there is room again, without a restart', async () => {
    const codes = await fullDiskRun();
    expect(codes.filter((c) => c === 'ok').length).toBeGreaterThan(0);
    // The next call's reservation first settles what was left over.
    expect((await h!.call('search', '/res/v1/web/search?q=after')).status).toBe(200);
    expect((await spendOf(h!, 'search')).reservedUsd).toBe(0);
    await expectConsistent(h!, 'search', CAP_USD);
  });

  // A tmpfs cannot be remounted read-only while the daemon holds files open for writing (EBUSY),
  // so this uses what really turns a data folder read-only under a running program: an ext4 file
  // system (a loop-mounted image) mounted errors=remount-ro, on which an error is triggered.
  it('made read-only mid-run: refused with audit_unavailable, never sent unaudited, critical alert; consistent after repair', async () => {
    const img = join(mkdtempSync(join(tmpdir(), 'tollgate-faults-img-')), 'fs.img');
    execFileSync('truncate', ['-s', '16m', img]);
    execFileSync('mkfs.ext4', ['-q', '-F', img]);
    mnt = mkdtempSync(join(tmpdir(), 'tollgate-faults-ro-'));
    execFileSync('mount', ['-o', 'loop,errors=remount-ro', img, mnt]);
    try {
      const dev = execFileSync('findmnt', ['-no', 'SOURCE', mnt], { encoding: 'utf8' }).trim();
      const name = dev.startsWith('/dev/') ? dev.slice(5) : readlinkSync(dev);
      h = await Harness.start({ home: mnt, handler: late(300, json(200, { results: [] })) });
      await h.addIntegration({ pricing: { perRequestUsd: 0.001, maxPerRequestUsd: MAX_USD }, monthlyCapUsd: CAP_USD });
      expect((await h.call('search', '/res/v1/web/search?q=before')).status).toBe(200);

      const first = Array.from({ length: IN_FLIGHT }, (_, i) => settled(h!.call('search', `/res/v1/web/search?q=inflight-${i}`)));
      await waitFor(() => h!.upstream.requests.length === 1 + IN_FLIGHT, 'the calls in flight to reach the upstream');
      // What was committed so far reaches the disk (the kernel's writeback, made deterministic): an
      // emergency read-only file system drops the dirty pages it still holds.
      execFileSync('sync', ['-f', mnt]);
      execFileSync('sh', ['-c', `echo tollgate-fault > /sys/fs/ext4/${name}/trigger_fs_error`]);
      const second = Array.from({ length: IN_FLIGHT }, (_, i) => settled(h!.call('search', `/res/v1/web/search?q=ro-${i}`)));
      const replies = [...(await Promise.all(first)), ...(await Promise.all(second))];
      const codes = replies.map((r) => (r === 'cut' ? 'cut' : r.status === 200 ? 'ok' : String(code(r))));
      for (const c of codes) expect(['ok', 'audit_unavailable']).toContain(c);
      expect(codes.slice(IN_FLIGHT)).toEqual(Array(IN_FLIGHT).fill('audit_unavailable'));
      const refused = codes.filter((c) => c === 'audit_unavailable').length;
      const upstreamSeen = h.upstream.requests.length;
      expect(upstreamSeen).toBe(1 + 2 * IN_FLIGHT - refused);
      expect(h.notifications.some((n) => n.tier === 'critical' && /audit log/i.test(n.title))).toBe(true);
      // Still answering the operator, and still refusing while it cannot write.
      expect((await h.control('GET', '/v1/health')).status).toBe(200);
      const still = await h.call('search', '/res/v1/web/search?q=still-ro');
      expect(code(still)).toBe('audit_unavailable');
      const open = await spendOf(h, 'search');
      expect(open.spentUsd + open.reservedUsd).toBeLessThanOrEqual(CAP_USD);

      // The operator repairs the file system (here: stop, unmount, fsck, mount again) and restarts
      // Tollgate (the same keychain and upstream: the harness's daemon is stopped and started again).
      // stop() may still reject (the database cannot close cleanly on a read-only folder), but it
      // always releases the pid file.
      const stopError = await h.running.stop(1000).then(() => null, (e: unknown) => e as NodeJS.ErrnoException);
      if (stopError) expect(stopError.code).toBe('EROFS');
      execFileSync('umount', [mnt]);
      try {
        execFileSync('e2fsck', ['-fy', img], { stdio: 'ignore' });
      } catch {
        // exit 1: errors corrected
      }
      execFileSync('mount', ['-o', 'loop', img, mnt]);
      await h.startDaemon();
      expect((await h.call('search', '/res/v1/web/search?q=after-repair')).status).toBe(200);
      const records = await auditRecords(h, 'search');
      const sent = records.filter((r) => ['ok', 'error', 'unknown'].includes(r.outcome)).length;
      expect(sent).toBe(upstreamSeen + 1);
      expect(h.upstream.requests).toHaveLength(upstreamSeen + 1);
      const spend = await spendOf(h, 'search');
      expect(spend.reservedUsd).toBe(0);
      expect(Math.round(spend.spentUsd * 1e6)).toBe(records.reduce((n, r) => n + r.cost, 0));
      // The calls in flight when it happened: answered, then settled at their maximum as "unknown".
      expect(records.filter((r) => r.outcome === 'unknown' && r.cost === MAX_USD * 1e6)).toHaveLength(IN_FLIGHT);
      expect((await h.control('GET', '/v1/audit/verify')).json.ok).toBe(true);
    } finally {
      await h?.close().catch(() => undefined);
      h = undefined;
      try {
        execFileSync('umount', [mnt]);
      } catch {
        // not mounted
      }
      rmSync(mnt, { recursive: true, force: true });
      mnt = undefined;
      rmSync(join(img, '..'), { recursive: true, force: true });
    }
  });
});
