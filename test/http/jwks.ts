// A real identity provider in miniature: keys generated here, a JWKS served over HTTP on
// loopback, and tokens signed with them (or deliberately wrong).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';

export interface Issuer {
  jwksUrl: string;
  issuer: string;
  sign(
    claims: JWTPayload,
    options?: { kid?: string; expiresIn?: string | number; foreignKey?: boolean },
  ): Promise<string>;
  /** The same claims as an unsecured `alg: none` token. */
  unsigned(claims: JWTPayload): string;
}

export async function startIssuer(t: TestContext, issuer = 'https://id.example.test/'): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const foreign = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
  const server = createServer((request, response) => {
    if (request.url !== '/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    issuer,
    async sign(claims, options = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'key-1' })
        .setIssuer((claims.iss as string | undefined) ?? issuer)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(options.foreignKey ? foreign.privateKey : privateKey);
    },
    unsigned(claims) {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      return `${encode({ alg: 'none' })}.${encode({ iss: issuer, iat: now, exp: now + 300, ...claims })}.`;
    },
  };
}
