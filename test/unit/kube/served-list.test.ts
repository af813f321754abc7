import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeServedPage,
  objectJson,
  ServedObject,
  wholeObject,
  type ListedObject,
} from '../../../src/kube/served-list.ts';
import { JsonScanError } from '../../../src/util/json-bytes.ts';

const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' };
const BAND = { apiVersion: 'music.example.io/v1', kind: 'RockBand' };

function page(items: string[], listMeta = '{"resourceVersion":"7"}'): Buffer {
  return Buffer.from(`{"kind":"List","apiVersion":"v1","metadata":${listMeta},"items":[${items.join(',')}]}`);
}

function served(o: ListedObject | undefined): ServedObject {
  assert.ok(o instanceof ServedObject, 'the item is kept as served');
  return o;
}

const jsonText = (o: ListedObject | undefined): string => {
  assert.ok(o);
  const json = objectJson(o);
  return typeof json === 'string' ? json : Buffer.concat(json).toString();
};

const managed = '"managedFields":[{"manager":"kubectl","fieldsV1":{"f:data":{".":{},"f:a":{}}}}]';

describe('decodeServedPage', () => {
  test("a built-in item's JSON is the bytes served, after the listed apiVersion and kind", () => {
    const item = `{"metadata":{"name":"a","namespace":"ns","labels":{"app":"x"},${managed}},"data":{"a":"1.0 \\u003c{\\"}\\\\","2":"b","1":"c"}}`;
    const { items } = decodeServedPage(page([item]), CONFIGMAP);
    assert.equal(items.length, 1);
    const text = jsonText(items[0]);
    assert.equal(text, `{"apiVersion":"v1","kind":"ConfigMap",${item.slice(1)}`);
    // Keys that look like integers keep their order, escapes stay as the server wrote them.
    assert.ok(text.endsWith('"data":{"a":"1.0 \\u003c{\\"}\\\\","2":"b","1":"c"}}'));
  });

  test('the head has the metadata without managedFields; object() parses the whole object', () => {
    const item = `{"metadata":{"name":"a","namespace":"ns","labels":{"app":"x"},"annotations":{"n":"1"},${managed}},"data":{"a":"b"}}`;
    const o = served(decodeServedPage(page([item]), CONFIGMAP).items[0]);
    assert.deepEqual(o.metadata, { name: 'a', namespace: 'ns', labels: { app: 'x' }, annotations: { n: '1' } });
    assert.equal(o.apiVersion, 'v1');
    assert.equal(o.kind, 'ConfigMap');
    const whole = wholeObject(o);
    assert.deepEqual(whole.data, { a: 'b' });
    assert.equal((whole.metadata.managedFields ?? []).length, 1);
    assert.equal(JSON.stringify(o), JSON.stringify(whole), 'JSON.stringify writes the object, not the wrapper');
  });

  test('managedFields is left out wherever it is among the metadata', () => {
    const cases = [
      `{${managed},"name":"first","namespace":"ns"}`,
      `{"name":"middle",${managed},"namespace":"ns"}`,
      `{"name":"last","namespace":"ns",${managed}}`,
      `{ "name" : "spaced" , ${managed} , "namespace" : "ns" }`,
    ];
    for (const meta of cases) {
      const o = served(decodeServedPage(page([`{"metadata":${meta}}`]), CONFIGMAP).items[0]);
      assert.equal(o.metadata.namespace, 'ns', meta);
      assert.equal(o.metadata.managedFields, undefined, meta);
    }
    const only = served(decodeServedPage(page([`{"metadata":{${managed}}}`]), CONFIGMAP).items[0]);
    assert.deepEqual(only.metadata, {});
  });

  test('a custom resource carrying its apiVersion and kind is kept byte for byte, big integers included', () => {
    const item = `{"apiVersion":"music.example.io/v1","kind":"RockBand","metadata":{"name":"b","namespace":"ns"},"spec":{"fans":9007199254740993,"ratio":1.0,"e":1e3}}`;
    const o = served(decodeServedPage(page([item]), BAND).items[0]);
    assert.equal(jsonText(o), item);
    assert.equal(JSON.stringify(wholeObject(o).spec), '{"fans":9007199254740993,"ratio":1,"e":1000}');
  });

  test('an item naming another apiVersion or kind is parsed whole and given the listed ones', () => {
    const other = `{"apiVersion":"music.example.io/v2","kind":"RockBand","metadata":{"name":"c"},"spec":{"n":9007199254740993}}`;
    const half = `{"kind":"RockBand","metadata":{"name":"d"}}`;
    const { items } = decodeServedPage(page([other, half]), BAND);
    for (const o of items) {
      assert.ok(!(o instanceof ServedObject));
      assert.equal(o.apiVersion, 'music.example.io/v1');
      assert.equal(o.kind, 'RockBand');
    }
    assert.equal(jsonText(items[0]), other.replace('/v2', '/v1'));
  });

  test("the list's continue token, pretty-printed answers and escaped keys are read", () => {
    const text = `{\n  "kind": "List",\n  "metadata": {\n    "continue": "abc"\n  },\n  "items": [\n    {\n      "\\u006detadata": {\n        "name": "e"\n      }\n    }\n  ]\n}\n`;
    const { items, continue: cont } = decodeServedPage(Buffer.from(text), CONFIGMAP);
    assert.equal(cont, 'abc');
    assert.equal(served(items[0]).metadata.name, 'e');
    assert.deepEqual(JSON.parse(jsonText(items[0])), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'e' } });
    assert.equal(decodeServedPage(page([]), CONFIGMAP).continue, undefined);
    assert.deepEqual(decodeServedPage(Buffer.from('{"metadata":{},"items":null}'), CONFIGMAP).items, []);
  });

  test('text it cannot walk is a JsonScanError (the listing then parses the page)', () => {
    const whole = page(['{"metadata":{"name":"a"}}']);
    for (const broken of [
      whole.subarray(0, whole.length - 3),
      Buffer.from('[1,2]'),
      Buffer.from(`${whole.toString()} x`),
    ])
      assert.throws(() => decodeServedPage(broken, CONFIGMAP), JsonScanError);
  });
});
