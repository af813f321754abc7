/** The flags `backup describe` and `restore describe` share, checked against each other. */
import { downloadTls, type DownloadTlsFlags } from './download-flags.ts';
import { DEFAULT_DOWNLOAD_TIMEOUT_MS, type DownloadTls } from './download-request.ts';
import { throwIfProblems } from './errors.ts';
import { parseTimeoutFlag, ProblemCollector } from './flags.ts';
import { parseOutputFormat } from './output.ts';

export interface DescribeFlags extends DownloadTlsFlags {
  details?: boolean | undefined;
  timeout?: string | undefined;
  output?: string | undefined;
}

export interface DescribeOptions {
  output?: 'json' | 'yaml';
  /** Set with `--details`: how long to wait for the server to serve each file. */
  details?: { timeoutMs: number; tls: DownloadTls };
}

/**
 * `-o json|yaml` prints the objects as stored, so `--details` and `--timeout` would do nothing
 * with it; `--timeout` bounds only the downloads `--details` makes. Both cases are refused
 * rather than ignored. (Velero's `-o json` is a structured description that includes the
 * details; Skiff prints the objects instead.)
 */
export function describeOptions(flags: DescribeFlags): DescribeOptions {
  const p = new ProblemCollector();
  const output = p.attempt(() => parseOutputFormat(flags.output, ['json', 'yaml']));
  const timeoutMs = p.attempt(() => parseTimeoutFlag(flags.timeout));
  const { tls, problems } = downloadTls(flags);
  for (const problem of problems) p.add(problem);
  const downloadFlags = [
    ...(flags.timeout !== undefined ? ['--timeout'] : []),
    ...(flags.cacert !== undefined ? ['--cacert'] : []),
    ...(flags.insecureSkipTlsVerify ? ['--insecure-skip-tls-verify'] : []),
  ];
  if (flags.output) {
    const withOutput = (flag: string): string =>
      `${flag} does nothing with -o ${flags.output ?? ''}, which prints the objects as stored: drop one of them`;
    if (flags.details) p.add(withOutput('--details'));
    for (const flag of downloadFlags) p.add(withOutput(flag));
  } else if (!flags.details) {
    for (const flag of downloadFlags) {
      p.add(`${flag} applies only with --details (it is about the files --details fetches): add --details`);
    }
  }
  throwIfProblems(p.problems);
  return {
    ...(output ? { output } : {}),
    ...(flags.details ? { details: { timeoutMs: timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS, tls } } : {}),
  };
}
