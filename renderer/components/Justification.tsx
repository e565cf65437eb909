/** The assistant's own words for why it asks: shown wherever the operator decides on a proposal. */
export function Justification({ text }: { text: string }) {
  return (
    <blockquote className="justification">
      <p><span className="muted">The assistant's reason:</span> {text}</p>
    </blockquote>
  );
}
