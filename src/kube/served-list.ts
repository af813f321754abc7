/**
 * LIST answers read without parsing every object. A backup writes each listed object as it is
 * and decides on it from its metadata only, so parsing whole objects (and serialising them again)
 * was most of its CPU time per object, on a machine it shares with the API server. Here a page
 * is walked as bytes (json-bytes.ts): each object's metadata is parsed, without its
 * managedFields, and the object itself stays the bytes the API server sent, so the backup also
 * keeps every number, escape and key order exactly as served.
 */
import { JsonElements, JsonMembers, JsonScanError, skipWhitespace } from '../util/json-bytes.ts';
import { parseJsonLossless } from '../util/json.ts';
import { isRecord, type KubeObject, type ObjectHead, type ObjectMeta } from './object.ts';

/**
 * One object of a LIST answer: its apiVersion, kind and metadata parsed, the rest kept as the
 * bytes served. `metadata` has no `managedFields` (nothing that reads a head needs them, and
 * they are often most of the metadata); `object()` parses the whole object. Not a KubeObject,
 * so that code needing the whole object must ask for it.
 */
export class ServedObject implements ObjectHead {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
    readonly metadata: ObjectMeta,
    /** The object's JSON as served, in pieces: apiVersion and kind are put first when the answer left them out. */
    readonly json: readonly Buffer[],
  ) {}

  /** The whole object, parsed (integers beyond 2^53 keep their digits). */
  object(): KubeObject {
    const text = this.json.length === 1 ? (this.json[0] ?? '').toString() : Buffer.concat(this.json).toString();
    return parseJsonLossless(text) as KubeObject;
  }

  /** `JSON.stringify` of a served object writes the object, never this wrapper. */
  toJSON(): KubeObject {
    return this.object();
  }
}

/** An object as a listing yields it: parsed whole, or as served. */
export type ListedObject = KubeObject | ServedObject;

/** The whole object, parsing a served one. */
export function wholeObject(o: ListedObject): KubeObject {
  return o instanceof ServedObject ? o.object() : o;
}

/** The object's compact JSON: the served bytes when there are some. */
export function objectJson(o: ListedObject): string | readonly Buffer[] {
  return o instanceof ServedObject ? o.json : JSON.stringify(o);
}

export interface ServedPage {
  items: ListedObject[];
  continue: string | undefined;
}

/** The type a LIST was made for: every item is given this apiVersion and kind, as listPages does. */
export interface ListedType {
  apiVersion: string;
  kind: string;
}

/**
 * Reads one page of a LIST answer. An item whose apiVersion or kind is present but differs from
 * the listed type's (which the API server does not send) is parsed whole and given the listed
 * ones, as `listPages` does. Throws JsonScanError for text it cannot walk; the caller then
 * parses the page.
 */
export function decodeServedPage(page: Buffer, type: ListedType): ServedPage {
  const reader = new PageReader(page, type);
  return reader.read();
}

class PageReader {
  private readonly list = new JsonMembers();
  private readonly item = new JsonMembers();
  private readonly meta = new JsonMembers();
  private readonly elements = new JsonElements();
  private readonly apiVersionJson: Buffer;
  private readonly kindJson: Buffer;
  /** `{"apiVersion":…,"kind":…,`: the start of an item the answer sent without them. */
  private readonly prefix: Buffer;
  /** Where the managedFields member of the metadata last walked lies (findManagedFields); -1 when it has none. */
  private cutFrom = -1;
  private cutTo = -1;

  constructor(
    private readonly page: Buffer,
    private readonly type: ListedType,
  ) {
    this.apiVersionJson = Buffer.from(JSON.stringify(type.apiVersion));
    this.kindJson = Buffer.from(JSON.stringify(type.kind));
    this.prefix = Buffer.from(`{"apiVersion":${JSON.stringify(type.apiVersion)},"kind":${JSON.stringify(type.kind)},`);
  }

  /**
   * Per served item, in page order: its index in `items`, where its JSON lies (and 1 when the
   * prefix goes in front), and its metadata as two byte ranges (the second after the cut
   * managedFields; empty when there was none). Its metadata is parsed with every other item's
   * of the page, in one JSON.parse: one per item cost more than the rest of the page's walk.
   */
  private readonly heads: number[] = [];
  /** The bytes of the metadata in `heads`. */
  private headBytes = 0;

  read(): ServedPage {
    const { page, list, elements } = this;
    const items: (ListedObject | undefined)[] = [];
    let cont: string | undefined;
    list.open(page, skipWhitespace(page, 0));
    while (list.next()) {
      if (list.keyIs('metadata')) {
        const meta: unknown = JSON.parse(page.toString('utf8', list.valueStart, list.skipValue()));
        if (isRecord(meta) && typeof meta.continue === 'string' && meta.continue !== '') cont = meta.continue;
      } else if (list.keyIs('items') && page[list.valueStart] !== 0x6e /* null */) {
        elements.open(page, list.valueStart);
        while (elements.next()) {
          const end = this.readItem(elements.start, items);
          elements.valueEnd = end;
        }
        list.valueEnd = elements.end;
      }
    }
    if (skipWhitespace(page, list.end) !== page.length) throw new JsonScanError('text after the LIST answer');
    this.addServedItems(items);
    return { items: items as ListedObject[], continue: cont };
  }

  /** Fills the places `readItem` kept for served items, their metadata parsed in one go. */
  private addServedItems(items: (ListedObject | undefined)[]): void {
    const { page, heads } = this;
    if (heads.length === 0) return;
    // `[`, each item's metadata followed by `,` or `]`
    const text = Buffer.allocUnsafe(1 + this.headBytes + heads.length / HEAD_FIELDS);
    let at = 0;
    text[at++] = 0x5b; // [
    for (let h = 0; h < heads.length; h += HEAD_FIELDS) {
      if ((heads[h + 4] ?? 0) < 0) {
        text[at++] = 0x7b; // {
        text[at++] = 0x7d; // }
      } else {
        at += page.copy(text, at, heads[h + 4], heads[h + 5]);
        at += page.copy(text, at, heads[h + 6], heads[h + 7]);
      }
      text[at++] = h + HEAD_FIELDS < heads.length ? 0x2c /* , */ : 0x5d; /* ] */
    }
    const metadata = parseJsonLossless(text.toString('utf8', 0, at)) as unknown[];
    for (let h = 0, m = 0; h < heads.length; h += HEAD_FIELDS, m++) {
      const meta = metadata[m];
      if (!isRecord(meta)) throw new JsonScanError('an item whose metadata is not an object');
      const start = heads[h + 1] ?? 0;
      const end = heads[h + 2] ?? 0;
      const json = heads[h + 3] ? [this.prefix, page.subarray(start, end)] : [page.subarray(start, end)];
      items[heads[h] ?? 0] = new ServedObject(this.type.apiVersion, this.type.kind, meta, json);
    }
    heads.length = 0;
    this.headBytes = 0;
  }

  /** Adds the item at `start` to `items` (a place for it, when it is served); returns the position after it. */
  private readItem(start: number, items: (ListedObject | undefined)[]): number {
    const { page, item } = this;
    let metaFrom = -1;
    let apiVersion: boolean | undefined; // absent, or whether it is the listed type's
    let kind: boolean | undefined;
    item.open(page, start);
    let members = 0;
    while (item.next()) {
      members++;
      if (item.keyIs('metadata')) {
        metaFrom = item.valueStart;
        this.findManagedFields(metaFrom);
        item.valueEnd = this.meta.end;
      } else if (item.keyIs('apiVersion')) apiVersion = this.valueIs(this.apiVersionJson);
      else if (item.keyIs('kind')) kind = this.valueIs(this.kindJson);
    }
    const end = item.end;
    const served = apiVersion === true && kind === true;
    const prefixed = apiVersion === undefined && kind === undefined && members > 0;
    if (served || prefixed) {
      const objectStart = prefixed ? skipWhitespace(page, start + 1) : start;
      this.heads.push(items.length, objectStart, end, prefixed ? 1 : 0);
      if (metaFrom < 0) {
        this.heads.push(-1, -1, 0, 0); // no metadata: an empty head, `{}`
        this.headBytes += 2;
      } else if (this.cutFrom < 0) {
        this.heads.push(metaFrom, this.meta.end, 0, 0);
        this.headBytes += this.meta.end - metaFrom;
      } else {
        this.heads.push(metaFrom, this.cutFrom, this.cutTo, this.meta.end);
        this.headBytes += this.cutFrom - metaFrom + this.meta.end - this.cutTo;
      }
      items.push(undefined);
    } else {
      const whole = parseJsonLossless(page.toString('utf8', start, end)) as KubeObject;
      whole.apiVersion = this.type.apiVersion;
      whole.kind = this.type.kind;
      items.push(whole);
    }
    return end;
  }

  private valueIs(expected: Buffer): boolean {
    const { page, item } = this;
    const end = item.skipValue();
    return (
      end - item.valueStart === expected.length &&
      page.compare(expected, 0, expected.length, item.valueStart, end) === 0
    );
  }

  /**
   * Walks the metadata at `start` to its end (`meta.end`) and finds its managedFields member:
   * the metadata without it is the bytes before `cutFrom` and from `cutTo` on (-1: none).
   */
  private findManagedFields(start: number): void {
    const { meta } = this;
    meta.open(this.page, start);
    let previousEnd = -1; // after the value of the member before managedFields
    let cutFrom = -1;
    let cutTo = -1;
    let cutFirst = false;
    while (meta.next()) {
      if (cutFirst) {
        // managedFields came first: the cut runs to this member's key.
        cutTo = meta.keyStart;
        cutFirst = false;
      }
      if (meta.keyIs('managedFields')) {
        cutFrom = previousEnd >= 0 ? previousEnd : meta.keyStart;
        cutTo = meta.skipValue();
        cutFirst = previousEnd < 0;
      }
      previousEnd = meta.skipValue();
    }
    if (cutFirst) {
      // managedFields was the only member: `{` and `}` are left.
      cutFrom = start + 1;
      cutTo = meta.end - 1;
    }
    this.cutFrom = cutFrom;
    this.cutTo = cutTo;
  }
}

/** Numbers per served item in `PageReader.heads`. */
const HEAD_FIELDS = 8;
