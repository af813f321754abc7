import type { BackupStore } from '../../src/storage/index.ts';
import { readAll } from '../../src/storage/object-store.ts';

/** The lines of a restore's log, as `skiff restore logs` shows them. */
export async function restoreLogLines(store: BackupStore, restoreName: string): Promise<string[]> {
  return (await readAll(await store.getRestoreLog(restoreName))).toString('utf8').split('\n');
}

/**
 * The objects a restore wrote, in the order it wrote them, from its log: `restored Deployment
 * shop/web`, `created namespace shop`, ... (tiers run one after the other, so an object of a
 * later tier is always after every object of an earlier one).
 */
export function writtenOrder(lines: readonly string[]): string[] {
  return lines.flatMap((l) => {
    const msg = /msg="((?:restored|created namespace) [^"]*)"/.exec(l)?.[1];
    return msg === undefined ? [] : [msg];
  });
}

/** The log line saying that `item` (`ValidatingWebhookConfiguration policy`) waited for its backends and they were ready. */
export function backendReadyLine(lines: readonly string[], item: string): number {
  return lines.findIndex(
    (l) => /msg="backend .* has a ready endpoint; restoring /.test(l) && l.includes(`restoring ${item}"`),
  );
}
