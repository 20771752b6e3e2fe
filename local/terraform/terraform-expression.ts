/**
 * Evaluates the Terraform expressions cdktf writes into `cdk.tf.json` string values: templates
 * with `${...}` interpolations (`$${` and `%%{` are escapes for literal `${` and `%{`), references
 * (`aws_iot_policy.claim.name`, `data.aws_region.r.region`, `var.x`, `local.y`), literals, lists,
 * objects (`{ key = value }`, as `jsonencode({...})` is written) and a few functions (`file`,
 * `jsonencode`, ...). Syntax outside this subset (operators, conditionals, `for`, `%{` directives)
 * is an error naming the string and offset — never silently passed through.
 *
 * @see https://developer.hashicorp.com/terraform/language/syntax/json#expression-mapping
 * @see https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';

/** Resolves a reference such as `['aws_iot_policy', 'claim', 'name']` to its value. */
export type ReferenceResolver = (path: readonly string[]) => unknown;

/** Context for evaluating expressions. */
export interface ExpressionContext {
  readonly resolveReference: ReferenceResolver;
  /** Directory that relative `file()` paths are read from (Terraform's working directory). */
  readonly baseDir: string;
  /** Names the string being evaluated, for errors (e.g. `aws_iot_policy.claim.policy`). */
  readonly where: string;
}

/** An expression outside the supported subset, or one that failed to evaluate. */
export class TerraformExpressionError extends Error {
  override readonly name = 'TerraformExpressionError';
}

type Fn = (args: unknown[], ctx: ExpressionContext) => unknown;

function str(value: unknown, fn: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TerraformExpressionError(`${fn}() expects a string, got ${JSON.stringify(value)}`);
}

const FUNCTIONS: Record<string, Fn> = {
  file: ([path], ctx) => {
    const p = str(path, 'file');
    const full = isAbsolute(p) ? p : resolvePath(ctx.baseDir, p);
    try {
      return readFileSync(full, 'utf8');
    } catch (error) {
      throw new TerraformExpressionError(`file("${p}") in ${ctx.where}: ${(error as Error).message}`);
    }
  },
  filebase64: ([path], ctx) => {
    const p = str(path, 'filebase64');
    return readFileSync(isAbsolute(p) ? p : resolvePath(ctx.baseDir, p)).toString('base64');
  },
  jsonencode: ([value]) => JSON.stringify(value),
  jsondecode: ([value]) => JSON.parse(str(value, 'jsondecode')),
  tostring: ([value]) => (value === null ? null : str(value, 'tostring')),
  tonumber: ([value]) => Number(value),
  lower: ([value]) => str(value, 'lower').toLowerCase(),
  upper: ([value]) => str(value, 'upper').toUpperCase(),
  join: ([sep, list]) => (list as unknown[]).map(v => str(v, 'join')).join(str(sep, 'join')),
  concat: args => (args as unknown[][]).flat(),
  base64encode: ([value]) => Buffer.from(str(value, 'base64encode')).toString('base64'),
  lookup: ([map, key, fallback]) => (map as Record<string, unknown>)[str(key, 'lookup')] ?? fallback,
};

class Parser {
  pos = 0;
  constructor(
    readonly text: string,
    readonly ctx: ExpressionContext,
  ) {}

  fail(message: string): never {
    throw new TerraformExpressionError(`${this.ctx.where}: ${message} at offset ${this.pos} of ${JSON.stringify(this.text.length > 200 ? this.text.slice(0, 200) + '…' : this.text)}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected "${ch}"`);
    this.pos++;
  }

  ident(): string {
    this.skipSpace();
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a name');
    this.pos += m[0].length;
    return m[0];
  }

  /** Parses an expression and evaluates it. */
  expression(): unknown {
    const c = this.peek();
    let value: unknown;
    if (c === '"') value = this.quoted();
    else if (c === '[') value = this.list();
    else if (c === '{') value = this.object();
    else if (c === '(') {
      this.pos++;
      value = this.expression();
      this.expect(')');
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos));
      if (!m) this.fail('expected a number');
      this.pos += m[0].length;
      value = Number(m[0]);
    } else {
      const name = this.ident();
      if (name === 'true' || name === 'false') value = name === 'true';
      else if (name === 'null') value = null;
      else if (this.peek() === '(') value = this.call(name);
      else value = this.traversal(name);
    }
    const next = this.peek();
    if (next && /[?+\-*/%<>=!&|]/.test(next)) this.fail(`operator "${next}" is not supported by the local cloud`);
    return value;
  }

  traversal(root: string): unknown {
    const path = [root];
    for (;;) {
      if (this.text[this.pos] === '.') {
        this.pos++;
        const m = /^[A-Za-z_0-9][A-Za-z0-9_-]*/.exec(this.text.slice(this.pos));
        if (!m) this.fail('expected an attribute name after "."');
        this.pos += m[0].length;
        path.push(m[0]);
      } else if (this.text[this.pos] === '[') {
        this.pos++;
        const index = this.expression();
        this.expect(']');
        path.push(String(index));
      } else break;
    }
    return this.ctx.resolveReference(path);
  }

  call(name: string): unknown {
    const fn = FUNCTIONS[name];
    if (!fn) this.fail(`function ${name}() is not supported by the local cloud (supported: ${Object.keys(FUNCTIONS).join(', ')})`);
    this.expect('(');
    const args: unknown[] = [];
    while (this.peek() !== ')') {
      args.push(this.expression());
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ')') this.fail('expected "," or ")" in function arguments');
    }
    this.pos++;
    return fn(args, this.ctx);
  }

  list(): unknown[] {
    this.expect('[');
    const out: unknown[] = [];
    while (this.peek() !== ']') {
      out.push(this.expression());
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ']') this.fail('expected "," or "]" in a list');
    }
    this.pos++;
    return out;
  }

  object(): Record<string, unknown> {
    this.expect('{');
    const out: Record<string, unknown> = {};
    while (this.peek() !== '}') {
      const key = this.peek() === '"' ? this.quoted() : this.ident();
      const sep = this.peek();
      if (sep !== '=' && sep !== ':') this.fail('expected "=" or ":" after an object key');
      this.pos++;
      out[String(key)] = this.expression();
      if (this.peek() === ',') this.pos++;
    }
    this.pos++;
    return out;
  }

  /** A quoted string inside an expression: escapes and nested interpolation. */
  quoted(): unknown {
    this.expect('"');
    const parts: unknown[] = [];
    let lit = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '"') {
        this.pos++;
        if (lit || parts.length === 0) parts.push(lit);
        return parts.length === 1 ? parts[0] : parts.map(p => stringify(p, this)).join('');
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (e === 'u') {
          lit += String.fromCharCode(parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16));
          this.pos += 6;
          continue;
        }
        if (!(e in map)) this.fail(`unknown escape "\\${e}"`);
        lit += map[e];
        this.pos += 2;
        continue;
      }
      const consumed = this.templateSpecial(lit, parts);
      if (consumed !== undefined) {
        lit = consumed;
        continue;
      }
      lit += c;
      this.pos++;
    }
    this.fail('unterminated string');
  }

  /** Handles `$${`, `%%{`, `${...}` and `%{` at `pos`; returns the new literal buffer, or undefined. */
  templateSpecial(lit: string, parts: unknown[]): string | undefined {
    const t = this.text;
    if (t.startsWith('$${', this.pos)) {
      this.pos += 3;
      return lit + '${';
    }
    if (t.startsWith('%%{', this.pos)) {
      this.pos += 3;
      return lit + '%{';
    }
    if (t.startsWith('%{', this.pos)) this.fail('template directives (%{...}) are not supported by the local cloud');
    if (t.startsWith('${', this.pos)) {
      if (lit) parts.push(lit);
      this.pos += 2;
      if (this.peek() === '~') this.fail('strip markers are not supported');
      parts.push(this.expression());
      this.expect('}');
      return '';
    }
    return undefined;
  }

  /** A whole JSON string value as a template. */
  template(): unknown {
    const parts: unknown[] = [];
    let lit = '';
    while (this.pos < this.text.length) {
      const consumed = this.templateSpecial(lit, parts);
      if (consumed !== undefined) {
        lit = consumed;
        continue;
      }
      lit += this.text[this.pos++];
    }
    if (lit || parts.length === 0) parts.push(lit);
    // A string that is exactly one interpolation yields the value itself (Terraform does the same).
    return parts.length === 1 ? parts[0] : parts.map(p => stringify(p, this)).join('');
  }
}

function stringify(value: unknown, parser: Parser): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return parser.fail(`cannot interpolate a ${value === null ? 'null' : typeof value} value into a string`);
}

/** Evaluates one JSON string value of `cdk.tf.json` as a Terraform template. */
export function evaluateTemplate(text: string, ctx: ExpressionContext): unknown {
  if (!text.includes('${') && !text.includes('%{')) return text;
  return new Parser(text, ctx).template();
}

/** Evaluates every string inside a JSON value (objects and arrays recursively). */
export function evaluateDeep(value: unknown, ctx: ExpressionContext): unknown {
  if (typeof value === 'string') return evaluateTemplate(value, ctx);
  if (Array.isArray(value)) return value.map((v, i) => evaluateDeep(v, { ...ctx, where: `${ctx.where}[${i}]` }));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = evaluateDeep(v, { ...ctx, where: `${ctx.where}.${k}` });
    return out;
  }
  return value;
}
