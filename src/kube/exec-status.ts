/** The fields of a `metav1.Status` an exec stream ends with, as sent on the wire. */
export interface ExecStatus {
  kind?: string;
  apiVersion?: string;
  metadata?: object;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** How a command run through `pods/exec` ended, read from the Status the API server sends last. */
export type ExecEnd = { ok: true } | { ok: false; message: string; exitCode?: number };

/**
 * Reads the final Status of an exec stream. `Success` is a zero exit. A `Failure` names the
 * exit code in `details.causes[]` (reason `ExitCode`) when the kubelet reported one
 * (reason `NonZeroExitCode`); kwok sends an `InternalError` with no code, only a message
 * (testenv §4.5): that is a failure all the same, with its message.
 */
export function execEnd(status: ExecStatus | undefined): ExecEnd {
  if (!status) return { ok: false, message: 'the API server closed the exec stream without a status' };
  if (status.status === 'Success') return { ok: true };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message !== undefined && /^\d+$/.test(cause.message.trim()) ? Number(cause.message) : undefined;
  const message = status.message?.trim() || status.reason || `exec ended with status ${status.status ?? 'unknown'}`;
  return code === undefined ? { ok: false, message } : { ok: false, message, exitCode: code };
}

/** One line describing a failed exec, e.g. `exit code 3: command terminated with non-zero exit code`. */
export function describeExecFailure(end: Extract<ExecEnd, { ok: false }>): string {
  return end.exitCode === undefined ? end.message : `exit code ${end.exitCode}: ${end.message}`;
}
