/** A secret value. Prints as *** everywhere (String(), JSON, util.inspect); call reveal() to use it. */
export class Secret {
  readonly #value: string;
  constructor(value: string) { this.#value = value; }
  reveal(): string { return this.#value; }
  toString(): string { return '***'; }
  toJSON(): string { return '***'; }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return 'Secret(***)'; }
}

/**
 * An identifier that is half a credential (an AWS access key id, a client id used with a secret):
 * shown as its first and last four characters, never whole. Short values show as ***.
 */
export function maskIdentifier(value: string): string {
  return value.length >= 12 ? `${value.slice(0, 4)}…${value.slice(-4)}` : '***';
}
