/**
 * A wall-clock timeline of a measured run's requests, for bench:backup's `--timeline`: when
 * each request to the API server (undici) and to object storage (node:http) was sent, when its
 * answer's headers came and when its body ended, in ms from the timed part's start. Read from
 * the diagnostics channels both clients publish, so nothing in the product is changed for it.
 */
import { subscribe } from 'node:diagnostics_channel';

export interface TimelineEvent {
  /** ms since `start` */
  at: number;
  what: 'sent' | 'headers' | 'done';
  request: string;
}

export interface Timeline {
  start(): void;
  mark(label: string): void;
  events(): TimelineEvent[];
  marks(): { at: number; label: string }[];
}

export function requestTimeline(): Timeline {
  let t0 = performance.now();
  const events: TimelineEvent[] = [];
  const marks: { at: number; label: string }[] = [];
  const names = new WeakMap<object, string>();
  const at = (): number => performance.now() - t0;
  const short = (path: string): string => path.replace(/\?.*continue=[^&]+/, '?…continue').slice(0, 90);
  subscribe('undici:request:create', (m) => {
    const { request } = m as { request: { method: string; path: string } };
    const name = `${request.method} ${short(request.path)}`;
    names.set(request, name);
    events.push({ at: at(), what: 'sent', request: name });
  });
  subscribe('undici:request:headers', (m) => {
    const { request } = m as { request: object };
    events.push({ at: at(), what: 'headers', request: names.get(request) ?? '?' });
  });
  subscribe('undici:request:trailers', (m) => {
    const { request } = m as { request: object };
    events.push({ at: at(), what: 'done', request: names.get(request) ?? '?' });
  });
  subscribe('http.client.request.start', (m) => {
    const { request } = m as { request: { method: string; path: string } };
    const name = `S3 ${request.method} ${short(request.path)}`;
    names.set(request, name);
    events.push({ at: at(), what: 'sent', request: name });
  });
  subscribe('http.client.response.finish', (m) => {
    const { request } = m as { request: object };
    events.push({ at: at(), what: 'done', request: names.get(request) ?? '?' });
  });
  return {
    start: () => {
      t0 = performance.now();
      events.length = 0;
      marks.length = 0;
    },
    mark: (label) => marks.push({ at: at(), label }),
    events: () => events,
    marks: () => marks,
  };
}

/** The timeline as lines, requests and marks merged in time order. */
export function formatTimeline(t: { events: TimelineEvent[]; marks: { at: number; label: string }[] }): string[] {
  const rows = [
    ...t.events.map((e) => ({ at: e.at, text: `${e.what.padEnd(7)} ${e.request}` })),
    ...t.marks.map((m) => ({ at: m.at, text: `-- ${m.label}` })),
  ].sort((a, b) => a.at - b.at);
  return rows.map((r) => `${r.at.toFixed(1).padStart(8)} ms  ${r.text}`);
}
