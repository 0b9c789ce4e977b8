import { describe, expect, it } from 'vitest';
import { diffLines } from '../src/lib/diff';

function apply(diff: ReturnType<typeof diffLines>, side: '-' | '+'): string[] {
  return diff.filter((l) => l.op === ' ' || l.op === side).map((l) => l.text);
}

describe('diffLines', () => {
  it('reconstructs both sides and finds the shortest edit', () => {
    const a = 'a b c a b b a'.split(' ');
    const b = 'c b a b a c'.split(' ');
    const diff = diffLines(a, b);
    expect(apply(diff, '-')).toEqual(a);
    expect(apply(diff, '+')).toEqual(b);
    expect(diff.filter((l) => l.op !== ' ').length).toBe(5);
  });

  it('handles empty sides and identical inputs', () => {
    expect(diffLines([], ['x'])).toEqual([{ op: '+', text: 'x' }]);
    expect(diffLines(['x'], [])).toEqual([{ op: '-', text: 'x' }]);
    expect(diffLines(['x', 'y'], ['x', 'y']).every((l) => l.op === ' ')).toBe(true);
  });

  it('is right on random edits', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let t = 0; t < 200; t++) {
      const a = Array.from({ length: Math.floor(rand() * 30) }, () => String(Math.floor(rand() * 5)));
      const b = Array.from({ length: Math.floor(rand() * 30) }, () => String(Math.floor(rand() * 5)));
      const diff = diffLines(a, b);
      expect(apply(diff, '-')).toEqual(a);
      expect(apply(diff, '+')).toEqual(b);
    }
  });
});
