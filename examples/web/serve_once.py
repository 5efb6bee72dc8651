#!/usr/bin/env python3
"""Serves the site/ folder beside this file with python3's http.server,
answers N requests (default 1), then exits so that the run can end."""
import functools
import http.server
import pathlib
import sys

port = int(sys.argv[1])
requests = int(sys.argv[2]) if len(sys.argv) > 2 else 1
site = pathlib.Path(__file__).parent / 'site'
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
with http.server.HTTPServer(('0.0.0.0', port), handler) as server:
    print(f'serving {site.name}/ on port {port}', flush=True)
    for _ in range(requests):
        server.handle_request()
