import type { ReactNode } from 'react';

/** An editable list: each row rendered by the caller, with Remove per row and one Add button. */
export function ListEditor<T>({ legend, items, blank, addLabel, itemName, onChange, children }: {
  legend: string;
  items: T[];
  blank: T;
  addLabel: string;
  /** Names a row for its Remove button and its fields' labels, e.g. "route 2". */
  itemName(index: number): string;
  onChange(items: T[]): void;
  children(item: T, set: (next: T) => void, name: string): ReactNode;
}) {
  return (
    <fieldset className="list-editor">
      <legend>{legend}</legend>
      {items.length > 0 && (
        <ol>
          {items.map((item, i) => (
            <li key={i}>
              {children(item, (next) => onChange(items.map((x, j) => (j === i ? next : x))), itemName(i))}
              <button type="button" aria-label={`Remove ${itemName(i)}`} onClick={() => onChange(items.filter((_, j) => j !== i))}>Remove</button>
            </li>
          ))}
        </ol>
      )}
      <button type="button" onClick={() => onChange([...items, blank])}>{addLabel}</button>
    </fieldset>
  );
}
