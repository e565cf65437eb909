import { useState } from 'react';
import type { AuditFilter } from '../../daemon/client/control-client.ts';
import type { AuditRecord, VerifyResult } from '../../daemon/control-types.ts';
import { api, messageOf } from '../api.ts';
import { Badge, type Tone } from '../components/Badge.tsx';
import { SelectField, TextField } from '../components/fields.tsx';
import { Loadable } from '../components/Loadable.tsx';
import { bytes, dateTime, usd } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { useDaemonTimeZone } from '../time-zone.ts';

export const PAGE_SIZE = 50;

const OUTCOMES = [
  { value: '', label: 'Any outcome' },
  { value: 'ok', label: 'ok' },
  { value: 'refused', label: 'refused' },
  { value: 'error', label: 'error' },
  { value: 'unknown', label: 'unknown' },
] as const;

const OUTCOME_TONE: Record<AuditRecord['outcome'], Tone> = { ok: 'neutral', refused: 'warning', error: 'critical', unknown: 'neutral' };

interface Filter {
  integration: string;
  outcome: string;
  /** `datetime-local` values, local time. */
  since: string;
  until: string;
}

function auditFilter(f: Filter): AuditFilter {
  const at = (local: string) => (local ? new Date(local).getTime() : undefined);
  return {
    ...(f.integration ? { integration: f.integration } : {}),
    ...(f.outcome ? { outcome: f.outcome } : {}),
    ...(at(f.since) === undefined ? {} : { since: at(f.since) }),
    ...(at(f.until) === undefined ? {} : { until: at(f.until) }),
  };
}

export function Activity() {
  const names = useLoad(() => api.integrations().then((list) => list.map((i) => i.name)), []);
  const [filter, setFilter] = useState<Filter>({ integration: '', outcome: '', since: '', until: '' });
  const set = (field: keyof Filter) => (v: string) => setFilter({ ...filter, [field]: v });
  const query = auditFilter(filter);
  return (
    <section className="page" aria-labelledby="activity-title">
      <header className="page-head">
        <h1 id="activity-title">Activity</h1>
        <VerifyChain />
      </header>
      <p className="muted">
        Every call the assistant made or tried, newest first. Query values, request and response bodies and keys are never recorded:
        only the path without its query, sizes, cost and a fingerprint that spots repeats.
      </p>
      <form role="search" aria-label="Filter the audit log" className="filters" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Integration"
          value={filter.integration}
          onChange={set('integration')}
          options={[{ value: '', label: 'All integrations' }, ...(names.status === 'ready' ? names.value : []).map((n) => ({ value: n, label: n }))]}
        />
        <SelectField label="Outcome" value={filter.outcome} onChange={set('outcome')} options={OUTCOMES} />
        <TextField label="From" type="datetime-local" value={filter.since} onChange={set('since')} />
        <TextField label="To" type="datetime-local" value={filter.until} onChange={set('until')} />
      </form>
      {/* A new filter starts again from the newest page. */}
      <AuditLog key={JSON.stringify(query)} filter={query} />
    </section>
  );
}

/** Pages of records; "Older" asks for the page before the last record shown. */
function AuditLog({ filter }: { filter: AuditFilter }) {
  const timeZone = useDaemonTimeZone();
  const [older, setOlder] = useState<AuditRecord[][]>([]);
  const [more, setMore] = useState<{ busy: boolean; problem: string | null }>({ busy: false, problem: null });
  // Once older pages are shown the view holds still: a newer first page would leave a gap.
  const first = useLoad(() => api.audit({ ...filter, limit: PAGE_SIZE }), [], { live: older.length === 0 });

  async function loadOlder(before: number) {
    setMore({ busy: true, problem: null });
    try {
      const page = await api.audit({ ...filter, limit: PAGE_SIZE, before });
      setOlder((pages) => [...pages, page]);
      setMore({ busy: false, problem: null });
    } catch (e) {
      setMore({ busy: false, problem: messageOf(e) });
    }
  }

  return (
    <Loadable loaded={first} what="the audit log">
      {(firstPage) => {
        const records = [firstPage, ...older].flat();
        const lastPage = older.at(-1) ?? firstPage;
        const last = records.at(-1);
        if (!last) return <p className="empty">No records match. Calls the assistant makes through Tollgate appear here.</p>;
        return (
          <>
            <AuditTable records={records} timeZone={timeZone} />
            <div className="actions">
              {lastPage.length === PAGE_SIZE
                ? <button type="button" onClick={() => loadOlder(last.id)} disabled={more.busy}>Older</button>
                : <p className="muted">That is the oldest record{Object.keys(filter).length > 0 ? ' matching these filters' : ''}.</p>}
              {older.length > 0 && <button type="button" onClick={() => setOlder([])}>Newest</button>}
            </div>
            {more.problem && <p role="alert" className="outcome tone-error">{more.problem}</p>}
          </>
        );
      }}
    </Loadable>
  );
}

function AuditTable({ records, timeZone }: { records: AuditRecord[]; timeZone: string | undefined }) {
  return (
    <div className="table-wrap">
      <table className="audit">
        <caption className="sr-only">Audit records, newest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Integration</th>
            <th scope="col">Request</th>
            <th scope="col">Outcome</th>
            <th scope="col">Status</th>
            <th scope="col">Latency</th>
            <th scope="col">Sent / received</th>
            <th scope="col">Cost</th>
            <th scope="col">Purpose</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.id}>
              <td className="num">{r.id}</td>
              <td>{dateTime(r.at, timeZone)}</td>
              <td>{r.integration}</td>
              <td><code>{r.method} {r.path}</code><br /><span className="muted">{r.host}</span></td>
              <td>
                <Badge tone={OUTCOME_TONE[r.outcome]}>{r.code ? `${r.outcome}: ${r.code}` : r.outcome}</Badge>
                {r.finding && <><br /><Badge tone="warning">{`credential sent: ${r.finding}`}</Badge></>}
              </td>
              <td className="num">{r.status ?? '—'}</td>
              <td className="num">{r.latencyMs} ms</td>
              <td className="num">{bytes(r.bytesOut)} / {bytes(r.bytesIn)}</td>
              <td className="num">{usd(r.costUsd)}</td>
              <td>{r.purpose}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Checks the audit log's HMAC chain: an edited or deleted record breaks it from there on. */
function VerifyChain() {
  const [state, setState] = useState<{ busy: boolean; result?: VerifyResult; problem?: string }>({ busy: false });
  async function verify() {
    setState({ busy: true });
    try {
      setState({ busy: false, result: await api.verifyAudit() });
    } catch (e) {
      setState({ busy: false, problem: messageOf(e) });
    }
  }
  const { result } = state;
  return (
    <div className="verify">
      <button type="button" onClick={verify} disabled={state.busy}>Verify chain</button>
      {state.busy && <span role="status">Verifying…</span>}
      {result?.ok === true && <p role="status" className="outcome tone-ok">Chain intact: {result.records} records verified.</p>}
      {result?.ok === false && (
        <p role="alert" className="outcome tone-error">
          Chain broken at record {result.firstBad}: it was edited or removed ({result.records} records before it verify).
        </p>
      )}
      {state.problem && <p role="alert" className="outcome tone-error">{state.problem}</p>}
    </div>
  );
}
