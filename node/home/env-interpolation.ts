/** What interpolate reports for a variable it cannot expand. */
export class UnsetVariableError extends Error {
  override readonly name = 'UnsetVariableError';
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set`);
  }
}

/** A malformed `${...}` reference. */
export class BadReferenceError extends Error {
  override readonly name = 'BadReferenceError';
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expands `${VAR}` and `${VAR:-default}` in `text` from `env` (`$$` is a literal `$`; a `$`
 * not followed by `{` or `$` stays as it is). `${VAR:-default}` takes the default when VAR
 * is unset or empty; `${VAR}` of an unset variable throws UnsetVariableError. Defaults are
 * taken literally (no nesting).
 */
export function interpolate(text: string, env: NodeJS.ProcessEnv): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close < 0) throw new BadReferenceError(`unclosed \${ in '${text}'`);
    const body = text.slice(dollar + 2, close);
    const sep = body.indexOf(':-');
    const name = sep < 0 ? body : body.slice(0, sep);
    if (!NAME.test(name)) throw new BadReferenceError(`invalid variable name '${name}' in \${${body}}`);
    const value = env[name];
    if (sep >= 0) out += value === undefined || value === '' ? body.slice(sep + 2) : value;
    else if (value === undefined) throw new UnsetVariableError(name);
    else out += value;
    i = close + 1;
  }
  return out;
}
