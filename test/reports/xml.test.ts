import { describe, expect, it } from 'vitest';
import { escapeXml, escapeXmlAttr, stripInvalidXmlChars } from '../../reports/xml.js';

describe('reports/xml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  it('does not double-escape and keeps text otherwise unchanged', () => {
    expect(escapeXml('&amp;')).toBe('&amp;amp;');
    expect(escapeXml('ünïcødé ✓ 日本語 🚀 tab\tnl\ncr\r')).toBe('ünïcødé ✓ 日本語 🚀 tab\tnl\ncr\r');
  });

  it('removes characters XML 1.0 forbids: C0 controls, lone surrogates, U+FFFE/U+FFFF', () => {
    expect(stripInvalidXmlChars('a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg')).toBe('abcdefg');
    expect(stripInvalidXmlChars('x\uD800y\uDC00z')).toBe('xyz');
    expect(stripInvalidXmlChars('p\uFFFEq\uFFFFr')).toBe('pqr');
    // a valid surrogate pair (an astral character) stays
    expect(stripInvalidXmlChars('\uD83D\uDE80')).toBe('🚀');
    // allowed whitespace and the discouraged-but-legal range stay
    expect(stripInvalidXmlChars('\t\n\r\u007F\u0085')).toBe('\t\n\r\u007F\u0085');
  });

  it('keeps line breaks in attributes as character references', () => {
    expect(escapeXmlAttr('one\ntwo\r\tthree "q"')).toBe('one&#10;two&#13;&#9;three &quot;q&quot;');
  });
});
