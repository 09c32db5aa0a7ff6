import { isResidentId, passesLuhn, redactCnIdentifiers, residentIdCheckDigit } from './deid-cn-identifiers';

describe('Chinese direct identifiers', () => {
  it('computes the GB 11643 check digit, X included', () => {
    // the standard's own example
    expect(residentIdCheckDigit('11010519491231002')).toBe('X');
    expect(isResidentId('11010519491231002X')).toBe(true);
    expect(isResidentId('11010519491231002x')).toBe(true);
    expect(isResidentId('110105194912310021')).toBe(false);
    expect(isResidentId('440524188001010014')).toBe(true);
  });

  it('checks Luhn', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
  });

  it('redacts identity, mobile and card numbers in text and leaves other numbers', () => {
    const text = '患者身份证 11010519491231002X，手机 13812345678，+86 139-0000 联系；卡号 4111 1111 1111 1111 与 4111111111111111；金额 1234567890123 元，编号 110105194912310021';
    const { text: out, changed } = redactCnIdentifiers(text);
    expect(changed).toBe(true);
    expect(out).not.toMatch(/11010519491231002X|13812345678|4111/);
    expect(out.match(/\[REDACTED\]/g)).toHaveLength(4);
    // a wrong check digit and a non-Luhn long number stay
    expect(out).toContain('110105194912310021');
    expect(out).toContain('1234567890123');
    expect(redactCnIdentifiers('blood pressure 120/80, code 8867-4')).toEqual({ text: 'blood pressure 120/80, code 8867-4', changed: false });
  });
});
