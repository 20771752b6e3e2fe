/**
 * The little XML S3 speaks: escaped text, nested elements, and reading the one request body we
 * accept (`CompleteMultipartUpload`). No XML library: the shapes are fixed and small.
 */

/** The namespace every S3 response document declares. */
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, ch =>
    ch === '&'
      ? '&amp;'
      : ch === '<'
        ? '&lt;'
        : ch === '>'
          ? '&gt;'
          : ch === '"'
            ? '&quot;'
            : '&apos;',
  );
}

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, name: string) => {
    switch (name) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(
          name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10),
        );
    }
  });
}

/** An element tree to render: text, or children (repeated elements as arrays, absent as undefined). */
export type XmlValue = string | number | boolean | XmlNode | readonly XmlNode[] | undefined;
export interface XmlNode {
  readonly [element: string]: XmlValue | readonly XmlValue[];
}

function renderValue(name: string, value: XmlValue | readonly XmlValue[]): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map(v => renderValue(name, v as XmlValue)).join('');
  if (typeof value === 'object') return `<${name}>${renderChildren(value as XmlNode)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function renderChildren(node: XmlNode): string {
  return Object.entries(node)
    .map(([name, value]) => renderValue(name, value))
    .join('');
}

/** A complete document: declaration plus one root element (with S3's namespace unless told). */
export function renderXml(
  root: string,
  body: XmlNode,
  xmlns: string | undefined = S3_XMLNS,
): string {
  const ns = xmlns ? ` xmlns="${xmlns}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${renderChildren(body)}</${root}>`;
}

/** The part list of a `CompleteMultipartUpload` body, in document order. */
export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
}

/**
 * Read `<Part><PartNumber>n</PartNumber><ETag>"…"</ETag>…</Part>` entries.
 * @throws Error naming the part index when a part lacks a number or an ETag
 */
export function parseCompleteMultipartUpload(xml: string): CompletedPart[] {
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) {
    throw new Error('body is not a CompleteMultipartUpload document');
  }
  const parts: CompletedPart[] = [];
  const partPattern = /<Part>([\s\S]*?)<\/Part>/g;
  for (const match of xml.matchAll(partPattern)) {
    const number = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(match[1]);
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(match[1]);
    if (!number || !etag) throw new Error(`Part ${parts.length + 1} needs PartNumber and ETag`);
    parts.push({ partNumber: Number(number[1]), etag: unescapeXml(etag[1]).trim() });
  }
  return parts;
}
