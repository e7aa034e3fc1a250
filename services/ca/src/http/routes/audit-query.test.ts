import { describe, expect, it } from 'vitest';
import { parseAuditQuery } from './audit-query.ts';

describe('parseAuditQuery', () => {
  it('gives the defaults for an empty query: the newest 100 events', () => {
    expect(parseAuditQuery({})).toEqual({ limit: 100 });
    expect(parseAuditQuery(undefined)).toMatchObject({ limit: 100 });
  });

  it('reads every parameter', () => {
    const filter = parseAuditQuery({
      type: ['cert.issued', 'session.start,session.end'],
      code: 'CA1001W',
      actor: 'alice@example.com',
      since: '2030-01-01',
      until: '2030-01-02T09:30:00+01:00',
      remote: '2001:db8::1',
      session: 'ses_0123456789abcdef0123',
      text: '  rm -rf / ',
      before: '9223372036854775807',
      limit: '1000',
    });
    expect(filter).toEqual({
      types: ['cert.issued', 'session.start', 'session.end'],
      code: 'CA1001W',
      actor: 'alice@example.com',
      since: new Date('2030-01-01T00:00:00Z'),
      until: new Date('2030-01-02T08:30:00Z'),
      remote: '2001:db8::1',
      sessionId: 'ses_0123456789abcdef0123',
      text: '  rm -rf / ',
      before: 9223372036854775807n,
      after: undefined,
      limit: 1000,
    });
    expect(parseAuditQuery({ after: '1', type: 'cert.issued,cert.issued' })).toMatchObject({ after: 1n, before: undefined, types: ['cert.issued'] });
  });

  it.each([
    [{ type: 'cert.nope' }, /type must be an audit event type such as cert.issued or session.start; got "cert.nope"/],
    [{ type: 'cert.issued,' }, /type must be an audit event type .*got ""/],
    [{ type: 'CERT.ISSUED' }, /type must be an audit event type/],
    [{ code: 'CA9999I' }, /code must be an audit event code such as CA1000I or SE1000I; got "CA9999I"/],
    [{ code: ['CA1000I', 'CA1001W'] }, /the query parameter code may be given once/],
    [{ actor: ' alice@example.com' }, /actor must not start or end with spaces/],
    [{ actor: '' }, /the query parameter actor must be 1-255 characters/],
    [{ actor: 'a'.repeat(256) }, /the query parameter actor must be 1-255 characters/],
    [{ remote: '192.0.2.1 ' }, /remote must not start or end with spaces/],
    [{ session: 'ses_123' }, /session must be a session id \(ses_ and 20 hex digits\); got "ses_123"/],
    [{ session: 'SES_0123456789ABCDEF0123' }, /session must be a session id/],
    [{ since: 'yesterday' }, /since must be an ISO 8601 time with a zone/],
    [{ since: '2030-01-01T10:00:00' }, /since must be an ISO 8601 time with a zone/],
    [{ until: '2030-13-01T00:00:00Z' }, /until must be an ISO 8601 time/],
    [{ until: '2030-02-30T00:00:00Z' }, /until is not a date on the calendar; got "2030-02-30T00:00:00Z"/],
    [{ since: '2030-1-1' }, /since is not a date on the calendar|since must be an ISO 8601 time/],
    [{ since: '2030-01-02', until: '2030-01-01' }, /since \(2030-01-02T00:00:00.000Z\) must be before until \(2030-01-01T00:00:00.000Z\)/],
    [{ since: '2030-01-01', until: '2030-01-01' }, /since .* must be before until/],
    [{ text: '   ' }, /text must not be blank/],
    [{ text: 'x'.repeat(201) }, /text must be at most 200 characters; got 201/],
    [{ text: 'x'.repeat(300) }, /the query parameter text must be 1-255 characters/],
    [{ before: '0' }, /before must be an event's seq, a whole number from 1; got "0"/],
    [{ before: '-5' }, /before must be an event's seq/],
    [{ before: '007' }, /before must be an event's seq/],
    [{ before: '9223372036854775808' }, /before must be an event's seq/],
    [{ after: '1e3' }, /after must be an event's seq/],
    [{ before: '10', after: '5' }, /give before \(older events, newest first\) or after \(newer events, oldest first\), not both/],
    [{ limit: '0' }, /limit must be a whole number from 1 to 1000; got "0"/],
    [{ limit: '1001' }, /limit must be a whole number from 1 to 1000/],
    [{ limit: '10.5' }, /limit must be a whole number/],
    [{ user: 'alice@example.com' }, /unknown query parameter "user"; allowed: type, code, actor, since, until, remote, session, text, before, after, limit/],
    [{ type: Array.from({ length: 65 }, () => 'cert.issued') }, /type is given more than 64 times/],
  ])('answers 400 to %j, naming the parameter', (query, message) => {
    let thrown: unknown;
    try {
      parseAuditQuery(query);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ status: 400, code: 'ERR_BAD_REQUEST', message: expect.stringMatching(message) });
  });
});
