/**
 * Trace forward from the command line:
 *   forward --number N [--holder PROVIDER] [--calling N --called N --at ISO8601] [--campaign NAME]
 *   number-blocks add PREFIX PROVIDER | list | remove PREFIX
 */
import { flags, UsageError } from '../../config/cli.js';
import { clientFlags, type Out, withClient } from './client.js';
import { formatCase } from './trace.js';

export async function forwardCommand(args: string[], out: Out): Promise<number> {
  const { values: v } = flags(args, {
    ...clientFlags,
    number: { type: 'string' },
    holder: { type: 'string' },
    calling: { type: 'string' },
    called: { type: 'string' },
    at: { type: 'string' },
    campaign: { type: 'string' },
  });
  if (!v.number) throw new UsageError('forward needs --number (the call-back number)');
  const call = v.calling || v.called || v.at ? { call: { calling: v.calling, called: v.called, at: v.at } } : {};
  const started = await withClient(v, (c) =>
    c.notify().startForward({ number: v.number, ...(v.holder && { holder: v.holder }), ...call, ...(v.campaign && { campaign: v.campaign }) }),
  );
  out(formatCase(started));
  return 0;
}

export async function numberBlocksCommand(args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = flags(rest, clientFlags);
  return withClient(values, async (c) => {
    const api = c.notify();
    switch (sub) {
      case 'add': {
        const [prefix, provider] = positionals;
        if (!prefix || !provider) throw new UsageError('number-blocks add needs PREFIX PROVIDER');
        const b = await api.addNumberBlock({ prefix, provider });
        out(`${b.prefix}\t${b.provider}\n`);
        return 0;
      }
      case 'list':
        for (const b of await api.numberBlocks()) out(`${b.prefix}\t${b.provider}\n`);
        return 0;
      case 'remove':
        if (!positionals[0]) throw new UsageError('number-blocks remove needs a PREFIX');
        await api.removeNumberBlock(positionals[0]);
        out(`removed ${positionals[0]}\n`);
        return 0;
      default:
        throw new UsageError('number-blocks: expected add, list or remove');
    }
  });
}
