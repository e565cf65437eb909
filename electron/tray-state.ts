// What the tray shows, from what the daemon reports: the state at a glance (ok / warning /
// critical), a tooltip that says why, and the menu. Pure: tray.ts applies it to Electron.
import type { Alert, IntegrationView, SessionView, SpendReport } from '../daemon/control-types.ts';
import { usd } from '../daemon/money.ts';
import { dateText } from '../daemon/time-text.ts';

export type TrayState = 'ok' | 'warning' | 'critical';

export type TrayInput =
  | { running: false }
  | { running: true; spend: SpendReport; integrations: IntegrationView[]; openAlerts: Alert[]; sessions?: SessionView[] };

export type TrayAction = 'open' | 'suspend_all' | 'quit';

export type MenuEntry =
  | { kind: 'label'; text: string }
  | { kind: 'separator' }
  | { kind: 'action'; action: TrayAction; text: string; enabled: boolean };

export interface TrayModel {
  state: TrayState;
  tooltip: string;
  menu: MenuEntry[];
}

/** Share of a cap from which the tray turns to warning, as the daemon's 80 % alert does. */
const WARN_SHARE = 0.8;

// daemon/alerts/monitor.ts suspends an integration with this reason when its provider rejects the key.
const keyRejected = (i: IntegrationView): boolean => i.status === 'suspended' && (i.statusReason ?? '').startsWith('the provider rejected');

const MAX_LABEL = 40;
const short = (s: string): string => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s);

export function trayModel(input: TrayInput): TrayModel {
  if (!input.running) {
    return {
      state: 'warning',
      tooltip: 'Tollgate: the daemon is not running',
      menu: [{ kind: 'label', text: 'The daemon is not running' }, { kind: 'separator' }, ...actions(false)],
    };
  }
  const { spend, integrations, openAlerts } = input;
  const live = spend.integrations.filter((i) => i.status !== 'decommissioned');
  const rejected = integrations.filter(keyRejected).map((i) => i.name);
  const critical = openAlerts.filter((a) => a.tier === 'critical').length;
  const warnings = openAlerts.filter((a) => a.tier === 'warning').length;
  const nearCap = live.filter((i) => i.capUsd > 0 && i.spentUsd >= i.capUsd * WARN_SHARE).map((i) => i.name);

  const reasons: string[] = [];
  if (critical) reasons.push(`${critical} critical alert${critical === 1 ? '' : 's'}`);
  if (rejected.length) reasons.push(`key rejected: ${rejected.join(', ')}`);
  if (warnings) reasons.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  if (nearCap.length) reasons.push(`near the cap: ${nearCap.join(', ')}`);
  const state: TrayState = critical || rejected.length ? 'critical' : warnings || nearCap.length ? 'warning' : 'ok';

  const total = spend.globalCapUsd === null ? usd(spend.totalSpentUsd) : `${usd(spend.totalSpentUsd)} / ${usd(spend.globalCapUsd)}`;
  const tooltip = `Tollgate: ${reasons.length ? reasons.join('; ') : 'all well'} (${total} this period)`;

  const lines: MenuEntry[] = live.length
    ? live.map((i) => ({ kind: 'label', text: `${i.name}: ${usd(i.spentUsd)} / ${usd(i.capUsd)}${i.status === 'suspended' ? ' (suspended)' : ''}` }))
    : [{ kind: 'label', text: 'No integrations yet' }];
  if (spend.globalCapUsd !== null) lines.push({ kind: 'label', text: `All: ${total}` });
  const resets = dateText(spend.period.resetsAt, spend.period.timeZone);
  // The assistants running now, each with its spend (against its budget, where it has one).
  const sessions = (input.sessions ?? []).filter((s) => s.status === 'running');
  const sessionLines: MenuEntry[] = sessions.length
    ? [{ kind: 'separator' }, { kind: 'label', text: `Sessions running (${sessions.length})` },
      ...sessions.map((s): MenuEntry => ({ kind: 'label', text: `${short(s.purpose)}: ${usd(s.spentUsd)}${s.budgetUsd === null ? '' : ` / ${usd(s.budgetUsd)}`}` }))]
    : [];
  return {
    state,
    tooltip,
    menu: [{ kind: 'label', text: `This period (resets ${resets})` }, ...lines, ...sessionLines, { kind: 'separator' }, ...actions(live.some((i) => i.status === 'active'))],
  };
}

function actions(canSuspend: boolean): MenuEntry[] {
  return [
    { kind: 'action', action: 'open', text: 'Open Tollgate', enabled: true },
    { kind: 'action', action: 'suspend_all', text: 'Suspend all', enabled: canSuspend },
    { kind: 'separator' },
    { kind: 'action', action: 'quit', text: 'Quit', enabled: true },
  ];
}
