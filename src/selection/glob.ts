/**
 * Glob patterns as Velero matches them in include/exclude lists (namespaces and
 * resource names). Velero compiles each entry with gobwas/glob and no separators, so
 * `*` also crosses dots: `*.apps` matches `deployments.apps` (reference §3.2).
 * Supported syntax: `*`, `?`, `[abc]`, `[a-z]`, `[!abc]`, `{a,b}` and `\` escapes.
 * Namespace patterns are further restricted at validation time (see
 * `validateNamespacePattern`), but matching itself is the same for both.
 */

const cache = new Map<string, RegExp | null>();

/**
 * Compiles a pattern to an anchored RegExp, or `null` when the pattern is malformed.
 * With a `separator` (gobwas's separators; resource modifiers compile `groupResource` with
 * `.`, reference §4.8), `*` and `?` stop at it and only `**` crosses it.
 */
export function compileGlob(pattern: string, separator?: string): RegExp | null {
  const key = separator === undefined ? pattern : `${separator}\0${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const source = translate(pattern, separator);
  const re = source === null ? null : new RegExp(`^${source}$`, 'su');
  if (cache.size > 1000) cache.clear();
  cache.set(key, re);
  return re;
}

/**
 * Whether `value` matches `pattern`. A malformed pattern matches nothing, as a
 * failed gobwas compile makes Velero's set match return false.
 */
export function globMatch(pattern: string, value: string): boolean {
  return compileGlob(pattern)?.test(value) ?? false;
}

/** Whether any pattern of the list matches `value`. */
export function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => globMatch(p, value));
}

/** Velero treats a namespace entry as a pattern when it holds `*`, `?` or `[` (1.18 wildcard expansion). */
export function hasGlobChars(pattern: string): boolean {
  return /[*?[]/u.test(pattern);
}

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/u;
const RFC1123_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/**
 * Validates one includedNamespaces/excludedNamespaces entry (reference §3.1 step 6):
 * unsupported glob syntax is rejected, then the entry must be a valid namespace name
 * once its glob characters are replaced by a letter. The empty string is allowed
 * (Velero reads it as "no namespace", i.e. cluster-scoped only).
 */
export function validateNamespacePattern(pattern: string): string | null {
  if (pattern === '') return null;
  if (/[|()!{},]/u.test(pattern)) {
    return 'wildcard pattern contains unsupported characters: |, (, ), !, {, }, ,';
  }
  if (pattern.includes('**')) return 'wildcard pattern contains consecutive asterisks (only single * allowed)';
  const bracketProblem = bracketError(pattern);
  if (bracketProblem) return bracketProblem;
  const name = pattern.replace(/[*?[\]]/gu, 'x');
  if (name.length > 63) return `invalid namespace "${pattern}": must be no more than 63 characters`;
  if (!RFC1123_LABEL.test(name)) return `invalid namespace "${pattern}": ${RFC1123_MESSAGE}`;
  return null;
}

function bracketError(pattern: string): string | null {
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '[' && open < 0) open = i;
    else if (c === ']') {
      if (open < 0) return "wildcard pattern contains unmatched closing bracket ']'";
      if (i === open + 1) return "wildcard pattern contains empty bracket pattern '[]'";
      open = -1;
    }
  }
  return open >= 0 ? "wildcard pattern contains unclosed bracket '['" : null;
}

/**
 * Expands namespace patterns against the namespaces that exist (the cluster's active
 * namespaces for a backup, the backup's namespaces for a restore). Plain names pass
 * through as given; patterns that match nothing are reported so the planner can warn
 * (reference §3.2: "If the expansion matches nothing ... a warning is logged").
 */
export function expandNamespacePatterns(
  patterns: readonly string[],
  namespaces: readonly string[],
): { namespaces: string[]; unmatchedPatterns: string[] } {
  const out = new Set<string>();
  const unmatchedPatterns: string[] = [];
  for (const pattern of patterns) {
    if (!hasGlobChars(pattern)) {
      out.add(pattern);
      continue;
    }
    const hits = namespaces.filter((ns) => globMatch(pattern, ns));
    if (hits.length === 0) unmatchedPatterns.push(pattern);
    for (const ns of hits) out.add(ns);
  }
  return { namespaces: [...out].sort(), unmatchedPatterns };
}

function escapeRegExp(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/gu, '\\$&');
}

/** Translates gobwas-style syntax into a RegExp source, or `null` if malformed. */
function translate(pattern: string, separator?: string): string | null {
  const notSeparator = separator === undefined ? '.' : `[^${escapeRegExp(separator)}]`;
  let out = '';
  let braceDepth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\') {
      i++;
      if (i >= pattern.length) return null;
      out += escapeRegExp(pattern.charAt(i));
    } else if (c === '*') {
      if (separator !== undefined && pattern.charAt(i + 1) === '*') {
        i++;
        out += '.*';
      } else {
        out += `${notSeparator}*`;
      }
    } else if (c === '?') {
      out += notSeparator;
    } else if (c === '[') {
      const cls = translateClass(pattern, i);
      if (!cls) return null;
      out += cls.source;
      i = cls.end;
    } else if (c === '{') {
      braceDepth++;
      out += '(?:';
    } else if (c === '}' && braceDepth > 0) {
      braceDepth--;
      out += ')';
    } else if (c === ',' && braceDepth > 0) {
      out += '|';
    } else {
      out += escapeRegExp(c);
    }
  }
  return braceDepth === 0 ? out : null;
}

function translateClass(pattern: string, start: number): { source: string; end: number } | null {
  const close = pattern.indexOf(']', start + 1);
  if (close < 0) return null;
  let body = pattern.slice(start + 1, close);
  let negate = false;
  if (body.startsWith('!')) {
    negate = true;
    body = body.slice(1);
  }
  if (body === '') return null;
  // Inside a class only `\`, `]`, `^` and `[` need escaping; `-` keeps its range meaning.
  const escaped = body.replace(/[\\\]^[]/gu, '\\$&');
  return { source: `[${negate ? '^' : ''}${escaped}]`, end: close };
}
