import { describe, expect, it } from 'vitest';
import type { RouteSpec } from '../../../daemon/integrations/schema.ts';
import { checkRequestTarget, checkUpstreamPath, compileRoutes, matchRoute } from '../../../daemon/pipeline/route.ts';
import { codeOf } from '../../helpers/thrown.ts';


describe('checkUpstreamPath', () => {
  it.each([
    '/',
    '/res/v1/web/search',
    '/v1/items/',
    '/v1/items/abc-DEF_123.json',
    "/v1/a~b/!$&'()*+,;=:@",
    '/v1/caf%C3%A9',
    '/v1/hello%20world',
    '/v1/%E2%82%AC',
    '/v1/a.b/..c/c..',
    '/v1/' + 'a'.repeat(2044),
  ])('allows %s', (path) => {
    expect(() => checkUpstreamPath(path)).not.toThrow();
  });

  it.each([
    ['a raw . segment', '/v1/./search'],
    ['a raw .. segment', '/v1/../admin'],
    ['a final .. segment', '/v1/..'],
    ['a segment of dots only', '/v1/.../admin'],
    ['.. with a path parameter', '/v1/..;/admin'],
    ['an encoded dot segment (lower case)', '/v1/%2e%2e/admin'],
    ['an encoded dot segment (upper case)', '/v1/%2E%2E/admin'],
    ['a half-encoded dot segment', '/v1/.%2e/admin'],
    ['an encoded dot inside a name', '/v1/file%2ejson'],
    ['a double-encoded dot', '/v1/%252e%252e/admin'],
    ['any %25', '/v1/100%25'],
    ['an encoded slash', '/v1/a%2fb'],
    ['an encoded slash (upper case)', '/v1/a%2Fb'],
    ['an encoded backslash', '/v1/a%5cb'],
    ['a raw backslash', '/v1/a\\b'],
    ['an empty segment', '/v1//search'],
    ['a leading empty segment', '//evil.example/x'],
    ['two trailing slashes', '/v1/items//'],
    ['an overlong UTF-8 dot', '/v1/%c0%ae%c0%ae/admin'],
    ['a truncated UTF-8 sequence', '/v1/%e2%82'],
    ['an encoded surrogate', '/v1/%ed%a0%80'],
    ['a lone continuation byte', '/v1/%80'],
    ['a fullwidth dot segment', '/v1/%EF%BC%8E%EF%BC%8E/admin'],
    ['a fullwidth solidus', '/v1/a%EF%BC%8Fb'],
    ['an encoded NUL', '/v1/a%00'],
    ['an encoded newline', '/v1/a%0d%0aX-Injected:%201'],
    ['an encoded DEL', '/v1/a%7f'],
    ['a raw space', '/v1/hello world'],
    ['a raw tab', '/v1/a\tb'],
    ['a raw newline', '/v1/a\nb'],
    ['a raw NUL', '/v1/a\u0000b'],
    ['a raw non-ASCII character', '/v1/café'],
    ['a raw quote', '/v1/"a"'],
    ['a raw <', '/v1/<script>'],
    ['a question mark', '/v1/a?b'],
    ['a fragment', '/v1/a#b'],
    ['a caret', '/v1/a^b'],
    ['a bare %', '/v1/100%'],
    ['a % with non-hex digits', '/v1/%zz'],
    ['a truncated percent-encoding', '/v1/a%2'],
    ['no leading slash', 'v1/search'],
    ['the empty string', ''],
    ['more than 2048 characters', '/v1/' + 'a'.repeat(2045)],
  ])('refuses %s', (_, path) => {
    expect(codeOf(() => checkUpstreamPath(path))).toBe('route_not_allowed');
  });

  it('never repeats the path in its message (it may hold a key)', () => {
    try {
      checkUpstreamPath('/v1/sk-secret-value/%2e%2e');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('sk-secret-value');
    }
  });
});

describe('checkRequestTarget', () => {
  it('splits an origin-form target into raw path and raw query', () => {
    expect(checkRequestTarget('/v1/call/brave/res/v1/web/search?q=tollgate%20docs&count=5')).toEqual({
      path: '/v1/call/brave/res/v1/web/search',
      query: 'q=tollgate%20docs&count=5',
    });
    expect(checkRequestTarget('/v1/health')).toEqual({ path: '/v1/health', query: '' });
    expect(checkRequestTarget('/v1/call/x/a?b?c')).toEqual({ path: '/v1/call/x/a', query: 'b?c' });
  });

  it.each([
    ['absolute-form', 'http://api.example.com/v1/call/x/y'],
    ['absolute-form https', 'https://localhost/v1/health'],
    ['authority-form', 'api.example.com:443'],
    ['asterisk-form', '*'],
    ['a scheme-relative path', '//evil.example/v1/health'],
    ['an empty target', ''],
    ['a backslash', '/\\evil.example/v1/health'],
    ['a fragment', '/v1/health#x'],
    ['a space', '/v1/call/x/a b'],
    ['a control character', '/v1/call/x/a\u0001'],
    ['a non-ASCII character', '/v1/call/x/é'],
    ['a malformed percent-encoding in the query', '/v1/call/x/a?q=100%'],
  ])('refuses %s', (_, target) => {
    expect(codeOf(() => checkRequestTarget(target))).toBe('bad_request');
  });
});

describe('matchRoute', () => {
  const routes: RouteSpec[] = [
    { method: 'GET', path: '/res/v1/web/search' },
    { method: 'GET', path: '/v1/items/*' },
    { method: 'GET', path: '/v1/items/*/comments' },
    { method: 'POST', path: '/v1/files/**' },
    { method: 'GET', path: '/v2/**' },
    { method: 'GET', path: '/v2/special' },
    { method: 'GET', path: '/v2/*/x' },
    { method: 'DELETE', path: '/' },
  ];
  const table = compileRoutes(routes);

  it.each([
    ['GET', '/res/v1/web/search', '/res/v1/web/search'],
    ['GET', '/v1/items/42', '/v1/items/*'],
    ['GET', '/v1/items/a%20b', '/v1/items/*'],
    ['GET', '/v1/items/42/comments', '/v1/items/*/comments'],
    ['POST', '/v1/files/a', '/v1/files/**'],
    ['POST', '/v1/files/a/b/c.txt', '/v1/files/**'],
    ['POST', '/v1/files/a/', '/v1/files/**'],
    ['DELETE', '/', '/'],
  ])('%s %s matches %s', (method, path, pattern) => {
    expect(matchRoute(table, method, path)).toBe(pattern);
  });

  it('prefers the most specific pattern, whatever the order they were listed in', () => {
    expect(matchRoute(table, 'GET', '/v2/special')).toBe('/v2/special');
    expect(matchRoute(table, 'GET', '/v2/other/x')).toBe('/v2/*/x');
    expect(matchRoute(table, 'GET', '/v2/other/y')).toBe('/v2/**');
  });

  it.each([
    ['a method not listed', 'POST', '/res/v1/web/search'],
    ['HEAD where only GET is listed', 'HEAD', '/res/v1/web/search'],
    ['a lower-case method', 'get', '/res/v1/web/search'],
    ['a trailing slash', 'GET', '/res/v1/web/search/'],
    ['a missing segment', 'GET', '/res/v1/web'],
    ['an extra segment', 'GET', '/res/v1/web/search/more'],
    ['a different case', 'GET', '/res/v1/Web/search'],
    ['an encoded letter (segments are compared raw)', 'GET', '/res/v1/web/se%61rch'],
    ['an empty segment for *', 'GET', '/v1/items/'],
    ['two segments for *', 'GET', '/v1/items/1/2'],
    ['zero segments for **', 'POST', '/v1/files'],
    ['an empty segment for **', 'POST', '/v1/files/'],
    ['a prefix of a literal', 'GET', '/res'],
    ['the root where only DELETE is listed', 'GET', '/'],
  ])('does not match %s', (_, method, path) => {
    expect(matchRoute(table, method, path)).toBeNull();
  });

  it('matches `*:action` to one segment ending in exactly that action, with something before it', () => {
    const t = compileRoutes([
      { method: 'POST', path: '/v1beta/models/*:generateContent' },
      { method: 'POST', path: '/v1beta/models/*:countTokens' },
    ]);
    expect(matchRoute(t, 'POST', '/v1beta/models/gemini-2.5-flash:generateContent')).toBe('/v1beta/models/*:generateContent');
    expect(matchRoute(t, 'POST', '/v1beta/models/gemini-2.5-flash:countTokens')).toBe('/v1beta/models/*:countTokens');
    for (const path of ['/v1beta/models/:generateContent', '/v1beta/models/gemini:streamGenerateContent', '/v1beta/models/a:b:generateContent',
      '/v1beta/models/gemini-2.5-flash:generateContentX', '/v1beta/models/x/y:generateContent']) {
      expect(matchRoute(t, 'POST', path), path).toBeNull();
    }
  });

  it('ignores a route listed twice', () => {
    const t = compileRoutes([{ method: 'GET', path: '/a' }, { method: 'GET', path: '/a' }]);
    expect(t.get('GET')).toHaveLength(1);
    expect(matchRoute(t, 'GET', '/a')).toBe('/a');
  });
});
