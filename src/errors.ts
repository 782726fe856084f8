/**
 * Bad input from the user (a file, a flag, a values key). The CLI prints `message` as one line and
 * exits 2, without a stack trace. The message names the file/flag, the key and what was expected,
 * e.g. `values.yaml: configuration.database.port: expected a number, got "five"`.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}
