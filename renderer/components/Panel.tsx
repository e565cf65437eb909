import { useEffect, useId, useRef, type ReactNode } from 'react';

/** A titled area for one task (a form, a result); its heading takes focus so the task is announced. */
export function Panel({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [title]);
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id} ref={heading} tabIndex={-1}>{title}</h2>
      {children}
    </section>
  );
}
