import type { Status, Tier } from '../../daemon/control-types.ts';

export type Tone = Tier | 'neutral' | 'ok';

export function Badge({ tone, children }: { tone: Tone; children: string }) {
  return <span className={`badge tone-${tone}`}>{children}</span>;
}

const STATUS_TONE: Record<Status, Tone> = { active: 'ok', suspended: 'warning', decommissioned: 'neutral' };

export function StatusBadge({ status }: { status: Status }) {
  return <Badge tone={STATUS_TONE[status]}>{status}</Badge>;
}
