import type { ASTNode } from '@marcbachmann/cel-js';
import { InvalidInputError } from '../core/errors.js';
import { LINEAR_MATCHES } from './cel-environment.js';
import { POLICY_LIMITS } from './limits.js';
import { compileLinearRegex } from './linear-regex.js';

/** Upper bound on a value's size: `n` characters or elements, each element bounded by `el`. */
interface Size { readonly n: number; readonly el?: Size }
interface Estimate { readonly size: Size; readonly cost: number }

const SCALAR: Size = { n: 1 };
const ATTRIBUTE: Size = { n: POLICY_LIMITS.maxValueLength };
const ROOT_SIZES: Readonly<Record<string, Size>> = {
  // attributes and identifier, plus authority and project
  subject: { n: POLICY_LIMITS.maxSubjectAttributes + 2, el: ATTRIBUTE },
  resource: { n: 8, el: ATTRIBUTE },
  action: ATTRIBUTE,
  now: SCALAR,
};
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const CONVERSIONS = new Set(['size', 'int', 'uint', 'double', 'bool', 'string', 'timestamp', 'duration', 'dyn']);
const STRING_TESTS = new Set(['startsWith', 'endsWith', 'contains', 'indexOf', 'lastIndexOf']);
const STRING_TRANSFORMS = new Set(['lowerAscii', 'upperAscii', 'trim', 'substring']);
const TIME_GETTERS = new Set([
  'getFullYear', 'getMonth', 'getDayOfMonth', 'getDate', 'getDayOfWeek', 'getDayOfYear',
  'getHours', 'getMinutes', 'getSeconds', 'getMilliseconds',
]);
/** Work done natively (string compare, search) costs one step per this many characters. */
const NATIVE_CHUNK = 64;

function total(s: Size): number {
  return s.n * (s.el === undefined ? 1 : 1 + total(s.el));
}
function larger(a: Size | undefined, b: Size | undefined): Size | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { n: Math.max(a.n, b.n), el: larger(a.el, b.el) };
}
function reject(message: string): never {
  throw new InvalidInputError('policy', message);
}

/**
 * Checks a parsed policy expression against the allow-list of functions and the static
 * limits (string literals, comprehension nesting, estimated cost and value sizes), validates
 * literal regular expressions, and renames `matches` calls to the RE2-backed method.
 * Throws InvalidInputError naming the first violation. Returns the estimated cost.
 */
export function checkExpressionBounds(root: ASTNode): number {
  const estimate = new BoundsWalker().walk(root, new Map(), 0);
  if (estimate.cost > POLICY_LIMITS.maxCost) {
    reject(`expression too expensive: estimated ${Math.round(estimate.cost)} steps, limit ${POLICY_LIMITS.maxCost}`);
  }
  return estimate.cost;
}

class BoundsWalker {
  walk(node: ASTNode, scope: ReadonlyMap<string, Size>, nesting: number): Estimate {
    const e = this.estimate(node, scope, nesting);
    const size = total(e.size);
    if (size > POLICY_LIMITS.maxValueSize) {
      reject(`expression may build a value of ${Math.round(size)} elements at ${node.start}, limit ${POLICY_LIMITS.maxValueSize}`);
    }
    if (e.cost > POLICY_LIMITS.maxCost) {
      reject(`expression too expensive: estimated over ${POLICY_LIMITS.maxCost} steps at ${node.start}`);
    }
    return e;
  }

  private all(nodes: readonly ASTNode[], scope: ReadonlyMap<string, Size>, nesting: number): { sizes: Size[]; cost: number } {
    const sizes: Size[] = [];
    let cost = 0;
    for (const n of nodes) {
      const e = this.walk(n, scope, nesting);
      sizes.push(e.size);
      cost += e.cost;
    }
    return { sizes, cost };
  }

  private estimate(node: ASTNode, scope: ReadonlyMap<string, Size>, nesting: number): Estimate {
    switch (node.op) {
      case 'value': {
        const v = node.args;
        if (typeof v === 'string' || v instanceof Uint8Array) {
          if (v.length > POLICY_LIMITS.maxStringLiteral) {
            reject(`literal of ${v.length} characters at ${node.start}, limit ${POLICY_LIMITS.maxStringLiteral}`);
          }
          return { size: { n: Math.max(1, v.length) }, cost: 1 };
        }
        return { size: SCALAR, cost: 1 };
      }
      case 'id':
        return { size: scope.get(node.args) ?? ROOT_SIZES[node.args] ?? SCALAR, cost: 1 };
      case '.': {
        const obj = this.walk(node.args[0], scope, nesting);
        return { size: obj.size.el ?? SCALAR, cost: obj.cost + 1 };
      }
      case '.?':
      case '[?]':
        return reject('optional access is not allowed in policies');
      case '[]': {
        const { sizes, cost } = this.all(node.args, scope, nesting);
        return { size: sizes[0]!.el ?? SCALAR, cost: cost + 1 };
      }
      case 'list': {
        const { sizes, cost } = this.all(node.args, scope, nesting);
        return { size: { n: Math.max(1, sizes.length), el: sizes.reduce<Size | undefined>(larger, undefined) ?? SCALAR }, cost: cost + 1 };
      }
      case 'map': {
        const { sizes, cost } = this.all(node.args.flat(), scope, nesting);
        return { size: { n: Math.max(1, sizes.length / 2), el: sizes.reduce<Size | undefined>(larger, undefined) ?? SCALAR }, cost: cost + 1 };
      }
      case '?:': {
        const { sizes, cost } = this.all(node.args, scope, nesting);
        return { size: larger(sizes[1], sizes[2]) ?? SCALAR, cost: cost + 1 };
      }
      case '&&':
      case '||':
      case '!_':
      case '-_': {
        const children = Array.isArray(node.args) ? node.args : [node.args];
        return { size: SCALAR, cost: this.all(children, scope, nesting).cost + 1 };
      }
      case 'call':
        return this.call(node.args[0], node.args[1], scope, nesting);
      case 'rcall':
        return this.method(node, scope, nesting);
      default:
        return this.binary(node.op, node.args as [ASTNode, ASTNode], scope, nesting);
    }
  }

  private binary(op: string, args: [ASTNode, ASTNode], scope: ReadonlyMap<string, Size>, nesting: number): Estimate {
    const { sizes: [a, b], cost } = this.all(args, scope, nesting);
    const work = (total(a!) + total(b!)) / NATIVE_CHUNK;
    switch (op) {
      case '+':
        return { size: { n: a!.n + b!.n, el: larger(a!.el, b!.el) }, cost: cost + 1 + work };
      case 'in':
        return { size: SCALAR, cost: cost + 1 + b!.n * (1 + total(a!) / NATIVE_CHUNK) };
      default:
        return { size: SCALAR, cost: cost + 1 + work };
    }
  }

  private call(name: string, args: readonly ASTNode[], scope: ReadonlyMap<string, Size>, nesting: number): Estimate {
    if (name === 'has') return { size: SCALAR, cost: this.all(args, scope, nesting).cost + 1 };
    if (!CONVERSIONS.has(name)) reject(`function '${name}' is not allowed in policies`);
    const { sizes, cost } = this.all(args, scope, nesting);
    const arg = sizes[0] ?? SCALAR;
    const size = name === 'string' || name === 'dyn' ? { n: Math.max(32, arg.n), el: arg.el } : SCALAR;
    return { size, cost: cost + 1 + total(arg) / NATIVE_CHUNK };
  }

  private method(node: ASTNode & { op: 'rcall' }, scope: ReadonlyMap<string, Size>, nesting: number): Estimate {
    const [name, receiver, args] = node.args;
    if (receiver.op === 'id' && receiver.args === 'cel') reject(`'cel.${name}' is not allowed in policies`);
    if (COMPREHENSIONS.has(name)) return this.comprehension(name, receiver, args, scope, nesting);
    const recv = this.walk(receiver, scope, nesting);
    const { sizes, cost: argCost } = this.all(args, scope, nesting);
    const cost = recv.cost + argCost + 1;
    const work = total(recv.size) / NATIVE_CHUNK;
    if (name === 'size') return { size: SCALAR, cost };
    if (STRING_TESTS.has(name)) return { size: SCALAR, cost: cost + work };
    if (STRING_TRANSFORMS.has(name)) return { size: { n: recv.size.n }, cost: cost + work };
    if (TIME_GETTERS.has(name)) return { size: SCALAR, cost: cost + 16 };
    if (name === 'split') return { size: { n: recv.size.n + 1, el: { n: recv.size.n } }, cost: cost + recv.size.n / 4 };
    if (name === 'join') {
      const n = total(recv.size) + recv.size.n * (sizes[0] === undefined ? 0 : total(sizes[0]));
      return { size: { n }, cost: cost + n / NATIVE_CHUNK };
    }
    if (name === 'matches' || name === LINEAR_MATCHES) {
      const pattern = args[0];
      let patternLength: number = POLICY_LIMITS.maxPatternLength;
      if (pattern?.op === 'value' && typeof pattern.args === 'string') {
        compileLinearRegex(pattern.args);
        patternLength = Math.max(1, pattern.args.length);
      }
      (node.args as unknown as [string, ASTNode, ASTNode[]])[0] = LINEAR_MATCHES;
      return { size: SCALAR, cost: cost + 8 + (total(recv.size) * patternLength) / NATIVE_CHUNK };
    }
    return reject(`method '${name}' is not allowed in policies`);
  }

  private comprehension(name: string, receiver: ASTNode, args: readonly ASTNode[], scope: ReadonlyMap<string, Size>, nesting: number): Estimate {
    if (nesting + 1 > POLICY_LIMITS.maxComprehensionNesting) {
      reject(`comprehensions nested more than ${POLICY_LIMITS.maxComprehensionNesting} deep`);
    }
    const range = this.walk(receiver, scope, nesting);
    const variable = args[0];
    if (variable?.op !== 'id') return reject(`'${name}' needs a variable name as its first argument`);
    const inner = new Map(scope).set(variable.args, range.size.el ?? SCALAR);
    const body = this.all(args.slice(1), inner, nesting + 1);
    const cost = range.cost + 1 + range.size.n * (body.cost + 1);
    if (name === 'map') return { size: { n: range.size.n, el: body.sizes[body.sizes.length - 1] ?? SCALAR }, cost };
    if (name === 'filter') return { size: range.size, cost };
    return { size: SCALAR, cost };
  }
}
