export const ENCODINGS = ["GSM-7", "UCS-2"] as const;
export type Encoding = (typeof ENCODINGS)[number];

// GSM 03.38 default alphabet (one septet each) and its extension table (escape + char: two septets).
const GSM_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const GSM_EXTENSION = new Set("\f^{}\\[~]|€");

const LIMITS = {
  "GSM-7": { single: 160, concatenated: 153 },
  "UCS-2": { single: 70, concatenated: 67 },
} as const;

export const MAX_SEGMENTS = 10;

export interface SegmentInfo {
  encoding: Encoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the whole body takes. */
  units: number;
  segments: number;
}

/** Chooses the encoding a carrier would use for `body` and counts the SMS segments it needs. */
export function analyzeBody(body: string): SegmentInfo {
  // Iterating a string yields code points, so a surrogate pair is one character here.
  const chars = [...body];
  const gsm = chars.every((ch) => GSM_BASIC.has(ch) || GSM_EXTENSION.has(ch));
  const encoding: Encoding = gsm ? "GSM-7" : "UCS-2";
  const widths = chars.map((ch) => (gsm ? (GSM_EXTENSION.has(ch) ? 2 : 1) : ch.length));
  const units = widths.reduce((sum, w) => sum + w, 0);
  const limit = LIMITS[encoding];
  if (units <= limit.single) return { encoding, units, segments: 1 };
  return { encoding, units, segments: packSegments(widths, limit.concatenated) };
}

// Greedy packing: an escape sequence or a surrogate pair is never split across two parts,
// so a part may hold one unit less than its capacity.
function packSegments(widths: number[], capacity: number): number {
  let segments = 1;
  let used = 0;
  for (const w of widths) {
    if (used + w > capacity) {
      segments += 1;
      used = 0;
    }
    used += w;
  }
  return segments;
}
