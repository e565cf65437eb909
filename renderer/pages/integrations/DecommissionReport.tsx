import type { DecommissionResult } from '../../../daemon/control-types.ts';

/** What decommissioning did, and the one step only the operator can take: revoking the key at the provider. */
export function DecommissionReport({ result, onClose }: { result: DecommissionResult; onClose(): void }) {
  const { archive } = result;
  return (
    <>
      <ul className="checklist">
        <li className="done">{result.keyRemoved ? 'Key deleted from the OS keychain.' : 'No key was in the keychain.'}</li>
        <li className="done">
          {archive.records} audit records archived to <code>{archive.file}</code>, SHA-256 <code>{archive.sha256}</code> (also in <code>{archive.checksumFile}</code>).
        </li>
        <li className="done">Integrations register updated.</li>
        <li className="todo"><strong>Still to do:</strong> {result.reminder}</li>
      </ul>
      <div className="actions">
        <button type="button" onClick={onClose}>Close</button>
      </div>
    </>
  );
}
