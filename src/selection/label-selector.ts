import {
  EVERYTHING,
  LabelSelectorError,
  makeRequirement,
  sortRequirements,
  type LabelSelector,
  type LabelSelectorObject,
  type Requirement,
  type SelectorOperator,
} from './label-requirement.ts';

export * from './label-requirement.ts';

/**
 * Parses the string form, as `kubectl -l` and `velero backup create -l` accept it.
 * The grammar is apimachinery's: comma-separated requirements, each one of
 * `key`, `!key`, `key=value`, `key==value`, `key!=value`, `key in (v1,v2)`,
 * `key notin (v1,v2)`, `key>n`, `key<n`. An empty value (`a=`) is allowed.
 * Throws LabelSelectorError with the input quoted.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = tokenize(text);
  const p = new Parser(text, tokens);
  return sortRequirements(p.parse());
}

type TokenKind = 'id' | 'op' | '(' | ')' | ',' | 'in' | 'notin' | 'eos';
interface Token {
  kind: TokenKind;
  text: string;
}

const SPECIAL = new Set(['!', '=', '(', ')', ',', '>', '<']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/u.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c });
      i++;
    } else if (SPECIAL.has(c)) {
      const two = text.slice(i, i + 2);
      const op = two === '!=' || two === '==' ? two : c;
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else {
      let j = i;
      while (j < text.length && !SPECIAL.has(text.charAt(j)) && !/\s/u.test(text.charAt(j))) j++;
      const word = text.slice(i, j);
      tokens.push({ kind: word === 'in' || word === 'notin' ? word : 'id', text: word });
      i = j;
    }
  }
  tokens.push({ kind: 'eos', text: '' });
  return tokens;
}

const BINARY_OPERATORS: Readonly<Record<string, SelectorOperator | undefined>> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  '>': 'gt',
  '<': 'lt',
};

class Parser {
  private pos = 0;
  constructor(
    private readonly input: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Requirement[] {
    const out: Requirement[] = [];
    if (this.peek().kind === 'eos') return out;
    for (;;) {
      out.push(this.requirement());
      const next = this.next();
      if (next.kind === 'eos') return out;
      if (next.kind !== ',') this.fail(`found '${next.text}', expected: ','`);
      if (this.peek().kind === 'eos') this.fail("found '', expected: identifier after ','");
    }
  }

  private requirement(): Requirement {
    let t = this.next();
    if (t.kind === 'op' && t.text === '!') {
      t = this.next();
      if (t.kind !== 'id') this.fail(`found '${t.text}', expected: identifier after '!'`);
      return this.build(t.text, '!', []);
    }
    if (t.kind !== 'id') this.fail(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const after = this.peek();
    if (after.kind === ',' || after.kind === 'eos') return this.build(key, 'exists', []);
    this.pos++;
    if (after.kind === 'in' || after.kind === 'notin') return this.build(key, after.kind, this.valueList());
    const op = after.kind === 'op' ? BINARY_OPERATORS[after.text] : undefined;
    if (!op) return this.fail(`found '${after.text}', expected: in, notin, =, ==, !=, gt, lt`);
    return this.build(key, op, [this.singleValue()]);
  }

  private singleValue(): string {
    const t = this.peek();
    if (t.kind === ',' || t.kind === 'eos') return '';
    this.pos++;
    if (t.kind === 'id' || t.kind === 'in' || t.kind === 'notin') return t.text;
    return this.fail(`found '${t.text}', expected: identifier`);
  }

  private valueList(): string[] {
    const open = this.next();
    if (open.kind !== '(') this.fail(`found '${open.text}', expected: '('`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = this.next();
      if (t.kind === ')') {
        if (expectValue && values.length > 0) values.push('');
        return values;
      }
      if (t.kind === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (expectValue && (t.kind === 'id' || t.kind === 'in' || t.kind === 'notin')) {
        values.push(t.text);
        expectValue = false;
      } else {
        this.fail(`found '${t.text}', expected: ',' or ')'`);
      }
    }
  }

  private build(key: string, op: SelectorOperator, values: string[]): Requirement {
    const r = makeRequirement(key, op, values);
    return typeof r === 'string' ? this.fail(r) : r;
  }

  private peek(): Token {
    return this.tokens[this.pos] ?? { kind: 'eos', text: '' };
  }

  private next(): Token {
    const t = this.peek();
    this.pos++;
    return t;
  }

  private fail(detail: string): never {
    throw new LabelSelectorError(this.input, detail);
  }
}

/** Converts the object form; `null`/`undefined` or `{}` selects everything. Throws LabelSelectorError. */
export function labelSelectorFromObject(obj: LabelSelectorObject | null | undefined): LabelSelector {
  if (!obj) return EVERYTHING;
  const requirements: Requirement[] = [];
  const fail = (detail: string): never => {
    throw new LabelSelectorError(JSON.stringify(obj), detail);
  };
  for (const [key, value] of Object.entries(obj.matchLabels ?? {})) {
    const r = makeRequirement(key, '=', [value]);
    requirements.push(typeof r === 'string' ? fail(r) : r);
  }
  for (const expr of obj.matchExpressions ?? []) {
    const op = OBJECT_OPERATORS[expr.operator];
    if (!op) return fail(`"${expr.operator}" is not a valid label selector operator`);
    const r = makeRequirement(expr.key, op, expr.values ?? []);
    requirements.push(typeof r === 'string' ? fail(r) : r);
  }
  return sortRequirements(requirements);
}

const OBJECT_OPERATORS: Readonly<Record<string, SelectorOperator | undefined>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};
