"""Reads URLs, one JSON string a line on stdin, as Python's HTTP clients would: urllib3's
parse_url (what urllib3 and requests send) and the standard library's urlsplit. Writes one
JSON object a line: the parts each parser found, or the error it raised. One process for the
whole batch, so a test can send thousands of URLs at the cost of one interpreter start."""
import json
import sys
from urllib.parse import urlsplit

import urllib3
from urllib3.util import parse_url


def read(url):
    result = {}
    try:
        parsed = parse_url(url)
        result["urllib3"] = {
            "scheme": parsed.scheme,
            "auth": parsed.auth,
            "host": parsed.host,
            "port": parsed.port,
            "path": parsed.path,
            "query": parsed.query,
            "fragment": parsed.fragment,
            "request_uri": parsed.request_uri,
        }
    except Exception as error:  # noqa: BLE001 - any refusal is an answer
        result["urllib3"] = {"error": repr(error)}
    try:
        split = urlsplit(url)
        result["urlsplit"] = {
            "scheme": split.scheme,
            "hostname": split.hostname,
            "port": split.port,
            "path": split.path,
            "query": split.query,
            "fragment": split.fragment,
            "username": split.username,
        }
    except Exception as error:  # noqa: BLE001
        result["urlsplit"] = {"error": repr(error)}
    return result


def main():
    sys.stdout.write(json.dumps({"urllib3": urllib3.__version__}) + "\n")
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(read(json.loads(line))) + "\n")


main()
