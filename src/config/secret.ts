/** A secret value. Prints as *** everywhere (String(), JSON, util.inspect); call reveal() to use it. */
export class Secret {
  readonly #value: string;
  constructor(value: string) { this.#value = value; }
  reveal(): string { return this.#value; }
  toString(): string { return '***'; }
  toJSON(): string { return '***'; }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return 'Secret(***)'; }
}
