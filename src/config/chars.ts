// Invisible characters in a value, named for a finding: control characters (what an HTTP header
// refuses) and whitespace around a value. A value written as a YAML block scalar (`key: |`) ends
// with a line break; a value copied from a terminal may carry a space.

/**
 * The first character Go's net/http refuses in an HTTP header value (httpguts.ValidHeaderFieldValue:
 * a control character other than the tab; Node refuses the same), said for a finding: what it is and
 * where it sits. A value written as a YAML block scalar (`token: |`) ends with a line break.
 */
export function headerUnsafe(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const i = v.search(/[\x00-\x08\x0a-\x1f\x7f]/);
  if (i < 0) return undefined;
  const c = v.charCodeAt(i);
  const name = c === 10 ? 'a line break (\\n)' : c === 13 ? 'a carriage return (\\r)' : c === 0 ? 'a NUL byte' : `the control character 0x${c.toString(16).padStart(2, '0')}`;
  const where = i === v.length - 1 || /^\s*$/.test(v.slice(i)) ? 'at its end' : i === 0 ? 'at its start' : `at character ${i + 1} of ${v.length}`;
  return `contains ${name} ${where}`;
}

/**
 * What whitespace surrounds a value, for a finding ("ends with a newline", "starts with a space
 * and ends with a tab"), or undefined when there is none. A credential or a host with a trailing
 * newline (a file written by `echo`, a Secret made from such a file) is sent as is by Flyte.
 */
export function surroundingWhitespace(v: string | undefined): string | undefined {
  if (v === undefined || v === v.trim()) return undefined;
  const name = (c: string) => (c === '\n' ? 'a newline' : c === '\r' ? 'a carriage return' : c === '\t' ? 'a tab' : c === ' ' ? 'a space' : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  const lead = /^\s+/.exec(v)?.[0] ?? '';
  const trail = /\s+$/.exec(v)?.[0] ?? '';
  const part = (w: string) => [...new Set([...w].map(name))].join(' and ');
  return [lead ? `starts with ${part(lead)}` : '', trail ? `ends with ${part(trail)}` : ''].filter(Boolean).join(' and ');
}
