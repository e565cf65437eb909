// `tollgate settings`: show them, or change one. A change that widens (a higher or no global
// cap, larger request or response sizes) needs a terminal; others may run with --yes.
import type { Command } from 'commander';
import { describeChange } from '../client/changes.ts';
import type { Settings } from '../control-types.ts';
import { control } from './client.ts';
import { jsonOption, printJson, table } from './format.ts';
import { confirmChange, yesOption } from './prompt.ts';

export function settingsCommands(program: Command): void {
  const settings = program.command('settings').description("show or change Tollgate's settings (time zone, reset day, global cap, active hours, limits)");

  settings
    .command('show', { isDefault: true })
    .description('show the settings')
    .option(...jsonOption)
    .action(async (opts: { json?: boolean }) => {
      const s = await control().settings();
      if (opts.json) printJson(s);
      else console.log(table(['SETTING', 'VALUE'], Object.entries(s).map(([k, v]) => [k, JSON.stringify(v)])));
    });

  settings
    .command('set')
    .description('change one setting, e.g. "settings set globalCapUsd 50" or "settings set activeHours \'{"start":"08:00","end":"19:00","days":[1,2,3,4,5]}\'"')
    .argument('<key>', 'the setting, as "tollgate settings" lists it')
    .argument('<json-value>', 'its new value, as JSON (null for none)')
    .option(...yesOption)
    .action(async (key: string, raw: string, opts: { yes?: boolean }) => {
      const before = await control().settings();
      if (!(key in before)) throw new Error(`no setting named ${key}; there are ${Object.keys(before).join(', ')}`);
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new Error(`${raw} is not JSON (a string needs quotes: '"Europe/Berlin"')`);
      }
      const change = { [key]: value } as Partial<Settings>;
      await confirmChange(describeChange({ kind: 'settings', before, change }), opts.yes);
      const after = await control().updateSettings(change);
      console.log(`${key}: ${JSON.stringify(after[key as keyof Settings])}`);
    });
}
