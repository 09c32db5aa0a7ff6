/**
 * Chinese direct identifiers in free text: resident identity numbers (GB 11643-1999), mobile numbers
 * and bank card numbers. Only numbers whose check digit holds are taken for identity and card
 * numbers, so ordinary long numbers (amounts, codes) stay.
 */
export const REDACTED_TEXT = '[REDACTED]';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** GB 11643 (ISO 7064 MOD 11-2): the 18th character of a resident identity number. */
export function residentIdCheckDigit(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11];
}

export function isResidentId(value: string): boolean {
  return /^\d{17}[\dXx]$/.test(value) && residentIdCheckDigit(value) === value[17].toUpperCase();
}

/** Luhn (ISO/IEC 7812): the check of bank card numbers. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const RESIDENT_ID = /(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])/g;
const MOBILE = /(?<!\d)(?:\+?86[ -]?)?1[3-9]\d{9}(?!\d)/g;
// a card number written plainly or in groups of four
const CARD = /(?<!\d)(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?)(?!\d)/g;

/** The text with every identity, mobile and card number replaced by `[REDACTED]`, and whether any was. */
export function redactCnIdentifiers(text: string): { text: string; changed: boolean } {
  let changed = false;
  const cut = (m: string) => {
    changed = true;
    return REDACTED_TEXT;
  };
  let out = text.replace(RESIDENT_ID, (m) => (isResidentId(m) ? cut(m) : m));
  out = out.replace(MOBILE, cut);
  out = out.replace(CARD, (m) => (passesLuhn(m.replace(/[ -]/g, '')) ? cut(m) : m));
  return { text: out, changed };
}
