"""Container health check: exit 0 when $HEALTHCHECK_URL answers 2xx within 4 seconds.

Standard library only, so the image needs no curl or wget.
"""

import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:9095/healthz")

try:
    with urllib.request.urlopen(URL, timeout=4) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except (OSError, urllib.error.URLError) as exc:
    print(f"unhealthy: {URL}: {exc}", file=sys.stderr)
    sys.exit(1)
