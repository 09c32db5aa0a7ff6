// @lhncbc/ucum-lhc ships no type declarations; only what ucum.ts uses is declared.
declare module '@lhncbc/ucum-lhc' {
  export const UcumLhcUtils: {
    getInstance(): {
      convertToBaseUnits(
        unit: string,
        value: number
      ): { status: string; magnitude?: number; unitToExp?: Record<string, number>; fromUnitIsSpecial?: boolean };
    };
  };
}
