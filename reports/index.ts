// The report writers by name. Every writer is a pure function of the Report document.
import { jsonWriter } from './json.js';
import { junitWriter } from './junit.js';
import { markdownWriter } from './markdown.js';
import { prettyWriter } from './pretty.js';
import type { ReportWriter } from './schema.js';
import { UserError } from '../src/errors.js';

export type WriterName = ReportWriter['name'];

export const writers: Record<WriterName, ReportWriter> = {
  pretty: prettyWriter,
  json: jsonWriter,
  junit: junitWriter,
  markdown: markdownWriter,
};

export const WRITER_NAMES = Object.keys(writers) as WriterName[];

export function isWriterName(name: string): name is WriterName {
  return Object.prototype.hasOwnProperty.call(writers, name);
}

/** The writer for `name`; an unknown name is bad input (UserError, exit 2). */
export function getWriter(name: string): ReportWriter {
  if (!isWriterName(name)) throw new UserError(`unknown report format "${name}": expected one of ${WRITER_NAMES.join(', ')}`);
  return writers[name];
}

export { createLiveReporter } from './live.js';
export type { LiveReporter, LiveOptions } from './live.js';
