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

  constructor(
    private readonly page: Buffer,
    private readonly type: ListedType,
  ) {
    this.apiVersionJson = Buffer.from(JSON.stringify(type.apiVersion));
    this.kindJson = Buffer.from(JSON.stringify(type.kind));
    this.prefix = Buffer.from(`{"apiVersion":${JSON.stringify(type.apiVersion)},"kind":${JSON.stringify(type.kind)},`);
  }

  read(): ServedPage {
    const { page, list, elements } = this;
    const items: ListedObject[] = [];
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
    return { items, continue: cont };
  }

  /** Adds the item at `start` to `items`; returns the position after it. */
  private readItem(start: number, items: ListedObject[]): number {
    const { page, item } = this;
    let metadata: ObjectMeta = {};
    let apiVersion: boolean | undefined; // absent, or whether it is the listed type's
    let kind: boolean | undefined;
    item.open(page, start);
    let members = 0;
    while (item.next()) {
      members++;
      if (item.keyIs('metadata')) {
        metadata = this.readMetadata(item.valueStart);
        item.valueEnd = this.meta.end;
      } else if (item.keyIs('apiVersion')) apiVersion = this.valueIs(this.apiVersionJson);
      else if (item.keyIs('kind')) kind = this.valueIs(this.kindJson);
    }
    const end = item.end;
    if (apiVersion === true && kind === true) {
      items.push(new ServedObject(this.type.apiVersion, this.type.kind, metadata, [page.subarray(start, end)]));
    } else if (apiVersion === undefined && kind === undefined && members > 0) {
      const rest = page.subarray(skipWhitespace(page, start + 1), end);
      items.push(new ServedObject(this.type.apiVersion, this.type.kind, metadata, [this.prefix, rest]));
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

  /** The metadata at `start`, parsed without its managedFields. */
  private readMetadata(start: number): ObjectMeta {
    const { page, meta } = this;
    meta.open(page, start);
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
        if (previousEnd >= 0) {
          cutFrom = previousEnd;
          cutTo = meta.skipValue();
        } else {
          cutFrom = meta.keyStart;
          cutTo = meta.skipValue();
          cutFirst = true;
        }
      }
      previousEnd = meta.skipValue();
    }
    const end = meta.end;
    let text: string;
    if (cutFrom < 0) text = page.toString('utf8', start, end);
    else if (cutFirst)
      text = '{}'; // managedFields was the only member
    else text = page.toString('utf8', start, cutFrom) + page.toString('utf8', cutTo, end);
    const parsed: unknown = parseJsonLossless(text);
    if (!isRecord(parsed)) throw new JsonScanError('an item whose metadata is not an object');
    return parsed;
  }
}
