import { AccessError } from '../errors.ts';

/**
 * An enrollment or renewal the CA refused. It is an AccessError (status and a message safe
 * to show the server's operator) that also names the join token involved, for the audit.
 */
export class EnrollRefusal extends AccessError {
  readonly tokenId: string | null;

  constructor(code: string, status: number, message: string, tokenId: string | null = null) {
    super(code, status, message);
    this.name = 'EnrollRefusal';
    this.tokenId = tokenId;
  }
}
