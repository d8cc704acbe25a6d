import { describe, expect, it } from 'vitest';
import { canonicalUsername, isValidUsername } from '../../shared/users/username.js';
import { loginRequest, registerRequest } from '../../shared/users/schemas.js';

describe('canonicalUsername', () => {
  it('folds ASCII case and nothing else', () => {
    expect(canonicalUsername('Alice.B-2_c')).toBe('alice.b-2_c');
    expect(canonicalUsername('MINI')).toBe(canonicalUsername('mini'));
  });

  it.each([
    ['miNİ', 'U+0130, which lower() and toLowerCase() fold to "i"'],
    ['mİnİ', 'U+0130 twice'],
    ['\u212Aate', 'KELVIN SIGN, which toLowerCase() folds to "k"'],
    ['ro\u017Ft', 'LONG S, which toUpperCase() folds to "S"'],
    ['ab', 'too short'],
    ['x'.repeat(51), 'too long'],
    ['bad name', 'a space'],
    ['-dash', 'a leading hyphen'],
    ['', 'empty'],
  ])('has no canonical form for %j (%s)', (name) => {
    expect(canonicalUsername(name)).toBeNull();
    expect(isValidUsername(name)).toBe(false);
  });

  it('login accepts exactly the names registration accepts', () => {
    for (const name of ['mini', 'MiNi', 'miNİ', '\u212Aate', 'ab', 'a'.repeat(51), 'ok.name']) {
      const asLogin = loginRequest.safeParse({ username: name, password: 'x' }).success;
      const asRegistration = registerRequest.safeParse({ username: name, email: 'a@example.com', password: 'long enough' }).success;
      expect(asLogin, name).toBe(asRegistration);
      expect(asLogin, name).toBe(canonicalUsername(name) !== null);
    }
  });
});
