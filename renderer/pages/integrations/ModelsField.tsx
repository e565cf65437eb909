import type { TokensPricingSpec } from '../../../daemon/integrations/schema.ts';
import { describeTokenPrices } from '../../../daemon/client/prices-text.ts';

/**
 * A model provider's models, each kept or not: the window narrows the list. Adding a model, priced
 * from the dataset, is `tollgate models <name> --add <model>` at a terminal.
 */
export function ModelsField({ name, tokens, kept, onChange }: {
  name: string;
  tokens: TokensPricingSpec;
  kept: readonly string[];
  onChange(kept: string[]): void;
}) {
  const lines = describeTokenPrices(tokens);
  const ids = Object.keys(tokens.models);
  return (
    <fieldset>
      <legend>Models</legend>
      {ids.map((id, i) => (
        <label key={id} className="check">
          <input
            type="checkbox"
            checked={kept.includes(id)}
            onChange={(e) => onChange(e.target.checked ? ids.filter((m) => m === id || kept.includes(m)) : kept.filter((m) => m !== id))}
          />
          {lines[i + 1]}
        </label>
      ))}
      <p className="hint">{lines.at(-1)}. To allow another model: <code>tollgate models {name} --add &lt;model&gt;</code></p>
    </fieldset>
  );
}
