import { useId, useState, type FormEvent } from 'react';
import type { Settings as SettingsValue } from '../../daemon/control-types.ts';
import { api } from '../api.ts';
import { CheckField, TextField, UsdField } from '../components/fields.tsx';
import { Loadable } from '../components/Loadable.tsx';
import { OutcomeMessage } from '../components/OutcomeMessage.tsx';
import { bytes } from '../format.ts';
import { useAction, useLoad } from '../hooks.ts';
import { changeOf, type Draft, draftOf, type FieldErrors, namesOf, readDraft, refusalsOf } from './settings/draft.ts';

/** The daemon-wide settings, changed as `tollgate settings set` changes them: main confirms, the daemon judges. */
export function Settings() {
  const loaded = useLoad(() => api.settings(), []);
  return (
    <section className="page" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <p className="muted">They apply to every integration. Each change is confirmed in a dialog that names it before it is made.</p>
      <Loadable loaded={loaded} what="the settings">
        {(settings) => <SettingsForm settings={settings} />}
      </Loadable>
    </section>
  );
}

// Monday first, as a week reads; the daemon numbers days from 0 (Sunday).
const WEEK = [
  { day: 1, name: 'Monday' },
  { day: 2, name: 'Tuesday' },
  { day: 3, name: 'Wednesday' },
  { day: 4, name: 'Thursday' },
  { day: 5, name: 'Friday' },
  { day: 6, name: 'Saturday' },
  { day: 0, name: 'Sunday' },
];

const TIME_ZONES = Intl.supportedValuesOf('timeZone');
const MACHINE_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * Only the fields the operator edited are kept as typed: the rest follow the daemon (a change
 * made meanwhile from the CLI shows). A cancelled or refused change keeps every edit.
 */
function SettingsForm({ settings }: { settings: SettingsValue }) {
  const [edits, setEdits] = useState<Partial<Draft>>({});
  const { outcome, busy, change } = useAction();
  const draft: Draft = { ...draftOf(settings), ...edits };
  const set = <K extends keyof Draft>(key: K) => (value: Draft[K]) => setEdits((e) => ({ ...e, [key]: value }));

  const read = readDraft(draft);
  const changed = read.settings ? changeOf(settings, read.settings) : {};
  const refused = outcome?.tone === 'error' ? refusalsOf(outcome.text) : {};
  const errors: FieldErrors = { ...refused, ...read.errors };
  const dirty = Object.keys(changed).length > 0;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!dirty) return;
    const saved = await change(() => api.updateSettings(changed), () => `Saved: ${namesOf(changed)}.`);
    if (saved) setEdits({});
  }

  return (
    <form onSubmit={submit} aria-label="Settings" noValidate>
      <fieldset>
        <legend>Spend period</legend>
        <TextField
          label="Time zone"
          hint={`An IANA name such as Europe/Berlin (this computer's is ${MACHINE_ZONE}). Periods start at midnight in it, and active hours are read in it.`}
          error={errors.timeZone}
          value={draft.timeZone}
          onChange={set('timeZone')}
          list="time-zones"
          autoComplete="off"
          spellCheck={false}
        />
        <datalist id="time-zones">
          {TIME_ZONES.map((z) => <option key={z} value={z} />)}
        </datalist>
        <TextField
          label="Reset day"
          hint="The day of the month every cap starts again (1–28)."
          error={errors.resetDay}
          type="number"
          min={1}
          max={28}
          step={1}
          value={draft.resetDay}
          onChange={set('resetDay')}
        />
      </fieldset>

      <fieldset>
        <legend>Global cap</legend>
        <CheckField
          label="Cap the spend of all integrations together"
          hint="Calls are refused once they would take this period's total past it, whatever each integration's own cap allows."
          checked={draft.capped}
          onChange={set('capped')}
        />
        {draft.capped && <UsdField label="Global cap (USD)" error={errors.globalCapUsd} value={draft.globalCapUsd} onChange={set('globalCapUsd')} />}
      </fieldset>

      <fieldset>
        <legend>Active hours</legend>
        <CheckField
          label="Warn about calls outside active hours"
          hint="When you expect the assistant to work. A call outside them still goes through, and raises a warning."
          checked={draft.activeHours}
          onChange={set('activeHours')}
        />
        {draft.activeHours && (
          <>
            <div className="field-row">
              <TextField label="From" hint="HH:MM" error={errors['activeHours.start']} value={draft.start} onChange={set('start')} inputMode="numeric" autoComplete="off" />
              <TextField label="Until" hint="HH:MM; earlier than From for overnight hours" error={errors['activeHours.end']} value={draft.end} onChange={set('end')} inputMode="numeric" autoComplete="off" />
            </div>
            <DaysField days={draft.days} error={errors['activeHours.days']} onChange={set('days')} />
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>Size limits</legend>
        <BytesField
          label="Largest request body (bytes)"
          hint="A larger request is refused before it reaches the provider. An integration may set its own."
          error={errors.maxRequestBytes}
          value={draft.maxRequestBytes}
          onChange={set('maxRequestBytes')}
        />
        <BytesField
          label="Largest response body (bytes)"
          hint="A larger response is not passed on: the call fails."
          error={errors.maxResponseBytes}
          value={draft.maxResponseBytes}
          onChange={set('maxResponseBytes')}
        />
      </fieldset>

      <fieldset>
        <legend>Upstream timeouts</legend>
        <TextField label="Connect (ms)" hint="To reach the provider's host." error={errors['upstreamTimeouts.connectMs']} type="number" min={100} step={100} value={draft.connectMs} onChange={set('connectMs')} />
        <TextField label="Response headers (ms)" hint="From sending the request to the provider's first answer." error={errors['upstreamTimeouts.headersMs']} type="number" min={100} step={100} value={draft.headersMs} onChange={set('headersMs')} />
        <TextField label="Response body (ms)" hint="The longest pause while the answer streams in." error={errors['upstreamTimeouts.bodyMs']} type="number" min={100} step={100} value={draft.bodyMs} onChange={set('bodyMs')} />
      </fieldset>

      <fieldset>
        <legend>Shared ledger</legend>
        <TextField
          label="Machine name"
          hint="How this machine shows in the shared ledger, beside the others that share its budgets."
          error={errors.machineName}
          value={draft.machineName}
          onChange={set('machineName')}
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          label="Shared global budget"
          hint="A budget in the shared ledger that every call of this machine also draws on, with the other machines that name it. Empty: none."
          error={errors.globalSharedBudget}
          value={draft.globalSharedBudget}
          onChange={set('globalSharedBudget')}
          autoComplete="off"
          spellCheck={false}
        />
      </fieldset>

      <fieldset>
        <legend>Durability</legend>
        <CheckField
          label="Write every record to disk before going on"
          hint="Spend and audit records then survive a power cut or OS crash too, not only a crash of the daemon. Costs about one disk sync per transaction, two per call."
          checked={draft.fullSync}
          onChange={set('fullSync')}
        />
      </fieldset>

      <OutcomeMessage outcome={outcome?.tone === 'error' ? { ...outcome, text: `Not saved; your edits are kept. The daemon said: ${outcome.text}` } : outcome} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !dirty || read.errors !== undefined}>Save changes</button>
        <button type="button" onClick={() => setEdits({})} disabled={busy || Object.keys(edits).length === 0}>Discard changes</button>
        {dirty && <span className="muted">Changed: {namesOf(changed)}</span>}
      </div>
    </form>
  );
}

/** The weekdays active hours hold on. */
function DaysField({ days, error, onChange }: { days: number[]; error: string | undefined; onChange(days: number[]): void }) {
  const errorId = useId();
  return (
    <fieldset className={error ? 'days invalid' : 'days'} aria-describedby={error ? errorId : undefined}>
      <legend>Days</legend>
      {WEEK.map(({ day, name }) => (
        <label key={day} className="check">
          <input type="checkbox" checked={days.includes(day)} onChange={(e) => onChange(e.target.checked ? [...days, day] : days.filter((d) => d !== day))} />
          {name}
        </label>
      ))}
      {error && <p id={errorId} className="field-error">{error}</p>}
    </fieldset>
  );
}

/** A size in bytes, read back in KB or MB beside it. */
function BytesField({ hint, value, ...field }: { label: string; hint: string; error: string | undefined; value: string; onChange(value: string): void }) {
  const n = Number(value);
  const readable = value.trim() !== '' && Number.isFinite(n) && n >= 1024 ? ` Now ${bytes(n)}.` : '';
  return <TextField {...field} hint={`${hint}${readable}`} type="number" min={1024} step={1024} value={value} />;
}
