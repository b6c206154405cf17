#!/usr/bin/env python3
"""An anonymous Bearer token service for docker-registry in tests.

Usage: registry_token_server.py PORT KEY CERT ISSUER SERVICE TOKEN_LOG

Serves on 127.0.0.1:PORT. GET /token?service=…&scope=… returns a JWT
(RS256, signed with KEY through the openssl CLI, CERT in the x5c header)
granting every scope asked for, as a public registry does for anonymous
pulls. Each issued token appends its scopes as one line to TOKEN_LOG.
GET /health answers 200 once the server is up.
"""

import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse

PORT, KEY, CERT, ISSUER, SERVICE, TOKEN_LOG = sys.argv[1:7]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


CERT_DER = subprocess.run(
    ["openssl", "x509", "-in", CERT, "-outform", "DER"], capture_output=True, check=True
).stdout


def make_token(scopes):
    now = int(time.time())
    access = []
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        access.append({"type": kind, "name": name, "actions": actions.split(",")})
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(CERT_DER).decode()]}
    claims = {
        "iss": ISSUER,
        "sub": "",
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now - 30,
        "iat": now,
        "jti": os.urandom(8).hex(),
        "access": access,
    }
    signing_input = (
        b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    )
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", KEY],
        input=signing_input.encode(),
        capture_output=True,
        check=True,
    ).stdout
    return signing_input + "." + b64url(signature)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/health":
            self.answer(200, {})
            return
        if url.path != "/token":
            self.answer(404, {"error": "not found"})
            return
        query = urllib.parse.parse_qs(url.query)
        if query.get("service", [""])[0] != SERVICE:
            self.answer(400, {"error": "unknown service"})
            return
        scopes = query.get("scope", [])
        token = make_token(scopes)
        with open(TOKEN_LOG, "a") as log:
            log.write(" ".join(scopes) + "\n")
        self.answer(200, {"token": token, "expires_in": 300})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
