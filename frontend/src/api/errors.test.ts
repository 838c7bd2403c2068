import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, normaliseFields } from './errors';

describe('ApiError.fromBody', () => {
  it('reads code, message and fields from the error body', () => {
    const error = ApiError.fromBody(400, {
      error: {
        code: 'invalid',
        message: 'Invalid input.',
        fields: { slug: ['project with this slug already exists.'], name: 'This field is required.' },
      },
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid');
    expect(error.message).toBe('Invalid input.');
    // A single message and a list of messages both become lists.
    expect(error.fields).toEqual({
      slug: ['project with this slug already exists.'],
      name: ['This field is required.'],
    });
    expect(error.fieldError('slug')).toBe('project with this slug already exists.');
    expect(error.fieldError('description')).toBeUndefined();
  });

  it('has empty fields when the body has none', () => {
    const error = ApiError.fromBody(401, { error: { code: 'not_authenticated', message: 'Wrong username or password.' } });
    expect(error.fields).toEqual({});
    expect(error.isUnauthenticated).toBe(true);
    expect(error.message).toBe('Wrong username or password.');
  });

  it('falls back for bodies that are not the error shape', () => {
    expect(ApiError.fromBody(404, { detail: 'Not found.' })).toMatchObject({ status: 404, code: 'not_found', message: 'Not found.' });
    expect(ApiError.fromBody(502, '<html>Bad gateway</html>', 'Bad Gateway')).toMatchObject({
      status: 502,
      code: 'server_error',
      message: 'Bad Gateway',
    });
    expect(ApiError.fromBody(500, undefined).message).toMatch(/server/i);
  });
});

describe('normaliseFields', () => {
  it('flattens nested messages and drops empty entries', () => {
    expect(normaliseFields({ params: { lr: ['must be positive'] }, empty: [], n: 3 })).toEqual({
      params: ['must be positive'],
      n: ['3'],
    });
    expect(normaliseFields(null)).toEqual({});
    expect(normaliseFields(['x'])).toEqual({});
  });
});

describe('errorMessage', () => {
  it('explains network failures', () => {
    expect(errorMessage(new TypeError('Failed to fetch'))).toMatch(/reach the server/);
    expect(errorMessage(new ApiError(409, 'conflict', 'Already running.'))).toBe('Already running.');
    expect(errorMessage('weird')).toBe('Something went wrong.');
  });
});
