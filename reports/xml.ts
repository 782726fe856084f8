// XML 1.0 text helpers for the JUnit writer. Server error texts do contain control bytes, and a
// single one of them makes the whole file unreadable to CI, so characters XML 1.0 forbids are
// removed before escaping: C0 controls other than tab/newline/CR, lone surrogates, U+FFFE/U+FFFF.
import { escapeInvisible } from './text.js';

/** Everything outside XML 1.0's `Char` production (with the `u` flag a lone surrogate is one code point). */
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Removes the characters XML 1.0 does not allow anywhere in a document. */
export function stripInvalidXmlChars(text: string): string {
  return text.replace(FORBIDDEN, '');
}

/**
 * Escapes text content: `& < > " '` become entities; forbidden characters are removed. C1 controls
 * (legal XML, but `\x9b` drives a terminal a CI log prints the text on) and invisible or reordering
 * characters (bidi overrides, zero-width spaces: escapeInvisible) are shown as `\x9b`, `\u202e`.
 */
export function escapeXml(text: string): string {
  return escapeInvisible(stripInvalidXmlChars(text).replace(/[\x80-\x9F]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * Escapes an attribute value. Like escapeXml, and tab/newline/CR become character references,
 * because a parser normalizes literal ones in attributes to spaces (the message would lose its lines).
 */
export function escapeXmlAttr(text: string): string {
  return escapeXml(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
